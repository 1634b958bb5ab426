/* Container state on disk: <root>/<id>/ with state.json (atomic) and exec.sock, plus status derivation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

enum husk_status {
        HUSK_STATUS_CREATING = 0,
        HUSK_STATUS_CREATED,
        HUSK_STATUS_RUNNING,
        HUSK_STATUS_PAUSED,
        HUSK_STATUS_STOPPED,
};

#define HUSK_STATE_FILE "state.json"
/* The created init listens here until `start`; its presence means "created". */
#define HUSK_EXEC_SOCKET "exec.sock"
/* The same socket (a plain file for `run`) until the init is ready: its presence means "creating", and
 * nothing may exec into or start the container yet. Renamed to HUSK_EXEC_SOCKET once the init is ready. */
#define HUSK_CREATING_MARK "creating"
/* The resolved cgroup path alone, so delete --force can clean up when state.json is unreadable. */
#define HUSK_CGROUP_FILE "cgroup"
/* The config the container was created from, for exec's defaults (the bundle may change). */
#define HUSK_CONFIG_COPY "config.json"
/* NOTIFY_SOCKET (notify.h): the directory bound on the container's /run/notify, and its socket. */
#define HUSK_NOTIFY_DIR "notify"
#define HUSK_NOTIFY_SOCKET HUSK_NOTIFY_DIR "/notify.sock"

struct husk_state {
        char *oci_version;
        char *id;
        pid_t pid;                /* host pid of the init process, 0 before it exists */
        uint64_t pid_start_time;  /* field 22 of /proc/<pid>/stat, guards against pid reuse */
        enum husk_status status;  /* derived by husk_state_refresh, never trusted from disk */
        char *bundle;
        char *rootfs;
        char *created;            /* RFC 3339 with nanoseconds, UTC */
        uid_t owner_uid;
        struct husk_kv_list annotations;
        char *cgroup_path;        /* NULL when the container has no cgroup */
        bool rootless;
        bool foreground;          /* created by `run` without --detach: released by run itself, not `start` */
        bool no_pivot;            /* --no-pivot: exec must chroot to the init's root */
        bool intel_rdt;           /* linux.intelRdt was applied: delete removes its groups */
        bool shared_pidns;        /* no pid namespace of its own: SIGKILL goes to every process of its cgroup */
        char *session_keyring;    /* the container's session keyring, which exec joins; NULL: --no-new-keyring */
        char *systemd_unit;       /* --systemd-cgroup: the container's scope unit, stopped by delete */
        struct husk_hook_list poststart, poststop; /* the hooks that run after create has returned */
};

const char *husk_status_name(enum husk_status status);

/* Ids: non-empty, at most 1024 bytes, no '/', not "." or "..", no NUL or control characters: safe as a file name.
 * The runc front end narrows that to runc's characters (cli_expect_id); run_oci mode does not. */
int husk_id_validate(const char *id, struct husk_error **err);

/* The state root itself (0700, missing parents 0755), as runc makes --root on first use. */
int husk_state_root_create(const char *root, struct husk_error **err);

/* Create <root>/<id> exclusively and lock it; "container `id` already exists" when taken. */
int husk_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct husk_error **err);

/* Open (and, with lock, flock) <root>/<id>; "container `id` does not exist" when absent. With lock, -EBUSY
 * without waiting when a create still holds it ("still being created"). */
int husk_state_dir_open(const char *root, const char *id, bool lock, int *ret_dirfd, struct husk_error **err);
/* Open and lock <root>/<id>, waiting also for a create still at work to end (delete --force). */
int husk_state_dir_open_wait(const char *root, const char *id, int *ret_dirfd, struct husk_error **err);

/* Remove the state dir's files and the dir itself. */
int husk_state_dir_remove(const char *root, const char *id, int dirfd, struct husk_error **err);

int husk_state_write(int dirfd, const struct husk_state *state, struct husk_error **err);

/* Record / read back the cgroup path in HUSK_CGROUP_FILE (*ret NULL when there is none). */
int husk_state_write_cgroup(int dirfd, const char *path, struct husk_error **err);
int husk_state_read_cgroup(int dirfd, char **ret);
int husk_state_read(int dirfd, const char *id, struct husk_state **ret, struct husk_error **err);

/* The config the container was created from (HUSK_CONFIG_COPY), parsed (opts: husk_spec_parse_with's, may be NULL). */
int husk_state_read_config(int dirfd, const struct husk_spec_parse_options *opts, struct husk_spec **ret,
                           struct husk_error **err);

/* Open (and with lock, flock) <root>/<id>, read its state and derive the status. */
int husk_state_load(const char *root, const char *id, bool lock, int *ret_dirfd, struct husk_state **ret,
                    struct husk_error **err);

/* Derive status from the live process (pid + start time), the exec socket and the cgroup freezer. */
void husk_state_refresh(int dirfd, struct husk_state *state);

/* The OCI state document (ociVersion, id, status, pid, bundle, annotations...) as JSON text. */
char *husk_state_oci_json(const struct husk_state *state, bool pretty);
/* The same with an owner (runc's `list -f json` names the user; `state` leaves it empty). */
char *husk_state_oci_json_owner(const struct husk_state *state, const char *owner, bool pretty);

/* A pidfd on the container's init, or -1 when that process is gone: opened first, then its start time checked
 * again, so that the fd never refers to another process that got the pid since. */
int husk_state_init_pidfd(const struct husk_state *state);

/* Start time of a live pid, 0 when the process is gone or a zombie. */
uint64_t husk_proc_start_time(pid_t pid);

/* The pid as the process sees itself (the last NSpid field), or pid itself when that cannot be read. */
pid_t husk_proc_ns_pid(pid_t pid);

void husk_state_free(struct husk_state *state);
void husk_state_freep(struct husk_state **state);

/* RFC 3339 timestamp with nanoseconds for "created". */
char *husk_timestamp_now(void);
