/* Internal interface between rootfs.c, mounts.c, mount-cgroup.c, devices.c and masked.c. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>

#include "linux/rootfs.h"

/*
 * Everything here works on fds: root_fd is an O_PATH fd of the container's root (the
 * rootfs bind mount before pivot_root, "/" after), paths inside it are resolved with
 * util/path.h, and mounts are attached onto the resolved fd, never onto a path string.
 */

/* Flags that select a mount(2) operation rather than describe the new mount. */
#define OPERATION_FLAGS (MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE | MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* MS_* per-mount flags to set and to clear, as a struct mount_attr for mount_setattr(2). */
struct mount_attr husk_mount_attr_from_flags(unsigned long set, unsigned long clear);

/* Attach a detached tree (open_tree/fsmount fd) onto the object dst_fd refers to. */
int husk_mount_attach(int tree_fd, int dst_fd);

/* A detached clone of the tree at host path `source` (recursive: with its submounts), or -errno. */
int husk_mount_clone_path(const char *source, bool recursive);

/* Bind a host path onto dst_fd (what we do for /dev nodes in a user namespace, the console). */
int husk_mount_bind_path_onto(const char *source, int dst_fd);

/* mount(2) a filesystem onto dst_fd through /proc/self/fd: one syscall, the kernel parses data. */
int husk_mount_fs_onto(const char *source, const char *type, unsigned long flags, const char *data, int dst_fd);

/* mount_setattr(2) on the mount tree_fd is the root of (recursive: and its submounts); -errno. */
int husk_mount_setattr(int tree_fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation);

/* MS_SHARED, MS_SLAVE, ... for a propagation kind; 0 for none. */
unsigned long husk_propagation_flag(enum husk_propagation p);

/*
 * fsopen/fsconfig/fsmount: a detached mount of a new `type` filesystem, with the MS_* flags
 * applied as mount(2) would and `data` split into fsconfig options. Returns the mount fd.
 */
int husk_mount_fs_create(const char *type, const char *source, unsigned long flags, const char *data,
                         struct husk_error **err);
/* The same, for procfs: for the pid namespace pidns_fd (-1: the caller's). */
int husk_mount_fs_create_in(const char *type, const char *source, unsigned long flags, const char *data,
                            int pidns_fd, struct husk_error **err);

/* One filesystem entry of spec.mounts (m->type, m->source, options) onto its destination; with
 * ret_mnt, the new mount's fd there (it is then made with the mount API, never mount(2)). */
int husk_mount_fs(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd, int *ret_mnt,
                  struct husk_error **err);

/* One bind entry; source (relative: to the bundle) and recursion given apart so callers can substitute. */
int husk_mount_bind(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd, const char *source,
                    bool recursive, struct husk_error **err);

/*
 * Drop from *a the clearing of what the kernel locks in a user namespace and `tree` has (ro, nosuid, nodev, noexec,
 * its atime mode), naming what was kept in `kept`; false when there was nothing to drop.
 */
#define HUSK_LOCKED_ATTRS_LEN 64
bool husk_mount_keep_locked_attrs(int tree, struct mount_attr *a, char kept[static HUSK_LOCKED_ATTRS_LEN]);

/* spec.mounts, in order (mounts.c). */
int husk_mounts_apply(const struct husk_rootfs_config *cfg, int root_fd, struct husk_error **err);

/* Is `destination` the path `want` (e.g. "/dev") once `//`, `/./` and trailing `/` are cleaned? */
bool husk_mount_destination_is(const char *destination, const char *want);

/* Is `path` `dir` itself or below it, once `//`, `/./` and trailing `/` are cleaned? */
bool husk_mount_destination_within(const char *path, const char *dir);

/* The rest of `path` below `dir` ("" for `dir` itself, no leading `/`), or NULL when it is not within. */
const char *husk_mount_path_below(const char *path, const char *dir);

/* A loop or performInIntermediateNamespace entry: made by the runtime in an intermediate mount
 * namespace (intermediate.h), never by the container's init. */
bool husk_mount_made_outside(const struct husk_mount *m);

/* A read-only tmpfs, or read-only /dev: mounted writable, since nodes and mount points are made in it, and made
 * read-only by husk_rootfs_finalize (runc's order). */
bool husk_mount_ro_deferred(const struct husk_mount *m);

/* A `cgroup` or `cgroup2` entry of spec.mounts onto dst_fd (mount-cgroup.c). */
int husk_mount_cgroup(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd,
                      struct husk_error **err);

/*
 * In the runtime, before the init is cloned: the root of the container's user namespace, whose
 * ids own what the runtime makes in its place (rootfs.c). Its host ids are looked up on first
 * need: from the spec's maps, or, for a joined namespace, from the namespace itself (a fork).
 */
struct husk_mapped_root {
        const struct husk_spec *spec;
        int joined_userns_fd;    /* -1: a new user namespace, whose maps are the spec's */
        const char *joined_path; /* linux.namespaces path of the joined one, for messages */
        int known;               /* 0: not looked up yet; 1: uid and gid are set; -1: unknown */
        uid_t uid;
        gid_t gid;
};

/* The host ids container root maps to, into *ret_uid and *ret_gid; false when they cannot be told. */
bool husk_mapped_root_ids(struct husk_mapped_root *mr, uid_t *ret_uid, gid_t *ret_gid);

/*
 * Make `path` inside the rootfs (a directory, or with `file` an empty file with `mode`) and its
 * missing parents, owned by the mapped root, unless something is there already. Best effort:
 * what cannot be made is left to the init, which names the path and the reason; `what`
 * ("mount point") says why it is made in the debug log.
 */
void husk_mapped_root_make(struct husk_mapped_root *mr, int root_fd, const char *path, bool file, mode_t mode,
                           const char *what);

/* Is `path` (resolved in the rootfs; missing: its place) on the rootfs's own mount, not a host mount inside it? */
bool husk_mapped_root_on_rootfs(int root_fd, const char *path);

/* Is `path` under the destination of one of the first `n` entries of spec.mounts? */
bool husk_mounts_cover(const struct husk_spec *spec, size_t n, const char *path);

/*
 * Without a /dev filesystem of its own, /dev is the rootfs's directory: make the bind targets
 * of the devices, /dev/console for a terminal and the standard links there for the mapped
 * root, as the init would have (devices.c).
 */
void husk_devices_prepare_host(const struct husk_spec *spec, int root_fd, struct husk_mapped_root *mr);

/* Default devices, linux.devices, /dev links and /dev/console (devices.c). */
int husk_devices_setup(const struct husk_rootfs_config *cfg, int root_fd, struct husk_error **err);

/*
 * Where a path below the root lies once the config's mounts are made (mount-anchor.c): the fd of the
 * mount the config made last at a prefix of it, checked to still be that mount, and the rest of the
 * path below it (NULL: the path is that mount's destination); root_fd and the whole path when no mount
 * is on the way. The fd is borrowed. husk_mount_anchor_open opens the path from there, as
 * husk_path_open_in_root (util/path.h) does, the mount itself for a NULL rest.
 */
struct husk_mount_anchors {
        const struct husk_spec *spec;
        int root_fd;
        int *fds; /* per spec.mounts entry: its mount's root, opened on first use; -1 until then */
};
int husk_mount_anchors_init(struct husk_mount_anchors *a, const struct husk_spec *spec, int root_fd);
void husk_mount_anchors_done(struct husk_mount_anchors *a);
int husk_mount_anchor(struct husk_mount_anchors *a, const char *path, const char **rest, struct husk_error **err);
int husk_mount_anchor_open(int from, const char *rest, uint64_t open_flags, uint64_t resolve_extra,
                           struct husk_error **err);

/* readonlyPaths then maskedPaths, after pivot_root (masked.c). */
int husk_masked_apply(struct husk_mount_anchors *anchors, struct husk_error **err);
