/* The container's root: propagation, the rootfs bind, pivot_root (or MS_MOVE + chroot), root.readonly. */
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

#include "util/cleanup.h"
#include "util/log.h"

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

/* Undo the octal escapes of a mountinfo field (`\040` is a space) in place. */
static void unescape_mountinfo(char *s)
{
        char *out = s;
        for (char *in = s; *in; in++) {
                if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
                    in[3] <= '7') {
                        *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
                        in += 3;
                } else {
                        *out++ = *in;
                }
        }
        *out = '\0';
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
                unescape_mountinfo(mountpoint);
                if (mount(NULL, mountpoint, NULL, MS_PRIVATE, NULL) < 0)
                        return husk_error_set(err, errno, "make `%s` private", mountpoint);
                return 0;
        }
        return husk_error_set(err, ENOENT, "find the mount of rootfs `%s`", rootfs);
}

int husk_rootfs_prepare(const struct husk_rootfs_config *cfg, struct husk_error **err)
{
        unsigned long propagation = root_propagation(cfg->spec);
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

static int move_root(const char *rootfs, struct husk_error **err)
{
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
        /* Set again on the new "/": before pivot_root it went to the host's root mount copy. */
        if (spec->linux_.has_rootfs_propagation && mount(NULL, "/", NULL, root_propagation(spec), NULL) < 0)
                return husk_error_set(err, errno, "set propagation of `/`");
        _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return husk_error_set(err, errno, "open `/`");
        int r = husk_masked_apply(spec, root_fd, err);
        if (r < 0)
                return r;
        if (spec->root.readonly) {
                r = husk_mount_setattr(root_fd, false, MOUNT_ATTR_RDONLY, 0, 0);
                if (r < 0)
                        return husk_error_set(err, -r, "make `/` read-only");
        }
        return 0;
}
