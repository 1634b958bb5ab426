/* The container's filesystem view: mounts, /dev, pivot_root, masked and read-only paths. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

struct husk_idmap_mounts;

/*
 * All three steps run in the container init, in its own mount namespace, as in runc:
 * prepare, then (createContainer hooks) enter, then finalize. Every path inside the
 * rootfs is resolved with openat2(RESOLVE_IN_ROOT) and mounted onto the resolved fd
 * (util/path.h), so symlinks in the rootfs never lead a mount, mkdir or mknod to the
 * host. Errors read `mount `proc` on `/proc`` with the errno kept apart.
 */
struct husk_rootfs_config {
        const struct husk_spec *spec;
        const char *rootfs; /* absolute host path of the root filesystem, resolved against the bundle */
        const char *bundle; /* absolute bundle path: relative bind sources resolve against it */
        bool no_pivot;      /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
        bool in_userns;     /* running in a new user namespace: bind devices instead of mknod */
        bool new_netns;     /* a new network namespace: sysfs may be mounted (else, in a userns, /sys is bound) */
        /* pty slave to bind on /dev/console, NULL when no terminal: a host path or "/proc/self/fd/N". */
        const char *console_path;
        /* idmapped trees made by husk_rootfs_prepare_host, each taken as its entry is mounted; may be NULL */
        struct husk_idmap_mounts *idmap_mounts;
        /* /proc/self/cgroup as it reads once the process is in all the container's cgroups, which it may
         * not be yet (cgroup.h: husk_cgroup_member_lines); NULL: read it */
        const char *cgroup_lines;
        /* procfs for the pid namespace at proc_pidns_fd (its `pidns` option) rather than ours: the set-up
         * runs outside the container's joined pid namespace (container/init.c) */
        bool proc_in_pidns;
        int proc_pidns_fd;
        /* per spec.mounts entry, -1 first: the mount of a read-only entry that stays writable until the
         * rootfs is finished (husk_mount_ro_deferred), kept by husk_rootfs_prepare and made read-only and
         * closed by husk_rootfs_finalize through the fd, whatever its mount point is called by then */
        int *ro_deferred_fds;
        /* per spec.mounts entry, or NULL: its mount point was missing from the rootfs and husk_rootfs_prepare_host
         * made it (a user namespace), so a tmpfs there keeps its own mode rather than that directory's */
        bool *mount_points_made;
};

/* Whether this kernel mounts procfs for another pid namespace (the `pidns` option, Linux 6.x). */
bool husk_mount_proc_pidns_supported(int pidns_fd);

/*
 * In the runtime, on the host, before the init is cloned: what the init cannot do from inside
 * a user namespace. Makes the tree of every idmapped entry of spec.mounts (idmap-mount.h;
 * *ret_idmap_mounts, NULL when there are none, for the init to inherit: set it as
 * idmap_mounts). Then, with a user namespace (new, or joined: joined_userns_fd), creates in the
 * rootfs itself what the init would create there and its root, acting as a host id the rootfs
 * need not grant anything (one owned by the host's root), could not: the missing mount points
 * not under an earlier entry's destination, process.cwd unless a mount covers it, and, when no
 * entry mounts /dev, the devices' bind targets, /dev/console for a terminal and the /dev links.
 * Each is owned by the host ids container root maps to (for a joined namespace read from the
 * namespace itself, only when something is missing), as if the init had made it. Symlinks are
 * resolved inside the rootfs (util/path.h). Best effort: what fails is left to the init, which
 * names the path and the reason. Fails only for the idmapped mounts, leaving nothing behind.
 * Uses spec, rootfs and bundle of cfg. joined_userns_fd: the user namespace the container
 * joins, -1 when none.
 */
int husk_rootfs_prepare_host(const struct husk_rootfs_config *cfg, int joined_userns_fd,
                             struct husk_idmap_mounts **ret_idmap_mounts, struct husk_error **err);

/*
 * Before the createContainer hooks: "/" gets linux.rootfsPropagation (default rslave, so
 * nothing we mount reaches the host), the rootfs is bind-mounted on itself, spec.mounts
 * are performed in order (destinations created inside the rootfs: a directory, or a
 * file for a file bind source), then /dev is populated unless a bind mount covers it:
 * the default nodes and linux.devices (mknod; a bind of the host node in a user
 * namespace or where mknod is refused), /dev/ptmx -> pts/ptmx, fd/stdin/stdout/stderr
 * links, and /dev/console when console_path is set.
 */
int husk_rootfs_prepare(const struct husk_rootfs_config *cfg, struct husk_error **err);

/* pivot_root (or MS_MOVE + chroot for no_pivot), then chdir("/"). After createContainer hooks. */
int husk_rootfs_enter(const struct husk_rootfs_config *cfg, struct husk_error **err);

/*
 * After entering: rootfsPropagation again on the new "/", readonlyPaths (recursive
 * read-only binds), maskedPaths (an empty read-only tmpfs on directories, the verified
 * 1:3 /dev/null on files; missing paths are skipped), then root.readonly.
 */
int husk_rootfs_finalize(const struct husk_rootfs_config *cfg, struct husk_error **err);
