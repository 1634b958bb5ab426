/* One interface over cgroup v1, v2 and hybrid hosts; drivers live beside this file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

enum husk_cgroup_layout {
        HUSK_CGROUP_V1 = 1,     /* only v1 hierarchies */
        HUSK_CGROUP_V2 = 2,     /* cgroup2 mounted on /sys/fs/cgroup */
        HUSK_CGROUP_HYBRID = 3, /* v1 controllers plus cgroup2 at /sys/fs/cgroup/unified */
};

struct husk_cgroup; /* opaque: layout, the resolved path, open dir fds */

int husk_cgroup_detect_layout(enum husk_cgroup_layout *ret, struct husk_error **err);
enum husk_cgroup_layout husk_cgroup_layout(const struct husk_cgroup *cg);

/*
 * Resolve linux.cgroupsPath with runc 1.1's cgroupfs semantics, create the cgroup in every
 * hierarchy and apply linux.resources (device rules: deny all, the spec's rules, runc's default
 * allowed devices, then linux.devices). Paths are cleaned lexically ("..", "." and "//" never
 * climb out). Absolute: the same path under each hierarchy's root. Relative: under husk's own
 * cgroup in each v1 hierarchy (and the hybrid unified one), under the *parent* of husk's own
 * cgroup on pure v2. Empty: the relative path "<id>" (runc's default). The process joins later
 * (husk_cgroup_enter, or clone3 with husk_cgroup_clone_fd). rootless: permission errors while
 * creating a hierarchy's cgroup drop that hierarchy when no cgroupsPath was given, and device
 * errors are ignored, as runc's RootlessCgroups does. Rootless on pure v2 the cgroup must be
 * delegated: its first missing directory creatable and the caller inside the delegated subtree
 * (cgroup.procs of the common ancestor writable), else the error says what is missing
 * ("cgroup `/a/b` is not delegated to uid 1000: ..."); without cgroupsPath and limits the cgroup
 * is skipped instead. A cgroup found frozen, or below a frozen one, is refused before anything is made
 * ("container's cgroup unexpectedly frozen", as runc): the init would hang in it. On v1, every level of the
 * path whose cpuset.cpus or cpuset.mems is empty (made by others with plain mkdir) is filled from the one above,
 * as runc does; those values stay. On failure nothing is left behind.
 */
/* Called by husk_cgroup_create with the cgroup's path (as husk_cgroup_path gives it) once the cgroup is made
 * and found free of other processes, before its limits are written: a failure ends the create with nothing
 * left. Whoever finds the record after a create killed halfway (SIGKILL leaves no time to undo) knows what to
 * remove. */
struct husk_cgroup_recorder {
        int (*record)(const char *path, void *ctx, struct husk_error **err);
        void *ctx;
};

int husk_cgroup_create(const struct husk_spec *spec, const char *id, bool rootless,
                       const struct husk_cgroup_recorder *recorder, struct husk_cgroup **ret, struct husk_error **err);

/*
 * The same at an absolute path another manager made and put the container's process in (systemd's
 * scope: --systemd-cgroup), whatever linux.cgroupsPath says: the missing hierarchies are made, limits
 * and device rules applied. rootless: hierarchies the caller may not write are left out, as without a
 * cgroupsPath (systemd delegates only the cgroup2 one to a user).
 */
int husk_cgroup_create_at(const struct husk_spec *spec, const char *path, bool rootless, struct husk_cgroup **ret,
                          struct husk_error **err);

/* Re-open an existing container's cgroup from the path recorded in its state. */
int husk_cgroup_open(const char *path, bool rootless, struct husk_cgroup **ret, struct husk_error **err);

/*
 * The resolved path ("/husk/web"), to record in state.json and give back to husk_cgroup_open.
 * When the path differs between hierarchies (relative cgroupsPath, husk itself in different
 * cgroups per controller) the differing ones follow, one per line: "/web\nmemory=/x/web".
 */
const char *husk_cgroup_path(const struct husk_cgroup *cg);

/* An O_PATH|O_DIRECTORY fd of the cgroup2 cgroup (pure v2, or hybrid's unified hierarchy) for
 * clone3 CLONE_INTO_CGROUP, or -1 (pure v1, or dropped). */
int husk_cgroup_clone_fd(const struct husk_cgroup *cg);

/* Whether CLONE_INTO_CGROUP into husk_cgroup_clone_fd places a process in every hierarchy (pure v2). */
bool husk_cgroup_clone_places_all(const struct husk_cgroup *cg);

/*
 * Whether a process may stay out of the cgroup2 cgroup when the kernel refuses to move it there (clone3
 * CLONE_INTO_CGROUP failing with EACCES or EPERM). True on hybrid hosts, whose cgroup2 hierarchy holds no
 * controllers, and, as runc's rootless cgroups, for an unprivileged caller when the cgroup carries no
 * limits and was not named by linux.cgroupsPath; a cgroup from husk_cgroup_open counts as unnamed, so a
 * rootless `exec` from outside the delegated subtree runs, as with runc, outside the container's cgroup.
 */
bool husk_cgroup_join_optional(const struct husk_cgroup *cg);

/*
 * Move the calling process, which must be single-threaded, into the cgroup of every v1
 * hierarchy (the cgroup2 one is joined by clone3 with husk_cgroup_clone_fd). Unlike
 * husk_cgroup_enter it costs no RCU grace period: called by the child right after clone3.
 *
 * With ret_memory_fd, a v1 hierarchy that holds the memory controller alone is left out: the
 * caller gets an O_CLOEXEC fd on its `tasks` file (-1 when there is nothing to join) and joins it
 * with husk_cgroup_enter_memory, or by writing "0" there itself, once its own set-up is done. What
 * the runtime faults in and allocates in the kernel until then is charged to the runtime's
 * cgroup, not counted against the container's memory limit. (On cgroup2, clone3 places the
 * process in all of its controllers at once.)
 */
int husk_cgroup_enter_self(struct husk_cgroup *cg, int *ret_memory_fd, struct husk_error **err);

/* Write "0" to the `tasks` fd from husk_cgroup_enter_self and close it; nothing when *fd < 0. */
int husk_cgroup_enter_memory(int *fd, struct husk_error **err);

/*
 * After husk_cgroup_enter_self (before its memory cgroup is joined, too): /proc/self/cgroup as it
 * reads, without a cgroup namespace, once the caller is in all its cgroups: husk's own lines
 * with the container's path for each hierarchy joined. The caller frees *ret.
 */
int husk_cgroup_member_lines(const struct husk_cgroup *cg, char **ret, struct husk_error **err);

/* Move pid into the cgroup in every hierarchy. */
int husk_cgroup_enter(struct husk_cgroup *cg, pid_t pid, struct husk_error **err);

/*
 * exec --cgroup: move pid into existing sub-cgroups of the container's. Each entry is
 * "path" (every hierarchy) or "ctrl[,ctrl]:path" (v1 hierarchies holding one of them);
 * paths are relative to the container's cgroup and cannot leave it.
 */
int husk_cgroup_enter_sub(struct husk_cgroup *cg, pid_t pid, char *const *subs, struct husk_error **err);

/*
 * Apply a resources block again: only what is set is written. Device rules are
 * replaced only when resources->devices_len > 0, and then they are the whole list on top of
 * deny-all (no default devices are added here, unlike husk_cgroup_create).
 */
int husk_cgroup_apply(struct husk_cgroup *cg, const struct husk_resources *resources, struct husk_error **err);
/*
 * `update`: husk_cgroup_apply, except that fields runc's update never writes (hugepageLimits, network, rdma,
 * blockIO but its weight, memory.swappiness and disableOOMKiller) are skipped, with a warning naming them, where
 * their controller is not available: clients (containerd, CRI) resend the whole linux.resources block with
 * every update, and one field this host cannot apply must not cost the rest.
 */
int husk_cgroup_update(struct husk_cgroup *cg, const struct husk_resources *resources, struct husk_error **err);

/* Freeze or thaw; husk_cgroup_is_frozen reports the current state (a v1 freeze under way counts as frozen). A thaw
 * that an ancestor cgroup's freeze outlasts is an error naming that cgroup. */
int husk_cgroup_freeze(struct husk_cgroup *cg, bool frozen, struct husk_error **err);
int husk_cgroup_is_frozen(struct husk_cgroup *cg, bool *ret, struct husk_error **err);

/* An error naming the ancestor cgroup whose freeze holds the container's frozen (the v1 freezer's or cgroup2's):
 * what neither pause nor resume can change. 0 when none does. */
int husk_cgroup_check_ancestors_thawed(struct husk_cgroup *cg, struct husk_error **err);

/* The directory of the cgroup that freezes it ("/sys/fs/cgroup/freezer/<path>", the cgroup2 one on v2),
 * as criu's --freeze-cgroup takes it; NULL when there is none. The caller frees it. */
char *husk_cgroup_freezer_dir(struct husk_cgroup *cg);

/* The same from a recorded path alone, reading one file (status derivation is on every command's path). As
 * runc, which waits for the freezer to settle, a v1 freeze under way (FREEZING) reads as frozen. */
int husk_cgroup_path_is_frozen(const char *path, bool *ret);

/* Pids in the cgroup and its descendants (for ps, kill --all); caller frees *ret. */
int husk_cgroup_pids(struct husk_cgroup *cg, pid_t **ret, size_t *ret_len, struct husk_error **err);

/*
 * Send sig to every process in the cgroup and its descendants (kill --all, and the leftovers destroy kills).
 * The cgroup is frozen while the list is read and signalled, so that no process forks past it, then thawed;
 * one that was frozen already (paused) stays so, except for SIGKILL, which frozen v1 tasks only act on once
 * thawed. SIGKILL on cgroup v2 goes through cgroup.kill. The caller's own pid is skipped.
 */
int husk_cgroup_signal_all(struct husk_cgroup *cg, int sig, struct husk_error **err);

/*
 * Does the kernel schedule real-time groups (cpu.rt_runtime_us, v1) and give this cgroup no real-time
 * time at all? A SCHED_FIFO or SCHED_RR process there gets EPERM.
 */
bool husk_cgroup_lacks_rt_runtime(struct husk_cgroup *cg);

/* Was the OOM killer triggered in this cgroup (memory.events oom_kill, memory.oom_control)? */
int husk_cgroup_oom_killed(struct husk_cgroup *cg, bool *ret, struct husk_error **err);

/*
 * After a SIGKILL: SIGKILL what is in every sub-cgroup of the container's v1 freezer cgroup and thaw it. A
 * container with a writable cgroup mount can freeze a sub-cgroup of its own, which a thaw of its cgroup leaves
 * frozen (freezer.self_freezing), and a v1-frozen task dies only once thawed: until then the init of its pid
 * namespace cannot finish exiting, nor the cgroup go. Without sub-cgroups it costs one opendir; nothing on
 * cgroup v2, whose frozen tasks die of SIGKILL.
 */
void husk_cgroup_kill_thaw_descendants(struct husk_cgroup *cg);

/*
 * Kill what is left (husk_cgroup_signal_all with SIGKILL), then remove the cgroup and any
 * sub-cgroups in every hierarchy, retrying with a short backoff while busy (and, once busy, killing and
 * thawing the sub-cgroups with husk_cgroup_kill_thaw_descendants). Directories already
 * gone are fine. The parents of the container's cgroup stay, as with runc.
 */
int husk_cgroup_destroy(struct husk_cgroup *cg, struct husk_error **err);

/*
 * Statistics for `events --stats`, with runc's meaning per field. Values are the kernel's, unconverted
 * except for units (ns) and v2 names mapped to v1's; a file the host lacks leaves its fields 0. Memory
 * limits are what the file says: v1's "unlimited" is PAGE_COUNTER_MAX pages (9223372036854771712 with
 * 4k pages), v2's "max" is UINT64_MAX, as runc reports them. pids.limit 0 is unlimited (runc's choice).
 */
struct husk_cgroup_blkio_entry {
        uint64_t major, minor;
        char op[8]; /* "Read", "Write", "Sync", "Async", "Discard", "Total"; "" for single-value files */
        uint64_t value;
};

/* runc's blkio tables, in its JSON order; v2's io.stat fills only the first two. */
enum husk_cgroup_blkio_table {
        HUSK_BLKIO_SERVICE_BYTES = 0, /* ioServiceBytesRecursive */
        HUSK_BLKIO_SERVICED,          /* ioServicedRecursive */
        HUSK_BLKIO_QUEUED,            /* ioQueueRecursive */
        HUSK_BLKIO_SERVICE_TIME,      /* ioServiceTimeRecursive */
        HUSK_BLKIO_WAIT_TIME,         /* ioWaitTimeRecursive */
        HUSK_BLKIO_MERGED,            /* ioMergedRecursive */
        HUSK_BLKIO_TIME,              /* ioTimeRecursive */
        HUSK_BLKIO_SECTORS,           /* sectorsRecursive */
        HUSK_BLKIO_TABLE_COUNT,
};

struct husk_cgroup_hugetlb_stats {
        char page_size[24]; /* "2MB", "1GB" */
        uint64_t usage, max_usage, failcnt;
};

struct husk_cgroup_stat_value {
        char *key;
        uint64_t value;
};

/* A <resource>.pressure file (cgroup2, kernel 4.20+): "some" and "full" lines. */
struct husk_cgroup_psi_line {
        double avg10, avg60, avg300; /* percent */
        uint64_t total;              /* microseconds stalled */
};
struct husk_cgroup_psi {
        bool present; /* the file was read */
        struct husk_cgroup_psi_line some, full;
};

/* A cpuset list ("0-3,8") expanded, as runc's []uint16. */
struct husk_cgroup_cpu_list {
        uint16_t *ids;
        size_t len;
};

struct husk_cgroup_stats {
        struct {
                uint64_t total_ns, user_ns, kernel_ns;
                /* v1 only: cpuacct.usage_percpu, and cpuacct.usage_all's user and system columns */
                uint64_t *percpu_ns, *percpu_user_ns, *percpu_kernel_ns;
                size_t percpu_len, percpu_user_len, percpu_kernel_len;
                uint64_t periods, throttled_periods, throttled_ns;
                struct husk_cgroup_psi psi;
        } cpu;
        struct {
                struct husk_cgroup_cpu_list cpus, mems;
                struct husk_cgroup_cpu_list effective_cpus, effective_mems; /* beyond runc: what the kernel grants */
                /* v1 only (cgroup2 has no such files): the cpuset.* flags */
                uint64_t cpu_exclusive, mem_hardwall, mem_exclusive, memory_migrate, memory_spread_page,
                    memory_spread_slab, memory_pressure, sched_load_balance;
                int64_t sched_relax_domain_level;
        } cpuset;
        struct {
                uint64_t usage, max_usage, limit, failcnt;
                uint64_t swap_usage, swap_max_usage, swap_limit, swap_failcnt; /* memory+swap, as v1 counts */
                uint64_t kernel_usage, kernel_max_usage, kernel_limit, kernel_failcnt;         /* v1 memory.kmem.* */
                uint64_t kernel_tcp_usage, kernel_tcp_max_usage, kernel_tcp_limit, kernel_tcp_failcnt; /* kmem.tcp */
                uint64_t cache;
                struct husk_cgroup_stat_value *raw; /* memory.stat */
                size_t raw_len;
                struct husk_cgroup_psi psi;
        } memory;
        struct {
                uint64_t current, limit; /* limit 0: unlimited */
        } pids;
        struct {
                struct husk_cgroup_blkio_entry *entries[HUSK_BLKIO_TABLE_COUNT];
                size_t len[HUSK_BLKIO_TABLE_COUNT];
                struct husk_cgroup_psi psi;
        } blkio;
        struct husk_cgroup_hugetlb_stats *hugetlb;
        size_t hugetlb_len;
};

int husk_cgroup_stats(struct husk_cgroup *cg, struct husk_cgroup_stats *ret, struct husk_error **err);
void husk_cgroup_stats_done(struct husk_cgroup_stats *stats);

/* Parsers of stats files, exposed for unit tests. A cpuset list: "" is empty, ids above 65535 are EINVAL. */
int husk_cgroup_parse_cpu_list(const char *text, struct husk_cgroup_cpu_list *ret, struct husk_error **err);
/* One pressure file's text into *ret (present set); lines other than some/full are ignored. */
int husk_cgroup_parse_psi(const char *text, struct husk_cgroup_psi *ret, struct husk_error **err);

void husk_cgroup_free(struct husk_cgroup *cg);
void husk_cgroup_freep(struct husk_cgroup **cg);
