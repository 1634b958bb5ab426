/* config.json (runtime-spec 1.2, plus 1.3's netDevices and memoryPolicy) as typed, validated structs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/error.h"

/* A NULL-terminated array of strings; NULL when the field is absent. */
typedef char **husk_strv;

/* A key/value pair of a JSON object of strings (annotations, sysctl, unified). */
struct husk_kv {
        char *key;
        char *value;
};

struct husk_kv_list {
        struct husk_kv *items;
        size_t len;
};

/* ---- process ---- */

struct husk_rlimit {
        int resource; /* RLIMIT_* */
        uint64_t soft;
        uint64_t hard;
};

/* Capability sets as bitmasks of CAP_* numbers (bit n = capability n). */
struct husk_capabilities {
        bool present; /* process.capabilities was given */
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct husk_user {
        uid_t uid;
        gid_t gid;
        bool has_umask;
        mode_t umask;
        gid_t *additional_gids;
        size_t additional_gids_len;
        char *username; /* Windows only; kept for completeness */
};

struct husk_scheduler {
        bool present;
        int policy; /* SCHED_* */
        int nice;
        int priority;
        uint64_t flags; /* SCHED_FLAG_* */
        uint64_t runtime, deadline, period;
};
/* The kernel's SCHED_FLAG_RESET_ON_FORK (no glibc header has it). */
#define HUSK_SCHED_FLAG_RESET_ON_FORK 0x01

struct husk_io_priority {
        bool present;
        int ioprio_class; /* IOPRIO_CLASS_RT=1, BE=2, IDLE=3 */
        int priority;
};

struct husk_cpu_affinity {
        char *initial; /* cpu list strings as in the spec ("0-3,7"), NULL when absent */
        char *final;
};

struct husk_process {
        bool terminal;
        bool has_console_size;
        unsigned int console_height, console_width;
        struct husk_user user;
        husk_strv args;     /* required, non-empty on Linux */
        char *command_line; /* Windows only */
        husk_strv env;
        char *cwd; /* required, absolute */
        struct husk_capabilities capabilities;
        struct husk_rlimit *rlimits;
        size_t rlimits_len;
        bool no_new_privileges;
        char *apparmor_profile;
        bool has_oom_score_adj;
        int oom_score_adj;
        struct husk_scheduler scheduler;
        char *selinux_label;
        struct husk_io_priority io_priority;
        struct husk_cpu_affinity exec_cpu_affinity;
};

/* ---- root, mounts ---- */

struct husk_id_mapping {
        uint32_t container_id;
        uint32_t host_id;
        uint32_t size;
};

struct husk_id_mappings {
        struct husk_id_mapping *items;
        size_t len;
};

/* Mount propagation kinds used by options and rootfsPropagation. */
enum husk_propagation {
        HUSK_PROPAGATION_NONE = 0,
        HUSK_PROPAGATION_SHARED,
        HUSK_PROPAGATION_SLAVE,
        HUSK_PROPAGATION_PRIVATE,
        HUSK_PROPAGATION_UNBINDABLE,
};

struct husk_mount {
        char *destination; /* required; a relative one (deprecated by the spec) is made absolute by prefixing "/" */
        char *type;        /* NULL when absent */
        char *source;      /* NULL when absent */
        husk_strv options; /* as given */

        /* options parsed: */
        unsigned long flags;               /* MS_* to set (MS_RDONLY, MS_NOSUID, ..., MS_BIND, MS_REC for rbind) */
        unsigned long clear_flags;         /* MS_* explicitly cleared (rw, suid, dev, exec, ...); never also in flags */
        bool bind;                         /* bind or rbind */
        bool recursive;                    /* rbind */
        enum husk_propagation propagation; /* the last propagation option; NONE when there is none */
        bool propagation_recursive;        /* it was the r-form (rshared, rslave, ...) */
        /* MOUNT_ATTR_* for mount_setattr(AT_RECURSIVE) from rro, rnosuid, rnodev, rnoexec, rnosymfollow,
         * rnodiratime and the atime forms; an atime form also puts MOUNT_ATTR__ATIME in rec_attr_clr, as the
         * kernel requires. A negative form (rrw, rsuid, ...) clears: bit in rec_attr_clr, not in rec_attr_set. */
        uint64_t rec_attr_set;
        uint64_t rec_attr_clr;
        bool idmap;                  /* idmap or ridmap */
        bool idmap_recursive;        /* ridmap */
        bool loop;                   /* run_oci: source is an image file */
        bool tmpcopyup;              /* runc/crun extension: copy what is under the tmpfs mountpoint into it */
        bool source_made_later;      /* not in config.json: a directory husk makes in the state dir (NOTIFY_SOCKET) */
        bool copy_symlink_only_mode; /* reserved */
        char *data;                  /* other options (mode=755, size=...) joined with ',' (NULL when none) */
        struct husk_id_mappings uid_mappings;
        struct husk_id_mappings gid_mappings;
        bool perform_in_intermediate_namespace; /* run_oci extension */
        /* run_oci mode only, set by its front end: a "bind" entry without bind or rbind, whose type it clears. It
         * mounts nothing and changes the propagation and per-mount flags of the mount already on destination. */
        bool change_only;
};

struct husk_root {
        char *path; /* as given: relative to the bundle or absolute */
        bool readonly;
};

/* ---- hooks ---- */

struct husk_hook {
        char *path; /* required, absolute */
        husk_strv args;
        husk_strv env;
        bool has_timeout;
        int timeout; /* seconds, > 0 */
};

struct husk_hook_list {
        struct husk_hook *items;
        size_t len;
};

struct husk_hooks {
        struct husk_hook_list prestart, create_runtime, create_container, start_container, poststart, poststop;
        /* run_oci extensions, run by its front end alone (runc ignores them): a list that does not parse is
         * left empty, its message kept in run_oci_error for the front end to refuse the config with. */
        struct husk_hook_list precreate, prechroot;
        char *run_oci_error;
};

/* ---- linux ---- */

enum husk_ns_type {
        HUSK_NS_PID = 0,
        HUSK_NS_NETWORK,
        HUSK_NS_MOUNT,
        HUSK_NS_IPC,
        HUSK_NS_UTS,
        HUSK_NS_USER,
        HUSK_NS_CGROUP,
        HUSK_NS_TIME,
        HUSK_NS_COUNT,
};

struct husk_namespace {
        enum husk_ns_type type;
        char *path; /* NULL: create a new one */
};

struct husk_device {
        char type; /* 'c', 'b', 'u' or 'p' */
        char *path;
        int64_t major, minor; /* required for c, b, u */
        bool has_file_mode;
        mode_t file_mode;
        bool has_uid;
        uid_t uid;
        bool has_gid;
        gid_t gid;
};

/* The file type a device of this type is: 'b' a block device, 'p' a fifo, 'c' and 'u' a character device. */
static inline mode_t husk_device_kind(char type)
{
        return type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
}

/* The largest uid or gid a config or a command line may name: (uid_t)-1 is "leave unchanged" to
 * setresuid(), fchown()... */
#define HUSK_ID_MAX (UINT32_MAX - 1)

struct husk_time_offset {
        bool present;
        int64_t secs;
        uint32_t nanosecs;
};

struct husk_net_device {
        char *host_name; /* the key of linux.netDevices */
        char *name;      /* new name in the container; NULL keeps host_name */
};

/* resources */

struct husk_device_cgroup_rule {
        bool allow;
        char type;            /* 'a', 'c', 'b' (default 'a') */
        int64_t major, minor; /* -1 = wildcard */
        char access[4];       /* subset of "rwm" in that order; absent or "" in the config gives "rwm" */
};

struct husk_memory {
        bool present;
        bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
        int64_t limit, reservation, swap, kernel, kernel_tcp;
        uint64_t swappiness; /* 0..100; 2^64-1 (Docker's -1, "unset") leaves has_swappiness false */
        bool has_disable_oom_killer, disable_oom_killer;
        bool has_use_hierarchy, use_hierarchy;
        bool has_check_before_update, check_before_update;
};

struct husk_cpu {
        bool present;
        bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime, has_realtime_period, has_idle;
        uint64_t shares;
        int64_t quota;
        uint64_t burst;
        uint64_t period;
        int64_t realtime_runtime;
        uint64_t realtime_period;
        char *cpus;
        char *mems;
        int64_t idle;
};

struct husk_weight_device {
        int64_t major, minor;
        bool has_weight, has_leaf_weight;
        uint16_t weight, leaf_weight;
};

struct husk_throttle_device {
        int64_t major, minor;
        uint64_t rate;
};

struct husk_throttle_list {
        struct husk_throttle_device *items;
        size_t len;
};

struct husk_block_io {
        bool present;
        bool has_weight, has_leaf_weight;
        uint16_t weight, leaf_weight;
        struct husk_weight_device *weight_devices;
        size_t weight_devices_len;
        struct husk_throttle_list throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;
};

struct husk_hugepage_limit {
        char *page_size; /* "2MB", "1GB" */
        uint64_t limit;
};

struct husk_net_priority {
        char *name;
        uint32_t priority;
};

struct husk_network_resources {
        bool present;
        bool has_class_id;
        uint32_t class_id;
        struct husk_net_priority *priorities;
        size_t priorities_len;
};

struct husk_rdma_limit {
        char *device; /* key of the rdma object */
        bool has_hca_handles, has_hca_objects;
        uint32_t hca_handles, hca_objects;
};

struct husk_resources {
        bool present;
        struct husk_device_cgroup_rule *devices;
        size_t devices_len;
        struct husk_memory memory;
        struct husk_cpu cpu;
        bool has_pids_limit;
        int64_t pids_limit; /* <= 0 means unlimited, as runc does */
        struct husk_block_io block_io;
        struct husk_hugepage_limit *hugepage_limits;
        size_t hugepage_limits_len;
        struct husk_network_resources network;
        struct husk_rdma_limit *rdma;
        size_t rdma_len;
        struct husk_kv_list unified;
};

struct husk_intel_rdt {
        bool present;
        char *clos_id;
        char *l3_cache_schema;
        char *mem_bw_schema;
        husk_strv schemata;
        bool enable_cmt, enable_mbm, enable_monitoring;
};

/* seccomp */

enum husk_seccomp_action {
        HUSK_SECCOMP_KILL = 0, /* SCMP_ACT_KILL (= KILL_THREAD) */
        HUSK_SECCOMP_KILL_PROCESS,
        HUSK_SECCOMP_KILL_THREAD,
        HUSK_SECCOMP_TRAP,
        HUSK_SECCOMP_ERRNO,
        HUSK_SECCOMP_TRACE,
        HUSK_SECCOMP_ALLOW,
        HUSK_SECCOMP_LOG,
        HUSK_SECCOMP_NOTIFY,
};

enum husk_seccomp_op {
        HUSK_SECCOMP_OP_NE = 0,
        HUSK_SECCOMP_OP_LT,
        HUSK_SECCOMP_OP_LE,
        HUSK_SECCOMP_OP_EQ,
        HUSK_SECCOMP_OP_GE,
        HUSK_SECCOMP_OP_GT,
        HUSK_SECCOMP_OP_MASKED_EQ,
};

struct husk_seccomp_arg {
        unsigned int index;
        uint64_t value;
        uint64_t value_two;
        enum husk_seccomp_op op;
};

struct husk_seccomp_syscall {
        husk_strv names;
        enum husk_seccomp_action action;
        bool has_errno_ret;
        unsigned int errno_ret;
        struct husk_seccomp_arg *args;
        size_t args_len;
};

/* seccomp.flags */
#define HUSK_SECCOMP_FLAG_LOG (1u << 0)
#define HUSK_SECCOMP_FLAG_SPEC_ALLOW (1u << 1)
#define HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV (1u << 2)
#define HUSK_SECCOMP_FLAG_TSYNC (1u << 3) /* in the schema; meaningless for husk (no threads) */

struct husk_seccomp {
        bool present;
        enum husk_seccomp_action default_action;
        bool has_default_errno_ret;
        unsigned int default_errno_ret;
        husk_strv architectures; /* validated SCMP_ARCH_* names */
        unsigned int flags;      /* HUSK_SECCOMP_FLAG_* */
        char *listener_path;
        char *listener_metadata;
        struct husk_seccomp_syscall *syscalls;
        size_t syscalls_len;
        /* husk_spec_parse leaves the rules as text, `{"syscalls": <their array>}`, until
         * husk_seccomp_load_syscalls (which building a filter calls): a filter from the cache, keyed
         * on this text, never needs them. NULL once loaded, or when there are none. */
        char *syscalls_json;
        size_t syscalls_json_len;
        char *syscalls_source; /* the document's name, for errors */
};

/* Parse the rules husk_spec_parse left as text into syscalls, with the errors it would have given
 * (`config.json: linux.seccomp.syscalls[3].names: must not be empty`); nothing to do when loaded. */
int husk_seccomp_load_syscalls(struct husk_seccomp *seccomp, struct husk_error **err);

struct husk_personality {
        bool present;
        unsigned long domain; /* PER_LINUX or PER_LINUX32 */
        husk_strv flags;
};

struct husk_memory_policy {
        bool present;
        int mode;           /* MPOL_* */
        char *nodes;        /* node list string ("0-3,7"), NULL when absent */
        unsigned int flags; /* MPOL_F_* */
};

struct husk_linux {
        struct husk_namespace *namespaces;
        size_t namespaces_len;
        struct husk_id_mappings uid_mappings;
        struct husk_id_mappings gid_mappings;
        struct husk_time_offset time_boottime, time_monotonic;
        struct husk_device *devices;
        size_t devices_len;
        struct husk_net_device *net_devices;
        size_t net_devices_len;
        char *cgroups_path;
        bool has_rootfs_propagation;
        enum husk_propagation rootfs_propagation;
        bool rootfs_propagation_recursive; /* "rshared" etc. */
        struct husk_resources resources;
        struct husk_intel_rdt intel_rdt;
        struct husk_kv_list sysctl;
        struct husk_seccomp seccomp;
        husk_strv masked_paths;
        husk_strv readonly_paths;
        char *mount_label;
        struct husk_personality personality;
        struct husk_memory_policy memory_policy;
        /* run_oci extensions, judged by its front end alone (the rest of husk ignores them, as runc does);
         * a value of another type than run_oci reads leaves the string or list NULL. */
        bool alt_syscall_given;     /* linux.altSyscall is there */
        char *alt_syscall;          /* its name */
        bool skip_securebits_given; /* linux.skipSecurebits is there */
        husk_strv skip_securebits;  /* its names, when all are strings */
};

struct husk_spec {
        char *oci_version; /* required */
        struct husk_root root;
        struct husk_mount *mounts;
        size_t mounts_len;
        bool has_process;
        struct husk_process process;
        char *hostname;
        char *domainname;
        struct husk_hooks hooks;
        struct husk_kv_list annotations;
        bool has_linux;
        struct husk_linux linux_;
};

/*
 * Parse config.json text (len bytes, need not be NUL-terminated) into *ret, validating every
 * field before anything on the host changes; linux.seccomp.syscalls only as JSON, its rules when a
 * filter is built from them (husk_seccomp_load_syscalls; create does that before it changes anything
 * either). On failure *ret is untouched, nothing is leaked,
 * and *err is one line naming the JSON path, e.g.
 *   `config.json: process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"`
 * or, for malformed JSON, `config.json: line 3, column 5: <jansson's text>`.
 * `source` is the prefix of messages (NULL: "config.json"). Unknown fields are ignored and a
 * JSON null is the same as an absent field, as with runc (Go's decoder).
 */
int husk_spec_parse(const char *text, size_t len, const char *source, struct husk_spec **ret, struct husk_error **err);

/*
 * A caller that knows rules: rules_known(seccomp, data) is asked, once the config is read, whether
 * seccomp->syscalls_json is a text that an earlier husk_spec_parse of the same husk read in full at
 * the same place, so that it is valid JSON (the seccomp cache: an entry is stored only after its
 * rules were parsed). Then the parse never checks those rules' bytes and only finds where they end;
 * otherwise it reads the document again, checked, and fails exactly as husk_spec_parse does.
 */
struct husk_spec_parse_options {
        bool (*rules_known)(const struct husk_seccomp *seccomp, void *data);
        void *data;
};
/* husk_spec_parse with options (NULL: none). */
int husk_spec_parse_with(const char *text, size_t len, const char *source, const struct husk_spec_parse_options *opts,
                         struct husk_spec **ret, struct husk_error **err);

/* Read the file with one read (regular files) and parse it; the prefix is its base name. */
int husk_spec_load(const char *path, struct husk_spec **ret, struct husk_error **err);
/* The same with options (may be NULL), also handing back the text it parsed (NUL-terminated, the
 * caller's to free). */
int husk_spec_load_text(const char *path, const struct husk_spec_parse_options *opts, struct husk_spec **ret,
                        char **ret_text, size_t *ret_len, struct husk_error **err);

/* Parse a process object alone (exec --process FILE) with the same rules; the prefix names the document. */
int husk_process_parse(const char *text, size_t len, const char *source, struct husk_process **ret,
                       struct husk_error **err);

/* Parse a linux.resources object alone (update --resources FILE) with the same rules. */
int husk_resources_parse(const char *text, size_t len, const char *source, struct husk_resources **ret,
                         struct husk_error **err);

/* Free everything the parser allocated; NULL is fine. The *p forms also set *p to NULL. */
void husk_spec_free(struct husk_spec *spec);
void husk_spec_freep(struct husk_spec **spec);
void husk_process_free(struct husk_process *process);
/* Free what a process holds, not the struct itself (a process embedded in a spec). */
void husk_process_clear(struct husk_process *process);
void husk_process_freep(struct husk_process **process);
void husk_resources_free(struct husk_resources *resources);
void husk_resources_freep(struct husk_resources **resources);

/* Lookups used by the kernel-facing code and the CLI. */
const char *husk_ns_type_name(enum husk_ns_type type); /* "pid", "network", ... */
int husk_ns_type_from_name(const char *name);          /* "pid" -> HUSK_NS_PID; -1 when unknown */
const struct husk_namespace *husk_spec_namespace(const struct husk_spec *spec, enum husk_ns_type type);

/* Set NAME=VALUE (entry) in process.env, replacing an earlier NAME. */
int husk_spec_env_set(struct husk_spec *spec, const char *entry, struct husk_error **err);

/* Append the mount {"type": "bind", "source": SOURCE, "destination": DESTINATION, "options": OPTIONS} as the
 * parser reads it, for front ends that add mounts (run_oci's --bind_mount, NOTIFY_SOCKET). OPTIONS: a
 * NULL-terminated list of mount options without data ("bind", "ro", "nosuid", ...). */
int husk_spec_append_bind_mount(struct husk_spec *spec, const char *source, const char *destination,
                                const char *const *options, struct husk_error **err);

int husk_capability_from_name(const char *name); /* "CAP_CHOWN" -> 0; -1 when unknown */
const char *husk_capability_name(int cap);       /* NULL when unknown */
int husk_capability_last_known(void);            /* highest CAP_* number husk knows */
int husk_rlimit_from_name(const char *name);     /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 */
const char *husk_rlimit_name(int resource);
