/* libhusk's public lifecycle API: what the CLI and the shim call. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "container/state.h"
#include "spec/spec.h"
#include "util/error.h"

/* Global options (runc's --root, --rootless, --systemd-cgroup). */
struct husk_runtime {
        const char *root; /* state root; husk_runtime_default_root() when NULL */
        bool rootless;
        bool systemd_cgroup;
        const char *criu; /* the criu binary checkpoint and restore run (--criu); NULL: `criu` on PATH */
};

struct husk_create_options {
        const char *bundle;         /* NULL: the current directory */
        const char *pid_file;       /* written as a bare integer, no newline */
        const char *console_socket; /* unix socket receiving the pty master */
        const char *pidfd_socket;   /* unix socket receiving a pidfd of the init (SCM_RIGHTS) */
        bool no_pivot;
        bool no_new_keyring;
        int preserve_fds;           /* fds 3 .. 3+N-1 pass to the container */
        bool detach;                /* run -d */
        bool keep;                  /* run --keep: do not delete after exit */
        /* The caller's NOTIFY_SOCKET (runc reads it from the environment): the container gets a socket of
         * its own at /run/notify/notify.sock, and run passes its READY=1 on (notify.h). NULL: none. */
        const char *notify_socket;

        /* Called once config.json is parsed, before anything on the host changes: front ends
         * that extend the config (run_oci's --bind_mount, the shim) edit the spec here. Not
         * linux.seccomp: its filter may have been taken from the cache while the config was read. */
        int (*edit_spec)(struct husk_spec *spec, void *data, struct husk_error **err);
        void *edit_spec_data;
};

const char *husk_runtime_default_root(void);
/* --rootless auto: an unprivileged caller, or root of a user namespace other than the host's (with
 * systemd_cgroup: unless $USER is root), runc's rule. */
bool husk_runtime_rootless_auto(bool systemd_cgroup);
/* rt->root, or the default. */
const char *husk_runtime_root(const struct husk_runtime *rt);

int husk_container_create(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                          struct husk_error **err);
/* notify_socket: the caller's NOTIFY_SOCKET, or NULL. With it, and a container created with one, start
 * returns once the container said READY=1 (passed on there) or its init exited. */
int husk_container_start(const struct husk_runtime *rt, const char *id, const char *notify_socket,
                         struct husk_error **err);

/*
 * create + start + wait: returns the container's exit status in *ret_status (128+N for signal N),
 * forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH, then deletes it
 * (unless keep). With opts->detach it returns after start, *ret_status = 0.
 */
int husk_container_run(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                       int *ret_status, struct husk_error **err);

int husk_container_kill(const struct husk_runtime *rt, const char *id, int signal, bool all, struct husk_error **err);
int husk_container_delete(const struct husk_runtime *rt, const char *id, bool force, struct husk_error **err);

/* The container's state with its derived status; free with husk_state_free. A state dir without its state
 * (a create not that far yet, or one that died first) "does not exist". */
int husk_container_state(const struct husk_runtime *rt, const char *id, struct husk_state **ret,
                         struct husk_error **err);

/* Every container under the root, sorted by id. */
int husk_container_list(const struct husk_runtime *rt, struct husk_state ***ret, size_t *ret_len,
                        struct husk_error **err);
void husk_state_list_free(struct husk_state **list, size_t len);

/* What checkpoint and restore both take (runc's flags of the same names), passed on to criu. */
struct husk_criu_options {
        const char *image_path;          /* required; checkpoint makes it (0700) when missing */
        const char *work_path;           /* criu's log and work files; NULL: the image directory */
        const char *manage_cgroups_mode; /* soft, full, strict or ignore; NULL: criu's default (soft) */
        const char *empty_ns;            /* "network": make the namespace, leave it to a hook to fill */
        bool tcp_established;
        bool ext_unix_sk;
        bool shell_job;
        bool file_locks;
        bool auto_dedup;
        bool lazy_pages;
};

/* checkpoint: runc's flags (checkpoint.c). */
struct husk_checkpoint_options {
        struct husk_criu_options criu;
        const char *parent_path; /* a pre-dump to build on (criu --prev-images-dir) */
        const char *page_server; /* ADDRESS:PORT of a criu page server */
        int status_fd;           /* --lazy-pages: fd told (a \0) when the page server is ready; -1 */
        bool leave_running;
        bool tcp_skip_in_flight;
        bool link_remap;
        bool pre_dump;
};

/*
 * Checkpoint a running (or paused) container with criu into opts->image_path. Unless it leaves it
 * running or only pre-dumps, the container is then gone, as after `delete`.
 */
int husk_container_checkpoint(const struct husk_runtime *rt, const char *id,
                              const struct husk_checkpoint_options *opts, struct husk_error **err);

/* restore: a new container `id` from a bundle and a checkpoint (restore.c). */
struct husk_restore_options {
        struct husk_criu_options criu;
        const char *bundle; /* NULL: the current directory */
        const char *pid_file;
        const char *console_socket;
        const char *lsm_profile;       /* TYPE:NAME for the restored processes */
        const char *lsm_mount_context; /* SELinux context for mounts */
        bool detach;                   /* return once restored; else wait, forward signals, delete */
};

/*
 * With opts->detach *ret_status is 0; otherwise as husk_container_run. The config's prestart and
 * createRuntime hooks run once criu has made the namespaces, given the restored init's pid, as runc
 * runs them: criu calls `husk --root ROOT HUSK_CRIU_HOOK_COMMAND ID` as its action script.
 */
int husk_container_restore(const struct husk_runtime *rt, const char *id, const struct husk_restore_options *opts,
                           int *ret_status, struct husk_error **err);

#define HUSK_CRIU_HOOK_COMMAND "criu-action-script"

/* That action script: for criu's `setup-namespaces` (action, from CRTOOLS_SCRIPT_ACTION), run the
 * hooks of the container being restored with init_pid (CRTOOLS_INIT_PID); other actions do nothing. */
int husk_container_restore_action(const struct husk_runtime *rt, const char *id, const char *action, pid_t init_pid,
                                  struct husk_error **err);
