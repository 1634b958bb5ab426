/* linux.readonlyPaths and linux.maskedPaths, applied on fds inside the new root after pivot_root. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "util/cleanup.h"
#include "util/path.h"

/*
 * Paths are resolved with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: a symlink can only lead
 * to another place in the container's own tree, never to the host. A path that does not
 * exist is skipped (runc does the same); any other failure is an error, because a mask
 * that silently did not happen is a hole. Each path is resolved from the mount it lies in
 * (mount-anchor.c), so that a mount point renamed in the rootfs cannot make it "not exist".
 */

struct masks {
        int dev_null; /* the container's /dev/null, verified to be the 1:3 character device */
        int tmpfs;    /* the first read-only empty tmpfs mounted; later directories get clones */
};

/* The bind source for masked files: refuse anything but the real null device (CVE-2025-31133). */
static int open_dev_null(struct husk_mount_anchors *anchors, struct husk_error **err)
{
        const char *rest;
        int from = husk_mount_anchor(anchors, "/dev/null", &rest, err);
        _cleanup_close_ int fd = from < 0 ? from : husk_mount_anchor_open(from, rest, O_PATH, RESOLVE_NO_SYMLINKS, err);
        if (fd < 0) {
                husk_error_wrap(err, "mask files");
                return fd;
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return husk_error_set(err, errno, "mask files: stat `/dev/null`");
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return husk_error_set(err, EPERM, "mask files: `/dev/null` is not the null device");
        return TAKE_FD(fd);
}

static int mask_file(struct masks *masks, struct husk_mount_anchors *anchors, int target_fd, struct husk_error **err)
{
        if (masks->dev_null < 0) {
                int r = open_dev_null(anchors, err);
                if (r < 0)
                        return r;
                masks->dev_null = r;
        }
        _cleanup_close_ int tree = open_tree(masks->dev_null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (tree < 0)
                return -errno;
        return husk_mount_attach(tree, target_fd);
}

static int mask_dir(struct masks *masks, const char *mount_label, int target_fd, struct husk_error **err)
{
        if (masks->tmpfs >= 0) {
                /* One superblock serves every masked directory: it is empty and read-only. */
                _cleanup_close_ int tree =
                    open_tree(masks->tmpfs, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree < 0)
                        return -errno;
                return husk_mount_attach(tree, target_fd);
        }
        _cleanup_free_ char *data = NULL;
        if (mount_label && *mount_label && husk_selinux_enabled() && asprintf(&data, "context=\"%s\"", mount_label) < 0)
                return -ENOMEM;
        int mnt = husk_mount_fs_create("tmpfs", NULL, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, data, err);
        if (mnt < 0)
                return mnt;
        int r = husk_mount_attach(mnt, target_fd);
        if (r < 0) {
                close(mnt);
                return r;
        }
        masks->tmpfs = mnt; /* attached: clones of it are allowed */
        return 0;
}

static int mask_path(struct masks *masks, struct husk_mount_anchors *anchors, const char *path, struct husk_error **err)
{
        const char *rest;
        int from = husk_mount_anchor(anchors, path, &rest, err);
        if (from < 0)
                return husk_error_wrap(err, "mask `%s`", path);
        /* O_DIRECTORY first: one syscall tells a directory, and only files need a second open. */
        _cleanup_close_ int fd = husk_mount_anchor_open(from, rest, O_PATH | O_DIRECTORY, 0, NULL);
        bool dir = fd >= 0;
        if (fd == -ENOTDIR)
                fd = husk_mount_anchor_open(from, rest, O_PATH, 0, NULL);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return husk_error_set(err, -fd, "mask `%s`", path);
        int r = dir ? mask_dir(masks, anchors->spec->linux_.mount_label, fd, err) : mask_file(masks, anchors, fd, err);
        if (r < 0) {
                if (err && *err)
                        husk_error_wrap(err, "mask `%s`", path);
                else
                        husk_error_set(err, -r, "mask `%s`", path);
        }
        return r;
}

/* Bind the path on itself, read-only with everything below it, in one detached clone. */
static int readonly_path(struct husk_mount_anchors *anchors, const char *path, struct husk_error **err)
{
        const char *rest;
        int from = husk_mount_anchor(anchors, path, &rest, err);
        if (from < 0)
                return husk_error_wrap(err, "make `%s` read-only", path);
        _cleanup_close_ int fd = husk_mount_anchor_open(from, rest, O_PATH, 0, NULL);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return husk_error_set(err, -fd, "make `%s` read-only", path);
        _cleanup_close_ int tree =
            open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        int r = tree < 0 ? -errno : husk_mount_setattr(tree, true, MOUNT_ATTR_RDONLY, 0, 0);
        if (r == 0)
                r = husk_mount_attach(tree, fd);
        if (r < 0)
                return husk_error_set(err, -r, "make `%s` read-only", path);
        return 0;
}

int husk_masked_apply(struct husk_mount_anchors *anchors, struct husk_error **err)
{
        husk_strv readonly = anchors->spec->linux_.readonly_paths, masked = anchors->spec->linux_.masked_paths;
        for (size_t i = 0; readonly && readonly[i]; i++) {
                int r = readonly_path(anchors, readonly[i], err);
                if (r < 0)
                        return r;
        }
        struct masks masks = {.dev_null = -1, .tmpfs = -1};
        int r = 0;
        for (size_t i = 0; r == 0 && masked && masked[i]; i++)
                r = mask_path(&masks, anchors, masked[i], err);
        closep(&masks.dev_null);
        closep(&masks.tmpfs);
        return r;
}
