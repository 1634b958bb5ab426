/* Raw syscalls glibc does not wrap (or wraps without adding anything): clone3, pidfd_*. */
#pragma once

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Our own copy of the kernel's struct clone_args (v2), so headers never disagree. */
struct husk_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};

/* fork-like clone3 (no new stack): returns 0 in the child, the pid in the parent. */
static inline pid_t husk_clone3(struct husk_clone_args *args)
{
        return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

/*
 * A fork-like child of our parent (CLONE_PARENT, our exit signal). By clone3, or by clone where a seccomp
 * filter the caller is under refuses clone3 (Docker's profile fails it with ENOSYS for libcs to fall
 * back): try_clone3 false goes to clone at once, for a filter that would kill on clone3.
 */
static inline pid_t husk_clone_parent(bool try_clone3)
{
        struct husk_clone_args args = {.flags = CLONE_PARENT};
        pid_t pid = try_clone3 ? husk_clone3(&args) : -1;
        if (!try_clone3 || (pid < 0 && (errno == ENOSYS || errno == EPERM)))
                pid = (pid_t)syscall(SYS_clone, CLONE_PARENT, 0, NULL, NULL, 0);
        return pid;
}

static inline int husk_pidfd_open(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

static inline int husk_pidfd_send_signal(int pidfd, int sig)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Reap the child behind pidfd (waitid WEXITED, across EINTR); *info says how it ended. */
static inline int husk_pidfd_wait(int pidfd, siginfo_t *info)
{
        int r;
        while ((r = waitid(P_PIDFD, (id_t)pidfd, info, WEXITED)) < 0 && errno == EINTR)
                ;
        return r;
}
