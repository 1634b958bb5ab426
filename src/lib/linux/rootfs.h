/* The container's filesystem view: mounts, /dev, pivot_root, masked and read-only paths. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

struct husk_rootfs_config {
        const struct husk_spec *spec;
        const char *rootfs; /* absolute host path of the root filesystem, resolved against the bundle */
        const char *bundle; /* absolute bundle path: relative bind sources resolve against it */
        bool no_pivot;      /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
        bool in_userns;     /* running in a new user namespace: bind devices instead of mknod */
        bool new_netns;     /* a new network namespace: sysfs may be mounted */
        const char *console_path; /* pty slave to bind on /dev/console, NULL when no terminal */
};

/*
 * Called in the container init, already in its new mount namespace and before the
 * createContainer hooks: sets propagation, bind-mounts the rootfs on itself, performs
 * spec.mounts in order, creates /dev nodes, links and linux.devices.
 */
int husk_rootfs_prepare(const struct husk_rootfs_config *cfg, struct husk_error **err);

/* pivot_root (or MS_MOVE + chroot for no_pivot), then chdir("/"). After createContainer hooks. */
int husk_rootfs_enter(const struct husk_rootfs_config *cfg, struct husk_error **err);

/* After entering: rootfsPropagation on "/", root.readonly, maskedPaths, readonlyPaths. */
int husk_rootfs_finalize(const struct husk_rootfs_config *cfg, struct husk_error **err);
