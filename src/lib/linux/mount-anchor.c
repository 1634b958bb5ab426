/* Paths below the container's root once its mounts are made, resolved from the mounts themselves. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "util/cleanup.h"
#include "util/path.h"

/*
 * Masked and read-only paths, and read-only mounts, are applied by path after every mount is made.
 * Meanwhile a mount point in the rootfs can be renamed from another mount namespace (a container that
 * shares the rootfs as a volume: the kernel refuses to rename a mount point only in the renamer's own
 * namespace). The mount moves with its directory entry, and a path through it would find the rootfs
 * underneath: /proc/kcore missing there is skipped as absent, while the real procfs sits unmasked at
 * the new name. So a path is resolved from the root of the mount the config made last at a prefix of
 * it (a later one at the same place or above covers it, a later one deeper is not a prefix), opened once
 * and checked to be a mount root, of procfs or sysfs where the config asked for those. Opened by path,
 * that check can still be fooled by a second mount of the same filesystem put in its place, but not by
 * the rootfs's own directories; and once held, the fd no longer depends on names.
 */

int husk_mount_anchors_init(struct husk_mount_anchors *a, const struct husk_spec *spec, int root_fd)
{
        *a = (struct husk_mount_anchors){.spec = spec, .root_fd = root_fd};
        if (spec->mounts_len == 0)
                return 0;
        a->fds = malloc(spec->mounts_len * sizeof(*a->fds));
        if (!a->fds)
                return -ENOMEM;
        for (size_t i = 0; i < spec->mounts_len; i++)
                a->fds[i] = -1;
        return 0;
}

void husk_mount_anchors_done(struct husk_mount_anchors *a)
{
        for (size_t i = 0; a->fds && i < a->spec->mounts_len; i++)
                closep(&a->fds[i]);
        free(a->fds);
        a->fds = NULL;
}

static int open_mount_root(const struct husk_mount *m, int root_fd, struct husk_error **err)
{
        _cleanup_close_ int fd = husk_path_open_in_root(root_fd, m->destination, O_PATH, 0, err);
        if (fd < 0) {
                husk_error_wrap(err, "the mount on `%s`", m->destination);
                return fd;
        }
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
                return husk_error_set(err, errno, "stat the mount on `%s`", m->destination);
        /* Kernels before 5.8 do not say; the filesystem check below still applies. */
        bool mount_root =
            !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
        long magic = 0;
        if (m->type && strcmp(m->type, "proc") == 0)
                magic = PROC_SUPER_MAGIC;
        else if (m->type && strcmp(m->type, "sysfs") == 0)
                magic = SYSFS_MAGIC;
        struct statfs sfs = {0};
        if (magic && fstatfs(fd, &sfs) < 0)
                return husk_error_set(err, errno, "stat the mount on `%s`", m->destination);
        if (!mount_root || (magic && sfs.f_type != magic))
                return husk_error_set(err, EBUSY,
                                      "`%s` is no longer the mount made there: the rootfs changed while the container "
                                      "was set up",
                                      m->destination);
        return TAKE_FD(fd);
}

int husk_mount_anchor(struct husk_mount_anchors *a, const char *path, const char **rest, struct husk_error **err)
{
        *rest = path;
        /* ".." would climb out of a mount's root differently than out of the directory it covers. */
        if (husk_path_has_dotdot(path))
                return a->root_fd;
        size_t found = SIZE_MAX;
        const char *below = NULL;
        for (size_t i = 0; i < a->spec->mounts_len; i++) {
                const char *dst = a->spec->mounts[i].destination;
                const char *r = dst ? husk_mount_path_below(path, dst) : NULL;
                if (r && !husk_path_has_dotdot(dst) && !husk_mount_destination_is(dst, "/")) {
                        found = i;
                        below = r;
                }
        }
        if (found == SIZE_MAX)
                return a->root_fd;
        if (a->fds[found] < 0) {
                int fd = open_mount_root(&a->spec->mounts[found], a->root_fd, err);
                if (fd < 0)
                        return fd;
                a->fds[found] = fd;
        }
        *rest = *below ? below : NULL;
        return a->fds[found];
}

int husk_mount_anchor_open(int from, const char *rest, uint64_t open_flags, uint64_t resolve_extra,
                           struct husk_error **err)
{
        if (rest)
                return husk_path_open_in_root(from, rest, open_flags, resolve_extra, err);
        /* The mount itself, whatever it is: "." would open a directory's alone (a file bound on /etc/hostname). */
        struct stat st;
        if ((open_flags & O_DIRECTORY) && fstat(from, &st) == 0 && !S_ISDIR(st.st_mode))
                return husk_error_set(err, ENOTDIR, "open the mount");
        int fd = fcntl(from, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? husk_error_set(err, errno, "open the mount") : fd;
}
