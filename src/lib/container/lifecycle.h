/* What create, run and the init process share while a container is being made. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "cgroup/systemd.h"
#include "container/container.h"
#include "container/state.h"
#include "linux/idmap-mount.h"
#include "linux/namespaces.h"
#include "linux/seccomp-filter.h"
#include "spec/spec.h"
#include "util/syscalls.h"

struct husk_launch {
        const struct husk_runtime *rt;
        const struct husk_create_options *opts;
        const char *root;
        const char *id;
        bool foreground;        /* run without --detach: released over the sync socket, no exec socket */
        bool signals_forwarded; /* husk_forward_signals_block ran before the init was cloned */

        struct husk_spec *spec;
        char *config_text;      /* the config.json spec was parsed from, until it is copied to the state dir */
        size_t config_len;
        char *bundle;           /* absolute */
        char *rootfs;           /* absolute */
        struct husk_ns_plan ns;
        struct husk_seccomp_filter *seccomp;  /* compiled (or cached) before clone3 */
        struct husk_idmap_mounts *idmap_mounts; /* made before clone3 (husk_rootfs_prepare_host), inherited by init */
        bool *mount_points_made; /* per spec.mounts entry, made by husk_rootfs_prepare_host (user namespace) */
        struct husk_cgroup *cgroup;
        struct husk_systemd_unit systemd; /* --systemd-cgroup: the scope to make (name NULL: cgroupfs driver) */
        bool systemd_started;             /* systemd made it: an abort stops it */
        struct husk_state state; /* borrows from spec; written to state.json */
        int trampoline_fd;      /* sealed husk-trampoline the init execs through, -1 when none (protect.c) */

        int dirfd;              /* locked state dir */
        int exec_listen_fd;     /* listening exec.sock: init accepts `start` on it */
        int start_conn;         /* in init: the accepted `start` connection, for errors until execve */
        char *cgroup_lines;     /* in init: /proc/self/cgroup once in all its cgroups, NULL when unknown */
        int sync_parent, sync_child;
        pid_t parent_pid;
        unsigned long ns_unshare; /* new namespaces left out of clone3: the init unshares them (init_setup) */
        /* a pid namespace joined by path only once the init's set-up is done (init.c: hand_over_to_init) */
        bool late_pid_join;
        /* the init runs in husk's memory until it execs the trampoline, husk waiting meanwhile
         * (create.c: init_may_share_memory): no GO for it to wait for, nor START */
        bool shares_memory;
        int saved_pid_ns, saved_time_ns; /* the parent's own, restored after clone3 */

        int console_fd;         /* connected --console-socket, -1 when none */
        int pidfd_socket;       /* connected --pidfd-socket, -1 when none */
        int terminal_master;    /* pty master sent back by init for `run` to proxy, -1 when none */
        int notify_fd;          /* foreground run with NOTIFY_SOCKET: the container's socket (notify.h), else -1 */

        pid_t pid;              /* the init process */
        int pidfd;
};

/* The start of husk_launch_prepare: the fds set to -1, the id checked, the bundle's config parsed and
 * its paths resolved (restore uses it alone: criu, not an init, will make the processes). */
int husk_launch_load(struct husk_launch *l, struct husk_error **err);

/* l->state filled from the spec and options (status "creating"); and the config copied to the state dir. */
void husk_launch_fill_state(struct husk_launch *l);
int husk_launch_copy_config(struct husk_launch *l, struct husk_error **err);
/* Make the container's cgroup, its path recorded in the state dir before its limits are written (delete
 * --force of a create killed halfway finds it there), and in l->state. */
int husk_launch_cgroup_create(struct husk_launch *l, struct husk_error **err);

/* After the init of a foreground container (run, restore) exited: delete it, as `delete` would. */
int husk_launch_cleanup_after_exit(struct husk_launch *l, struct husk_error **err);

/*
 * The checks of a create that change nothing on the host: config, seccomp filter, namespace paths,
 * and husk_launch_protect, which may re-execute husk (so `run` calls it before it blocks signals).
 */
int husk_launch_prepare(struct husk_launch *l, struct husk_error **err);

/* After husk_launch_prepare, everything up to "init is ready and waiting": on failure nothing is left behind. */
int husk_launch_create(struct husk_launch *l, struct husk_error **err);

/* protect.c: the exec trampoline for the init where it suffices, else husk_selfprotect_reexec. */
int husk_launch_protect(struct husk_launch *l, struct husk_error **err);
/* protect.c: whether the seccomp filter certainly lets an init wait for `start` (or `run`'s START) in husk's
 * code: the READY send (sendmsg, or writev where that is refused; all an init in husk's memory does), recv and
 * recvmsg, and after `create` the handlers of the signals that end the wait (when the filter is loaded before
 * they are set), accept4 and close. A notified call counts: the agent holds the listener fd by then. */
bool husk_launch_seccomp_allows_init_wait(const struct husk_launch *l);
/* init.c: whether filter certainly lets a created init wait for `start` (the handlers of the signals that end
 * the wait, when `signals`; accept4 on the exec socket, close), a notified call counting as let through (a filter
 * with a listener is loaded before READY, and husk has handed the fd to the agent before the wait): the
 * trampoline's wait makes the same calls. */
bool husk_init_seccomp_allows_waiting(const struct husk_seccomp_filter *filter, bool signals);

/* cgroup-systemd.c, --systemd-cgroup: parse the unit from linux.cgroupsPath (changes nothing); once the
 * init exists, have systemd make its scope and set up cgroupfs there; stop the scope it made (once). */
int husk_launch_systemd_plan(struct husk_launch *l, struct husk_error **err);
int husk_launch_systemd_attach(struct husk_launch *l, struct husk_error **err);
int husk_launch_systemd_stop(struct husk_launch *l, struct husk_error **err);

/* Undo a create that failed midway: kill init, remove cgroup and state dir. */
void husk_launch_abort(struct husk_launch *l);

/* Release the resources of the launch struct (not the container). */
void husk_launch_release(struct husk_launch *l);

/* The container init, in the child of clone3; never returns. */
_Noreturn void husk_init_main(struct husk_launch *l);

/* husk_container_start, its poststart hooks run in the bundle (`run --detach`, as runc's) or, as `start`'s,
 * where husk runs. */
int husk_container_start_hooks_in(const struct husk_runtime *rt, const char *id, const char *notify_socket, bool bundle,
                                  struct husk_error **err);

/* Shared by start and run: the state JSON hooks get, with the status they should see. */
char *husk_launch_state_json(const struct husk_state *state, enum husk_status status);

/* A unix socket path for an entry of dirfd that fits sun_path whatever the root's length. */
int husk_dirfd_socket_path(int dirfd, const char *name, char *buf, size_t len);

/*
 * clone3 with args (CLONE_INTO_CGROUP when args->flags has it). When the kernel refuses the move
 * (EACCES/EPERM) and husk_cgroup_join_optional(cg) holds (hybrid's controller-less cgroup2; rootless
 * without limits or cgroupsPath, or a cgroup reopened for exec), clone without it instead.
 */
pid_t husk_clone3_in_cgroup(struct husk_clone_args *args, const struct husk_cgroup *cg);

/* Write the --pid-file atomically, as a bare integer without newline. */
int husk_write_pid_file(const char *path, pid_t pid, struct husk_error **err);

/* SIGKILL the container's init, if it is still the process the state names, and wait until it has exited. With cg
 * (an init of a pid namespace of its own), what is in the sub-cgroups is killed and thawed before the wait. */
int husk_container_kill_init_wait(const struct husk_state *state, struct husk_cgroup *cg, struct husk_error **err);

/* delete's work on a container whose state dir is open and locked. */
int husk_container_destroy(const char *root, const char *id, int dirfd, struct husk_state *state, bool force,
                           struct husk_error **err);
