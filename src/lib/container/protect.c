/*
 * How a container's first process is kept from reaching the host's husk binary (CVE-2019-5736):
 * through the exec trampoline where that is enough, else by running husk itself from a protected
 * view of its binary (linux/selfprotect.h).
 *
 * The trampoline: the init, a clone of husk, execs a sealed memfd copy of husk-trampoline, which
 * execs the container's program. During that last execve /proc/self/exe is the sealed copy, so a
 * program that is /proc/self/exe, or names it as its interpreter, gets the copy. That covers the
 * final execve; until the init execs the trampoline it runs the host binary, so nothing of the
 * container may see the init before then. That holds only when:
 *  - the init execs the trampoline as soon as it is set up: at once after a foreground `run`'s
 *    START, and, after `create`, to wait there for `start` (the trampoline says READY, so `create`
 *    returns, and `exec` may enter, only once the init runs the sealed copy);
 *  - its pid namespace is its own, new one: no other process lives there;
 *  - no user namespace: the init must be non-dumpable from birth (with one of its own it stays
 *    dumpable until its maps are written, and a joined one has other members);
 *  - no createContainer or startContainer hook: those programs run inside the container from
 *    the init before it execs;
 *  - no AppArmor profile or SELinux label: they would apply to the trampoline's exec, and the
 *    container's policy would then have to allow the domain to exec its own program;
 *  - the seccomp filter, loaded before the init's exec, certainly allows the trampoline's calls
 *    whatever their fds: execveat, fcntl(F_SETFD) and write, and to wait for `start`, prctl
 *    (PR_SET_DUMPABLE), rt_sigaction (for the signals that end a waiting init), close, accept4 and
 *    read; and, after `create`, has no listener (husk takes it from the init before `run` says
 *    START, but a created init execs the trampoline at once).
 * The saving is the re-exec of husk (about half a millisecond: the execve of the static binary, the
 * overlay it runs from, its start-up again), and, for `create`, a waiting init of a few pages instead
 * of husk's.
 */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "linux/seccomp-filter.h"
#include "linux/selfprotect.h"
#include "linux/trampoline.h"
#include "util/cleanup.h"
#include "util/log.h"

static bool seccomp_allows_trampoline(const struct husk_seccomp_filter *filter)
{
        if (!filter)
                return true;
        const uint64_t execveat_args[6] = {[4] = AT_EMPTY_PATH};
        const uint64_t keep_open[6] = {[1] = F_SETFD, [2] = 0};
        const uint64_t close_on_exec[6] = {[1] = F_SETFD, [2] = FD_CLOEXEC};
        const uint64_t none[6] = {0};
        return husk_seccomp_filter_allows(filter, SYS_execveat, execveat_args, 1U << 4) &&
               husk_seccomp_filter_allows(filter, SYS_fcntl, keep_open, 1U << 1 | 1U << 2) &&
               husk_seccomp_filter_allows(filter, SYS_fcntl, close_on_exec, 1U << 1 | 1U << 2) &&
               husk_seccomp_filter_allows(filter, SYS_write, none, 0);
}

/* And what the trampoline of a created container does while it waits for `start`: what the init would (its
 * stop signals, accept4, close), and prctl and read. */
static bool seccomp_allows_waiting(const struct husk_seccomp_filter *filter)
{
        if (!filter)
                return true;
        const uint64_t not_dumpable[6] = {[0] = PR_SET_DUMPABLE, [1] = 0};
        const uint64_t none[6] = {0};
        return husk_init_seccomp_allows_waiting(filter, true) &&
               husk_seccomp_filter_allows(filter, SYS_prctl, not_dumpable, 1U << 0 | 1U << 1) &&
               husk_seccomp_filter_allows(filter, SYS_read, none, 0);
}

/* husk_sync_send: sendmsg, or writev where sendmsg fails with an errno that does not mean the peer is gone (a
 * filter that kills on sendmsg leaves no fallback). Not errno 0 (sendmsg "succeeds" and sends nothing), nor EINTR
 * (sendmsg is tried again for ever). */
static bool allows_sync_send(const struct husk_seccomp_filter *f)
{
        const uint64_t send_nosignal[6] = {[2] = MSG_NOSIGNAL};
        const uint64_t none[6] = {0};
        if (husk_seccomp_filter_allows_or_notifies(f, SYS_sendmsg, send_nosignal, 1U << 2))
                return true;
        int e = husk_seccomp_filter_errno(f, SYS_sendmsg, send_nosignal, 1U << 2);
        return e && e != EINTR && e != EPIPE && e != ECONNRESET &&
               husk_seccomp_filter_allows_or_notifies(f, SYS_writev, none, 0);
}

/* A call the filter notifies counts as let through: the init's wait comes after husk has handed the listener fd to
 * the agent, which decides (runc's waiting init makes its calls under the filter too). */
bool husk_launch_seccomp_allows_init_wait(const struct husk_launch *l)
{
        const struct husk_seccomp_filter *f = l->seccomp;
        if (!f)
                return true;
        const uint64_t peek[6] = {[3] = MSG_PEEK, [4] = 0, [5] = 0};
        const uint64_t recv_cloexec[6] = {[2] = MSG_CMSG_CLOEXEC};
        if (!allows_sync_send(f))
                return false;
        /* The signal handlers are set before a late filter with a listener (init.c), after an early one. */
        bool signals = !l->spec->process.no_new_privileges;
        return l->shares_memory ||
               (husk_seccomp_filter_allows_or_notifies(f, SYS_recvfrom, peek, 1U << 3 | 1U << 4 | 1U << 5) &&
                husk_seccomp_filter_allows_or_notifies(f, SYS_recvmsg, recv_cloexec, 1U << 2) &&
                (l->foreground || husk_init_seccomp_allows_waiting(f, signals)));
}

/* Why the trampoline would not be enough for this container, NULL when it is. */
static const char *trampoline_refused(const struct husk_launch *l)
{
        const struct husk_spec *spec = l->spec;
        if (!husk_trampoline_built())
                return "no trampoline for this architecture";
        if (!(l->ns.new_flags & CLONE_NEWPID))
                return "no new pid namespace";
        if (l->ns.has[HUSK_NS_USER])
                return "a user namespace";
        if (spec->hooks.create_container.len || spec->hooks.start_container.len)
                return "createContainer or startContainer hooks";
        if ((spec->process.apparmor_profile && *spec->process.apparmor_profile) ||
            (spec->process.selinux_label && *spec->process.selinux_label))
                return "an AppArmor profile or SELinux label";
        if (!seccomp_allows_trampoline(l->seccomp))
                return "the seccomp filter may refuse execveat, fcntl or write";
        if (!l->foreground && !seccomp_allows_waiting(l->seccomp))
                return "the seccomp filter may refuse prctl, accept4, read, close or rt_sigaction";
        /* husk takes the listener from the init (pidfd_getfd) while `run`'s init waits for START; a
         * created one would be gone to the trampoline, the fd closed. */
        if (!l->foreground && l->seccomp && husk_seccomp_filter_has_listener(l->seccomp))
                return "a seccomp listener for husk to take from the init";
        /* A user other than root keeps only its ambient capabilities across the trampoline's own exec:
         * the program's exec would lose, say, the CAP_DAC_OVERRIDE that lets it run a 0744 file. */
        const struct husk_capabilities *caps = &spec->process.capabilities;
        if (spec->process.user.uid != 0 && (caps->effective & ~caps->ambient))
                return "effective capabilities of a user other than root that are not ambient";
        return NULL;
}

int husk_launch_protect(struct husk_launch *l, struct husk_error **err)
{
        /* The trampoline first: where it will do, whether husk already runs protected need not be
         * asked (an open of /proc/self/exe and three more syscalls). */
        const char *why = trampoline_refused(l);
        if (!why) {
                _cleanup_error_ struct husk_error *open_err = NULL;
                l->trampoline_fd = husk_trampoline_open(&open_err);
                if (l->trampoline_fd >= 0) {
                        husk_debug("selfprotect: the container's process is exec'd through a sealed trampoline");
                        return 0;
                }
                husk_debug("selfprotect: %s", open_err->msg);
                why = "no sealed trampoline";
        }
        if (husk_selfprotect_active())
                return 0;
        husk_debug("selfprotect: husk runs from a protected view of its binary (%s)", why);
        return husk_selfprotect_reexec(err);
}
