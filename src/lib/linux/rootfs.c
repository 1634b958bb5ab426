/* The container's root: propagation, the rootfs bind, pivot_root, root.readonly; made on the host for a mapped root. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/idmap-mount.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"

/* linux.rootfsPropagation, or runc's default: everything a slave of the host, recursively. */
static unsigned long root_propagation(const struct husk_spec *spec)
{
        unsigned long flag = 0;
        if (spec->linux_.has_rootfs_propagation)
                flag = husk_propagation_flag(spec->linux_.rootfs_propagation);
        if (!flag)
                return MS_SLAVE | MS_REC;
        return flag | (spec->linux_.rootfs_propagation_recursive ? MS_REC : 0);
}

/*
 * After `flag` is applied to "/", can a mount in our namespace still be shared with the
 * host? Then pivot_root needs the rootfs's parent made private, and the old root must be
 * made a slave before it is unmounted, or the unmount would propagate to the host.
 */
static bool may_share(unsigned long flag)
{
        return !((flag & MS_REC) && (flag & (MS_SLAVE | MS_PRIVATE)));
}

/*
 * pivot_root(2) refuses a new root whose parent mount is shared. Make the mount that holds
 * the rootfs private; it is found by its mount id, so symlinks in `rootfs` do not matter.
 * Only reached with a shared rootfsPropagation, so the mountinfo read stays off the usual path.
 */
static int make_parent_private(const char *rootfs, struct husk_error **err)
{
        struct statx stx;
        if (statx(AT_FDCWD, rootfs, 0, STATX_MNT_ID, &stx) < 0)
                return husk_error_set(err, errno, "stat rootfs `%s`", rootfs);
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return husk_error_set(err, errno, "open `/proc/self/mountinfo`");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                uint64_t id;
                char mountpoint[4096];
                if (sscanf(line, "%" SCNu64 " %*u %*s %*s %4095s", &id, mountpoint) != 2 || id != stx.stx_mnt_id)
                        continue;
                husk_path_unescape_mountinfo(mountpoint);
                if (mount(NULL, mountpoint, NULL, MS_PRIVATE, NULL) < 0)
                        return husk_error_set(err, errno, "make `%s` private", mountpoint);
                return 0;
        }
        return husk_error_set(err, ENOENT, "find the mount of rootfs `%s`", rootfs);
}

int husk_rootfs_prepare(const struct husk_rootfs_config *cfg, struct husk_error **err)
{
        unsigned long propagation = root_propagation(cfg->spec);
        /* Unbindable, the rootfs could not be bound on itself (nor a host path into it): private until
         * husk_rootfs_finalize gives the new "/" what was asked. */
        if (propagation & MS_UNBINDABLE)
                propagation = (propagation & ~MS_UNBINDABLE) | MS_PRIVATE;
        if (mount(NULL, "/", NULL, propagation, NULL) < 0)
                return husk_error_set(err, errno, "set propagation of `/`");
        if (may_share(propagation)) {
                int r = make_parent_private(cfg->rootfs, err);
                if (r < 0)
                        return r;
        }
        /* pivot_root needs a mount point, and mounts below it must not land in the host's view. */
        if (mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return husk_error_set(err, errno, "bind mount rootfs `%s` on itself", cfg->rootfs);
        _cleanup_close_ int root_fd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return husk_error_set(err, errno, "open rootfs `%s`", cfg->rootfs);

        int r = husk_mounts_apply(cfg, root_fd, err);
        if (r < 0)
                return r;
        return husk_devices_setup(cfg, root_fd, err);
}

/*
 * --no-pivot keeps the host's mount tree in the container's namespace, under the chroot. A whole proc or
 * sysfs there would let the container mount a fresh, unmasked one in a user namespace of its own: the
 * kernel allows that when the namespace already holds a fully visible instance (mount_too_revealing).
 * So each host proc and sysfs mount outside the rootfs goes, unmounted as a slave (nothing propagates
 * to the host); one that is locked (inherited into a user namespace) is covered by an empty tmpfs.
 */
static int drop_host_proc_sysfs(const char *rootfs, struct husk_error **err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return husk_error_set(err, errno, "--no-pivot: open `/proc/self/mountinfo`");
        _cleanup_free_ char *line = NULL, *gone = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                /* "<id> <parent> <major:minor> <root> <mount point> <options> [tags...] - <type> ..." */
                char root[4096], mountpoint[4096], type[64];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mountpoint) != 2 ||
                    sscanf(sep + 3, "%63s", type) != 1)
                        continue;
                if (strcmp(root, "/") != 0 || (strcmp(type, "proc") != 0 && strcmp(type, "sysfs") != 0))
                        continue;
                husk_path_unescape_mountinfo(mountpoint);
                /* The container's own, and those already gone with a mount above them. */
                if (husk_mount_destination_within(mountpoint, rootfs) ||
                    (gone && husk_mount_destination_within(mountpoint, gone)))
                        continue;
                if (mount(NULL, mountpoint, NULL, MS_SLAVE | MS_REC, NULL) < 0 && errno != EINVAL)
                        return husk_error_set(err, errno, "--no-pivot: make the host's `%s` a slave", mountpoint);
                if (umount2(mountpoint, MNT_DETACH) == 0) {
                        free(gone);
                        if (!(gone = strdup(mountpoint)))
                                return husk_error_set(err, ENOMEM, "--no-pivot");
                        continue;
                }
                if (errno != EINVAL && errno != EPERM)
                        return husk_error_set(err, errno, "--no-pivot: unmount the host's `%s`", mountpoint);
                if (mount("tmpfs", mountpoint, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0 &&
                    errno != ENOENT) /* nothing left there to hide */
                        return husk_error_set(err, errno, "--no-pivot: cover the host's `%s`", mountpoint);
        }
        return 0;
}

static int move_root(const char *rootfs, struct husk_error **err)
{
        int r = drop_host_proc_sysfs(rootfs, err);
        if (r < 0)
                return r;
        if (chdir(rootfs) < 0)
                return husk_error_set(err, errno, "chdir to rootfs `%s`", rootfs);
        if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
                return husk_error_set(err, errno, "move rootfs `%s` to `/`", rootfs);
        if (chroot(".") < 0)
                return husk_error_set(err, errno, "chroot to rootfs `%s`", rootfs);
        return 0;
}

static int pivot_root_to(const char *rootfs, unsigned long propagation, struct husk_error **err)
{
        _cleanup_close_ int new_root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (new_root < 0)
                return husk_error_set(err, errno, "open rootfs `%s`", rootfs);
        _cleanup_close_ int old_root = -1;
        if (may_share(propagation)) {
                old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (old_root < 0)
                        return husk_error_set(err, errno, "open `/`");
        }
        if (fchdir(new_root) < 0)
                return husk_error_set(err, errno, "chdir to rootfs `%s`", rootfs);
        /* new_root == put_old: the old root ends up stacked on "." and is detached below. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return husk_error_set(err, errno, "pivot_root to `%s`", rootfs);
        if (old_root >= 0) {
                int r = husk_mount_setattr(old_root, true, 0, 0, MS_SLAVE);
                if (r < 0)
                        return husk_error_set(err, -r, "make the old root a slave");
        }
        if (umount2(".", MNT_DETACH) < 0)
                return husk_error_set(err, errno, "unmount the old root");
        return 0;
}

int husk_rootfs_enter(const struct husk_rootfs_config *cfg, struct husk_error **err)
{
        /* The rootfs moved over "/" was mounted in the container's own mount namespace: nothing locks it there, and
         * its root (CAP_SYS_ADMIN in its user namespace) can unmount it and setns() into its namespace, whose root
         * is then the host's. runc and crun have the same hole, and call --no-pivot insecure. */
        if (cfg->no_pivot && cfg->in_userns)
                husk_warn("--no-pivot with a user namespace: a container root with CAP_SYS_ADMIN can leave the rootfs "
                          "(umount -l / and setns) and see the host's files; pivot_root keeps it in");
        int r =
            cfg->no_pivot ? move_root(cfg->rootfs, err) : pivot_root_to(cfg->rootfs, root_propagation(cfg->spec), err);
        if (r < 0)
                return r;
        if (chdir("/") < 0)
                return husk_error_set(err, errno, "chdir to `/`");
        return 0;
}

int husk_rootfs_finalize(const struct husk_rootfs_config *cfg, struct husk_error **err)
{
        const struct husk_spec *spec = cfg->spec;
        _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return husk_error_set(err, errno, "open `/`");
        struct husk_mount_anchors anchors;
        if (husk_mount_anchors_init(&anchors, spec, root_fd) < 0)
                return husk_error_set(err, ENOMEM, "finish the rootfs");
        int r = husk_masked_apply(&anchors, err);
        husk_mount_anchors_done(&anchors);
        if (r < 0)
                return r;
        /* Through the mounts themselves, kept when they were made: a mount point can be renamed meanwhile. */
        for (size_t i = 0; cfg->ro_deferred_fds && i < spec->mounts_len; i++) {
                if (cfg->ro_deferred_fds[i] < 0)
                        continue;
                r = husk_mount_setattr(cfg->ro_deferred_fds[i], false, MOUNT_ATTR_RDONLY, 0, 0);
                closep(&cfg->ro_deferred_fds[i]);
                if (r < 0)
                        return husk_error_set(err, -r, "make `%s` read-only", spec->mounts[i].destination);
        }
        if (spec->root.readonly) {
                r = husk_mount_setattr(root_fd, false, MOUNT_ATTR_RDONLY, 0, 0);
                if (r < 0)
                        return husk_error_set(err, -r, "make `/` read-only");
        }
        /* Set again on the new "/": before pivot_root it went to the host's root mount copy. Last: the read-only
         * paths above are copies of mounts, which an unbindable one cannot give. */
        if (spec->linux_.has_rootfs_propagation && mount(NULL, "/", NULL, root_propagation(spec), NULL) < 0)
                return husk_error_set(err, errno, "set propagation of `/`");
        return 0;
}

/* ---- made by the runtime on the host, before the init is cloned ---- */

bool husk_mapped_root_ids(struct husk_mapped_root *mr, uid_t *ret_uid, gid_t *ret_gid)
{
        if (mr->known == 0) {
                mr->known = -1;
                const struct husk_id_mappings *uids = &mr->spec->linux_.uid_mappings;
                const struct husk_id_mappings *gids = &mr->spec->linux_.gid_mappings;
                struct husk_id_mappings joined_uids = {0}, joined_gids = {0};
                if (mr->joined_userns_fd >= 0) {
                        _cleanup_error_ struct husk_error *err = NULL;
                        if (husk_userns_read_maps(mr->joined_userns_fd, mr->joined_path, &joined_uids, &joined_gids,
                                                  &err) < 0) {
                                _cleanup_free_ char *msg = husk_error_format(err);
                                husk_debug("nothing made on the host for the container's root: %s", msg ? msg : "?");
                                return false;
                        }
                        uids = &joined_uids;
                        gids = &joined_gids;
                }
                int64_t uid = husk_userns_host_id(uids, 0), gid = husk_userns_host_id(gids, 0);
                free(joined_uids.items);
                free(joined_gids.items);
                /* Maps without container id 0: the init refuses them with its own message. */
                if (uid >= 0 && gid >= 0) {
                        mr->uid = (uid_t)uid;
                        mr->gid = (gid_t)gid;
                        mr->known = 1;
                }
        }
        *ret_uid = mr->uid;
        *ret_gid = mr->gid;
        return mr->known > 0;
}

static bool mount_id(int dirfd, const char *path, uint64_t *ret)
{
        struct statx stx;
        if (statx(dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
            !(stx.stx_mask & STATX_MNT_ID))
                return false;
        *ret = stx.stx_mnt_id;
        return true;
}

bool husk_mapped_root_on_rootfs(int root_fd, const char *path)
{
        _cleanup_close_ int fd = husk_path_open_in_root(root_fd, path, O_PATH, 0, NULL);
        uint64_t root, here;
        if (fd == -ENOENT)
                return true; /* made in the rootfs's own filesystem */
        return fd >= 0 && mount_id(root_fd, "", &root) && mount_id(fd, "", &here) && root == here;
}

/* Whether path is missing from the rootfs (anything else, an error included, is left to the init). */
static bool missing_in_root(int root_fd, const char *path)
{
        int fd = husk_path_open_in_root(root_fd, path, O_PATH, 0, NULL);
        if (fd >= 0)
                close(fd);
        return fd == -ENOENT;
}

/* Make the missing path owned by the mapped root. */
static bool make_owned(struct husk_mapped_root *mr, int root_fd, const char *path, bool file, mode_t mode,
                       const char *what)
{
        uid_t uid;
        gid_t gid;
        if (!husk_mapped_root_ids(mr, &uid, &gid))
                return false;
        _cleanup_error_ struct husk_error *err = NULL;
        int fd = file ? husk_path_mkfile_in_root_owned(root_fd, path, mode, uid, gid, &err)
                  : husk_path_mkdir_all_in_root_owned(root_fd, path, mode, uid, gid, &err);
        if (fd < 0) {
                _cleanup_free_ char *msg = husk_error_format(err);
                husk_debug("%s `%s` not made on the host for the container's root: %s", what, path, msg ? msg : "?");
                return false;
        }
        close(fd);
        return true;
}

void husk_mapped_root_make(struct husk_mapped_root *mr, int root_fd, const char *path, bool file, mode_t mode,
                           const char *what)
{
        /* The common case, all there, costs one openat2 and never the lookup of a joined namespace's maps. */
        if (missing_in_root(root_fd, path))
                make_owned(mr, root_fd, path, file, mode, what);
}

bool husk_mounts_cover(const struct husk_spec *spec, size_t n, const char *path)
{
        for (size_t i = 0; i < n && i < spec->mounts_len; i++)
                if (husk_mount_destination_within(path, spec->mounts[i].destination))
                        return true;
        return false;
}

/* Mount points of spec.mounts that lie in the rootfs itself (not under an earlier entry's destination); a
 * bind's source is looked at only for a missing one. */
static void make_mount_points(const struct husk_rootfs_config *cfg, int root_fd, struct husk_mapped_root *mr)
{
        const struct husk_spec *spec = cfg->spec;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                /* A change_only entry needs a mount there already: a directory made for it would be none. */
                if (husk_mounts_cover(spec, i, m->destination) || husk_mount_made_outside(m) || m->change_only ||
                    !missing_in_root(root_fd, m->destination))
                        continue;
                bool file = false;
                if (m->bind || (m->type && strcmp(m->type, "bind") == 0)) {
                        if (!m->source)
                                continue;
                        _cleanup_free_ char *absolute = NULL;
                        const char *source = m->source;
                        if (source[0] != '/' && asprintf(&absolute, "%s/%s", cfg->bundle, source) >= 0)
                                source = absolute;
                        struct stat st;
                        if (source[0] != '/' || stat(source, &st) < 0) {
                                if (!m->source_made_later)
                                        continue; /* the init names a missing source */
                                st.st_mode = S_IFDIR;
                        }
                        file = !S_ISDIR(st.st_mode);
                }
                if (make_owned(mr, root_fd, m->destination, file, file ? 0644 : 0755, "mount point") &&
                    cfg->mount_points_made)
                        cfg->mount_points_made[i] = true;
        }
}

int husk_rootfs_prepare_host(const struct husk_rootfs_config *cfg, int joined_userns_fd,
                             struct husk_idmap_mounts **ret_idmap_mounts, struct husk_error **err)
{
        /* First what can fail: a bad idmapped entry must leave nothing behind. */
        int r = husk_idmap_mounts_prepare(cfg->spec, cfg->bundle, cfg->rootfs, joined_userns_fd, ret_idmap_mounts, err);
        if (r < 0)
                return r;
        const struct husk_spec *spec = cfg->spec;
        const struct husk_namespace *userns = husk_spec_namespace(spec, HUSK_NS_USER);
        if (!userns)
                return 0;
        _cleanup_close_ int root_fd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return 0; /* the init names it */
        /* The host's own "/" as the rootfs: nothing is made there by the host's root (the init, as the container's,
         * makes what it may, as with runc). */
        struct stat root_st, host_st;
        if (fstat(root_fd, &root_st) == 0 && stat("/", &host_st) == 0 && root_st.st_dev == host_st.st_dev &&
            root_st.st_ino == host_st.st_ino)
                return 0;
        if (userns->path && joined_userns_fd < 0)
                return 0;
        struct husk_mapped_root mr = {
            .spec = spec, .joined_userns_fd = userns->path ? joined_userns_fd : -1, .joined_path = userns->path};
        make_mount_points(cfg, root_fd, &mr);
        husk_devices_prepare_host(spec, root_fd, &mr);
        /* After the mounts the init reaches the cwd through them: one under a destination is theirs. */
        if (spec->has_process && spec->process.cwd && !husk_mounts_cover(spec, spec->mounts_len, spec->process.cwd))
                husk_mapped_root_make(&mr, root_fd, spec->process.cwd, false, 0755, "process.cwd");
        return 0;
}
