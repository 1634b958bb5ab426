/* Turning a husk child into the container's user process: shared by the init and exec. */
#pragma once

#include <stdbool.h>

#include "linux/seccomp-filter.h"
#include "spec/spec.h"
#include "util/error.h"

struct husk_process_setup {
        const struct husk_process *process;
        const struct husk_personality *personality;     /* linux.personality, may be NULL */
        const struct husk_memory_policy *memory_policy; /* linux.memoryPolicy, may be NULL */
        const struct husk_seccomp_filter *seccomp;      /* compiled by the parent, NULL when none */
        int sync_fd;             /* where a seccomp listener fd number is reported, -1 when none */
        int trampoline_fd;       /* exec through this sealed husk-trampoline (protect.c), -1 when not */
        int exec_error_fd;       /* with the trampoline: where it reports a failed execve */
        int start_fd;            /* with the trampoline: the exec socket it waits on for `start`, -1 when none */
        int *memory_cgroup_fd;   /* v1 memory cgroup not joined yet (husk_cgroup_enter_self), NULL or -1 when none */
        bool setgroups_allowed;  /* false in a user namespace whose setgroups is "deny" */
        char **env;              /* process.env as the process gets it (husk_process_become_user), NULL: as it is */
        bool lsm_applied;        /* the LSM exec labels are set already (exec, before it enters the container) */
        bool sealed;             /* husk_process_seal has run */
};

/* As root of the container: oom_score_adj, rlimits, personality, scheduler, memory policy,
 * initial cpu affinity, LSM exec labels. */
int husk_process_prepare(const struct husk_process_setup *s, struct husk_error **err);

/* The environment (one entry per name, HOME), the owner of stdio, no_new_privs, seccomp when it
 * must be early, cwd (entered before the user switch, as runc), uid/gid/groups, capabilities, umask;
 * resolves args[0] in the container's PATH so a missing program fails before start. */
int husk_process_become_user(struct husk_process_setup *s, char **ret_exec_path, struct husk_error **err);

/* Whether the filter is loaded in husk_process_become_user rather than right before execve. */
bool husk_process_seccomp_early(const struct husk_process_setup *s);

/*
 * Whether, once husk_process_become_user is done, the process can still clone the one that goes into the
 * container's pid namespace, and that one inherits all of it: not under SCHED_DEADLINE (which cannot fork)
 * or SCHED_FLAG_RESET_ON_FORK; and an early filter lets through what comes after it (clone3 or clone; in the
 * new process setsid, TIOCSCTTY with a terminal, the parent-death signal when pdeathsig). *ret_clone3 says
 * whether clone3 may be tried (else clone, see husk_clone_parent).
 */
bool husk_process_can_clone_after(const struct husk_process_setup *s, bool pdeathsig, bool *ret_clone3);

/* Close-on-exec for every fd >= first_closed_fd, the memory cgroup still to join (unless the trampoline joins
 * it, right before its execve), the late seccomp filter: what comes right before the exec, or before
 * startContainer hooks, which run under the container's filter (as with runc 1.2: a program the container
 * could have put there must not run unfiltered). Once only. */
int husk_process_seal(struct husk_process_setup *s, int first_closed_fd, struct husk_error **err);

/* husk_process_seal (when not done yet), final cpu affinity, execve. Returns only on failure. */
int husk_process_exec(struct husk_process_setup *s, const char *exec_path, int first_closed_fd,
                      struct husk_error **err);
