/* Turning a husk child into the container's user process: shared by the init and exec. */
#include "container/process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/sync.h"
#include "linux/caps.h"
#include "linux/exec.h"
#include "linux/lsm.h"
#include "linux/memory-policy.h"
#include "linux/oom-score.h"
#include "linux/personality-domain.h"
#include "linux/rlimits.h"
#include "linux/scheduler.h"
#include "linux/trampoline.h"
#include "linux/user.h"
#include "util/cleanup.h"

int husk_process_prepare(const struct husk_process_setup *s, struct husk_error **err)
{
        const struct husk_process *p = s->process;
        int r;
        if (p->has_oom_score_adj && (r = husk_oom_score_adj_apply(p->oom_score_adj, err)) < 0)
                return r;
        if ((r = husk_rlimits_apply(p, err)) < 0)
                return r;
        if (s->personality && s->personality->present && (r = husk_personality_apply(s->personality, err)) < 0)
                return r;
        /* Before the scheduler: SCHED_DEADLINE needs a mask spanning the root domain, not a caller's pin. */
        if ((r = husk_cpu_affinity_initial(p, err)) < 0)
                return r;
        if ((r = husk_sched_apply(p, err)) < 0)
                return r;
        if (s->memory_policy && s->memory_policy->present && (r = husk_mempolicy_apply(s->memory_policy, err)) < 0)
                return r;
        return s->lsm_applied ? 0 : husk_lsm_apply(p, err);
}

/* Install the filter; a listener fd goes to the parent as a number it takes with pidfd_getfd. */
static int install_seccomp(const struct husk_process_setup *s, struct husk_error **err)
{
        int notify_fd = -1;
        int r = husk_seccomp_install(s->seccomp, &notify_fd, err);
        if (r < 0)
                return r;
        if (notify_fd < 0)
                return 0;
        /* write(2) only: the filter may already trap other syscalls. */
        struct husk_sync_header h = {.type = HUSK_SYNC_SECCOMP_FD, .errnum = notify_fd};
        if (s->sync_fd < 0 || write(s->sync_fd, &h, sizeof(h)) != (ssize_t)sizeof(h))
                return husk_error_set(err, errno ? errno : EPIPE, "linux.seccomp: hand the listener fd to husk");
        return 0;
}

bool husk_process_seccomp_early(const struct husk_process_setup *s)
{
        /* Without no_new_privs loading a filter needs CAP_SYS_ADMIN, so it goes before the user
         * switch (runc's order). With it, a filter with a listener too is loaded after the user
         * switch and capabilities, where husk still takes the fd (init.c: before READY; exec_child:
         * before GO), so the agent never sees husk's own prctl, capset or setgroups. */
        return s->seccomp && !s->process->no_new_privileges;
}

bool husk_process_can_clone_after(const struct husk_process_setup *s, bool pdeathsig, bool *ret_clone3)
{
        const struct husk_seccomp_filter *f = s->seccomp;
        const uint64_t none[6] = {0}, parent[6] = {CLONE_PARENT}, ctty[6] = {STDIN_FILENO, TIOCSCTTY, 0},
                       pdeath[6] = {PR_SET_PDEATHSIG, SIGKILL};
        const struct husk_scheduler *sched = &s->process->scheduler;
        *ret_clone3 = true;
        if (sched->present && (sched->policy == SCHED_DEADLINE || (sched->flags & HUSK_SCHED_FLAG_RESET_ON_FORK)))
                return false;
        if (!husk_process_seccomp_early(s))
                return true;
        *ret_clone3 = husk_seccomp_filter_allows(f, SYS_clone3, none, 0);
        return (*ret_clone3 || husk_seccomp_filter_allows(f, SYS_clone, parent, 1U << 0)) &&
               husk_seccomp_filter_allows(f, SYS_setsid, none, 0) &&
               (!s->process->terminal || husk_seccomp_filter_allows(f, SYS_ioctl, ctty, 7U)) &&
               (!pdeathsig || husk_seccomp_filter_allows(f, SYS_prctl, pdeath, 3U));
}

/* The memory cgroup joined last (husk_cgroup_enter_self), before a seccomp filter, which might refuse
 * the write; through the trampoline it is the trampoline's to join (protect.c checked that the filter
 * allows its write). */
static int join_memory_cgroup(const struct husk_process_setup *s, struct husk_error **err)
{
        return s->memory_cgroup_fd && s->trampoline_fd < 0 ? husk_cgroup_enter_memory(s->memory_cgroup_fd, err) : 0;
}

/*
 * runc's order: chdir into process.cwd while still root with every capability, so that a cwd the
 * user cannot enter (root's home for a service user) works; only when that is refused
 * (EACCES/EPERM), again as the user (a directory root of a user namespace cannot reach but the
 * user can), before its capabilities are set. *ret_retry tells whether the second try is due.
 */
static int enter_cwd(const char *cwd, bool *ret_retry, struct husk_error **err)
{
        *ret_retry = false;
        if (chdir(cwd) == 0)
                return 0;
        if (errno != EACCES && errno != EPERM)
                return husk_error_set(err, errno, "process.cwd: chdir `%s`", cwd);
        *ret_retry = true;
        return 0;
}

/*
 * A cwd reached through a leaked fd is outside the root (CVE-2024-21626): the kernel prefixes its path
 * with "(unreachable)" and glibc turns that into ENOENT. The buffer must hold the whole path, or getcwd
 * fails with ERANGE before anything is checked. Any other failure is not an answer (a seccomp filter
 * refusing getcwd): said as such.
 */
static int check_cwd_inside_root(const char *cwd, struct husk_error **err)
{
        char buf[PATH_MAX];
        errno = 0;
        if (getcwd(buf, sizeof(buf)) && buf[0] == '/')
                return 0;
        int e = errno;
        if (e == 0 || e == ENOENT || e == ERANGE || e == ENAMETOOLONG)
                return husk_error_set(err, e ? e : ENOENT, "process.cwd: `%s` is outside the container root", cwd);
        return husk_error_set(err, e, "process.cwd: `%s`: getcwd, which checks that it is inside the container root",
                              cwd);
}

/*
 * A filter loaded before the user switch is the container's profile, and one recorded under runc allows its
 * setgid and setuid, one recorded under crun its setresgid and setresuid: crun's pair only where the filter
 * allows it and not runc's.
 */
static bool switch_with_setres(const struct husk_process_setup *s)
{
        if (!husk_process_seccomp_early(s))
                return false;
        const struct husk_user *u = &s->process->user;
        const uint64_t gid[6] = {u->gid, u->gid, u->gid}, uid[6] = {u->uid, u->uid, u->uid};
        if (husk_seccomp_filter_allows(s->seccomp, SYS_setgid, gid, 1U << 0) &&
            husk_seccomp_filter_allows(s->seccomp, SYS_setuid, uid, 1U << 0))
                return false;
        return husk_seccomp_filter_allows(s->seccomp, SYS_setresgid, gid, 7U) &&
               husk_seccomp_filter_allows(s->seccomp, SYS_setresuid, uid, 7U);
}

int husk_process_become_user(struct husk_process_setup *s, char **ret_exec_path, struct husk_error **err)
{
        const struct husk_process *p = s->process;
        /* First: as root, before a seccomp filter that might refuse the reads or the chown. */
        int r = husk_user_env(p, &s->env, err);
        if (r < 0)
                return r;
        if ((r = husk_user_chown_stdio(p, err)) < 0)
                return r;
        husk_user_umask(&p->user);
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "process.noNewPrivileges");
        /* The cwd entered and checked before an early seccomp filter, which is the container's and may
         * refuse chdir or getcwd; only a cwd that needs the user's own access is entered after it. */
        bool retry_cwd;
        if ((r = enter_cwd(p->cwd, &retry_cwd, err)) < 0 ||
            (!retry_cwd && (r = check_cwd_inside_root(p->cwd, err)) < 0))
                return r;
        if (husk_process_seccomp_early(s) &&
            ((r = join_memory_cgroup(s, err)) < 0 || (r = install_seccomp(s, err)) < 0))
                return r;
        if ((r = husk_caps_keep_for_setuid(err)) < 0)
                return r;
        if ((r = husk_user_switch(&p->user, s->setgroups_allowed, switch_with_setres(s), err)) < 0)
                return r;
        if (retry_cwd) {
                if (chdir(p->cwd) < 0)
                        return husk_error_set(err, errno, "process.cwd: chdir `%s`", p->cwd);
                if ((r = check_cwd_inside_root(p->cwd, err)) < 0)
                        return r;
        }
        if ((r = husk_caps_apply(&p->capabilities, err)) < 0)
                return r;
        return husk_exec_resolve(p, ret_exec_path, err);
}

int husk_process_seal(struct husk_process_setup *s, int first_closed_fd, struct husk_error **err)
{
        int r;
        if (s->sealed)
                return 0;
        /* Before a late filter, which may not allow close_range: every fd opened after this one is
         * O_CLOEXEC (the seccomp listener too). After an early one, close_range only where it surely
         * passes: a profile recorded under runc 1.1, which walks /proc/self/fd, may kill on it. */
        const uint64_t range[6] = {(unsigned)first_closed_fd, ~0U, CLOSE_RANGE_CLOEXEC};
        bool try_close_range =
            !husk_process_seccomp_early(s) || husk_seccomp_filter_allows(s->seccomp, SYS_close_range, range, 7U);
        if ((r = husk_exec_cloexec_from(first_closed_fd, try_close_range, err)) < 0)
                return r;
        if ((r = join_memory_cgroup(s, err)) < 0)
                return r;
        if (s->seccomp && !husk_process_seccomp_early(s) && (r = install_seccomp(s, err)) < 0)
                return r;
        s->sealed = true;
        return 0;
}

int husk_process_exec(struct husk_process_setup *s, const char *exec_path, int first_closed_fd, struct husk_error **err)
{
        int r;
        if ((r = husk_process_seal(s, first_closed_fd, err)) < 0)
                return r;
        if ((r = husk_cpu_affinity_final(s->process, err)) < 0)
                return r;
        char *const *env = s->env ? s->env : s->process->env ? s->process->env : (char *[]){NULL};
        if (s->trampoline_fd >= 0)
                return husk_trampoline_exec(s->trampoline_fd, s->exec_error_fd,
                                            s->memory_cgroup_fd ? *s->memory_cgroup_fd : -1, s->start_fd, exec_path,
                                            s->process->args, env, err);
        execve(exec_path, s->process->args, env);
        char text[128];
        return husk_error_set(err, 0, "exec `%s`: %s", exec_path, husk_errno_text_go(errno, text, sizeof(text)));
}
