/* Shared state and helpers of the cgroup drivers (not part of the public interface). */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

/* Controllers husk knows; blkio is "io" on cgroup v2. */
enum cg_controller {
        CG_CPU = 0,
        CG_CPUACCT,
        CG_CPUSET,
        CG_MEMORY,
        CG_DEVICES,
        CG_FREEZER,
        CG_BLKIO,
        CG_PIDS,
        CG_HUGETLB,
        CG_NET_CLS,
        CG_NET_PRIO,
        CG_PERF_EVENT,
        CG_RDMA,
        CG_MISC,
        CG_CONTROLLER_COUNT,
};

#define CG_BIT(c) (1u << (c))

/* One mounted hierarchy and the container's cgroup in it. */
struct cg_hierarchy {
        char *mount;          /* directory under /sys/fs/cgroup ("memory", "cpu,cpuacct", "unified"); "" for v2 */
        char *path;           /* cgroup path inside the hierarchy ("/husk/web") */
        uint32_t controllers; /* CG_BIT set bound to this hierarchy (v1) */
        bool unified;         /* a cgroup2 hierarchy */
        int mount_fd;         /* the hierarchy's root directory */
        int fd;               /* O_DIRECTORY fd of the container's cgroup; -1 when absent or dropped */
        int created;          /* trailing path components created by husk_cgroup_create (cleanup on failure) */
        int line;             /* its line in self_lines */
};

struct husk_cgroup {
        enum husk_cgroup_layout layout;
        bool rootless;
        bool explicit_path; /* linux.cgroupsPath chose it (rootless errors are not ignored then); not a systemd scope */
        bool needs_cgroup;  /* linux.resources sets limits: the container may not run outside its cgroup */
        int root_fd;        /* /sys/fs/cgroup */
        struct cg_hierarchy *hierarchies;
        size_t hierarchies_len;
        int by_controller[CG_CONTROLLER_COUNT]; /* index into hierarchies, -1 when unavailable */
        int unified;                            /* index of the cgroup2 hierarchy, -1 on pure v1 */
        uint32_t v2_controllers;                /* pure v2: controllers listed in the leaf's cgroup.controllers */
        char *self_lines;                       /* /proc/self/cgroup as husk read it (discovery) */
        char *path_string;                      /* what husk_cgroup_path returns */
        char *display_path;                     /* its first line, for messages */
};

/* Drop an error that is handled (err may be NULL, as for every fallible function). */
static inline void cg_error_clear(struct husk_error **err)
{
        if (err)
                husk_error_freep(err);
}

const char *cg_controller_name(enum cg_controller c, bool v2);

/* A cgroup path relative to its hierarchy's root ("husk/web"; "." for the root), for *at() on mount_fd. */
const char *cg_inner_rel(const char *path);
/* "/sys/fs/cgroup/memory/husk/web" (the first len bytes of path), for messages. */
const char *cg_display(const struct cg_hierarchy *h, const char *path, int len, char *buf, size_t size);

/* The hierarchy holding controller c, NULL when the host lacks it. */
struct cg_hierarchy *cg_hierarchy_of(struct husk_cgroup *cg, enum cg_controller c);

/* The cpu quota (-1: none) and period the container's cgroup has now (cpu.max, or v1's cfs files); false when
 * they cannot be read. */
bool cg_cpu_in_force(struct husk_cgroup *cg, int64_t *ret_quota, uint64_t *ret_period);

/* Files of a cgroup directory. Errors name the file: "write `memory.max` = `100`". */
int cg_write(int dirfd, const char *file, const char *value, struct husk_error **err);
int cg_writef(int dirfd, const char *file, struct husk_error **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a whole (small) file into buf, NUL-terminated, trailing newline removed; returns its length. */
ssize_t cg_read(int dirfd, const char *file, char *buf, size_t size, struct husk_error **err);
/* Read a single unsigned number ("max" reads as UINT64_MAX). */
int cg_read_u64(int dirfd, const char *file, uint64_t *ret, struct husk_error **err);
/* memory.checkBeforeUpdate: EBUSY when the usage in usage_file is not below limit. */
int cg_check_usage_below(int dirfd, const char *usage_file, int64_t limit, struct husk_error **err);
/* Value of `key` in a flat-keyed file ("oom_kill 3" lines); -ENOENT when the key is absent. */
int cg_read_key_u64(int dirfd, const char *file, const char *key, uint64_t *ret, struct husk_error **err);
bool cg_file_exists(int dirfd, const char *file);
/* The next child cgroup in a stream of a cgroup directory (a directory, not . or ..), or NULL at its end. */
struct dirent *cg_next_child(DIR *dir);
/* A permission error that RootlessCgroups ignores. */
bool cg_is_permission_error(int r);

/* Conversions of v1 values to their cgroup v2 equivalents (runc's formulas). */
uint64_t cg_convert_shares_to_weight(uint64_t shares);
uint64_t cg_convert_blkio_to_io_weight(uint64_t weight);
int cg_convert_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret, struct husk_error **err);

/* Which controllers a resources block needs on this layout. */
uint32_t cg_resources_controllers(const struct husk_resources *r, bool v2);
/* r (NULL: none) without the values a new cgroup has already, as runc skips them when it creates one (a
 * pids.limit of 0 or less, a net_cls classID of 0), into *copy; returns r, or copy where one was dropped.
 * An update still writes a negative pids.limit and a classID of 0: they undo an earlier limit (a pids.limit of 0
 * leaves it alone there too, see husk_container_update). */
const struct husk_resources *cg_resources_for_new(const struct husk_resources *r, struct husk_resources *copy);
/*
 * Clears the fields of r that need controller c and that runc's update never writes (its update reads memory
 * limit/reservation/swap, cpu, cpuset, blkio weight, pids and unified only); returns their names for a
 * message, or NULL when c has no such fields. r is a shallow copy: arrays are dropped by their length.
 */
const char *cg_resources_drop_beyond_runc_update(struct husk_resources *r, enum cg_controller c);

/* Drivers: apply resources to the hierarchies (v1 and hybrid: v1 controllers; v2: unified). */
int cg_v1_apply(struct husk_cgroup *cg, const struct husk_resources *r, struct husk_error **err);
int cg_v2_apply(struct husk_cgroup *cg, const struct husk_resources *r, struct husk_error **err);
/* Shared by both drivers: hugetlb.<size>.limit_in_bytes (v1) / .max (v2), and rdma.max. */
int cg_hugetlb_apply(int fd, const struct husk_resources *r, bool v2, struct husk_error **err);
int cg_rdma_apply(int fd, const struct husk_resources *r, struct husk_error **err);
/* The `unified` map, written to the cgroup2 hierarchy (v2 or hybrid). */
int cg_unified_apply(struct husk_cgroup *cg, const struct husk_kv_list *unified, struct husk_error **err);
/* v1: cpuset.cpus/mems of a new cgroup (or one made by others with plain mkdir) are empty: copy the parent's
 * into those that are, so that tasks can join (child_new: the child is known to be new, skip reading it). */
int cg_v1_cpuset_inherit(int parent_fd, int child_fd, bool child_new, struct husk_error **err);

/* Device rules: the effective list (spec rules, then runc's default allowed devices, then linux.devices). */
struct cg_device_rules {
        struct husk_device_cgroup_rule *items;
        size_t len;
        size_t spec_len; /* the first spec_len items are linux.resources.devices; then husk's defaults */
};
int cg_device_rules_build(const struct husk_resources *r, bool with_defaults, struct cg_device_rules *ret,
                          struct husk_error **err);
void cg_device_rules_free(struct cg_device_rules *rules);
int cg_devices_v1_apply(int dirfd, const struct cg_device_rules *rules, struct husk_error **err);
int cg_devices_bpf_apply(int dirfd, const struct cg_device_rules *rules, struct husk_error **err);

/*
 * Delegation on pure v2 (delegation.c), for an unprivileged caller. Once h->path is made, the caller, in
 * cgroup `own`, must be allowed to move a process into it, which takes write access to cgroup.procs of
 * their common ancestor (the kernel's rule for cgroup.procs writes and clone3 CLONE_INTO_CGROUP): checked
 * before anything moves, so that *err can name what is missing and how to delegate it.
 */
int cg_v2_check_movable(const struct cg_hierarchy *h, const char *own, struct husk_error **err);

/* After making h->path was refused: when its first missing directory cannot be created by the caller,
 * *err is replaced by a message naming it and its owner, and true is returned. */
bool cg_v2_explain_refused_mkdir(const struct cg_hierarchy *h, struct husk_error **err);
/* Controller c is absent from h's cgroup.controllers: an error naming the ancestor whose cgroup.subtree_control
 * lacks it and why it could not be enabled there (not writable: not delegated; processes inside). */
int cg_v2_controller_missing(const struct cg_hierarchy *h, enum cg_controller c, struct husk_error **err);

/* The controller named `name` (len bytes; v2: its cgroup2 name), or -1. */
int cg_controller_from_name(const char *name, size_t len, bool v2);

/*
 * Fill cg->hierarchies (mount and mount_fd of each, by_controller, unified) from the hierarchies this
 * host mounts under /sys/fs/cgroup, for cg->layout, and *ret_own (an array of 32, NULL-padded) with
 * husk's own cgroup in each: relative cgroupsPath values start there. v1 hierarchies not mounted at
 * the systemd convention, and named ones other than name=systemd, are left out.
 */
int cg_discover_hierarchies(struct husk_cgroup *cg, char ***ret_own, struct husk_error **err);

/* Pids in a cgroup directory and its descendants (appends to *pids). */
int cg_collect_pids(int dirfd, pid_t **pids, size_t *len, size_t *cap, struct husk_error **err);

/*
 * Before husk_cgroup_create makes anything: an error ("container's cgroup unexpectedly frozen", as runc says)
 * when the container's cgroup exists frozen, or would be frozen once made (a frozen ancestor), in the v1 freezer
 * hierarchy or a cgroup2 one. The init would hang in it until someone thawed it.
 */
int cg_check_not_frozen(struct husk_cgroup *cg, struct husk_error **err);

/* After husk_cgroup_create made what was missing: an error when a hierarchy's cgroup existed already and holds a
 * process (occupied.c). */
int cg_check_unoccupied(struct husk_cgroup *cg, struct husk_error **err);

/* Freeze or thaw one driver's cgroup, waiting until the kernel reports the state. */
int cg_freezer_set(struct husk_cgroup *cg, bool frozen, struct husk_error **err);
