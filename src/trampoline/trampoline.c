/*
 * husk-trampoline: the container's process is exec'd through this, from a sealed memfd, when the
 * init itself still runs the host's husk binary (see container/protect.c). During its execve
 * /proc/self/exe is the sealed copy, so a process that gets the container's /proc/self/exe
 * (CVE-2019-5736: a program that is /proc/self/exe, or names it as its interpreter) finds
 * this copy, not the binary on the host.
 *
 * usage (from husk only): ERRFD JOINFD STARTFD PATH ARGV0 [ARGS...]
 * ERRFD is the init's sync socket, open across the exec that started us: made close-on-exec again,
 * so that its EOF tells husk that PATH runs; if PATH cannot be exec'd, the error goes there as
 * HUSK_SYNC_EXEC_ERROR (HUSK_SYNC_ERROR for a failure before the execve, as the init would send
 * it), and we exit 127. JOINFD ("-" for none) is the
 * `tasks` file of the container's v1 memory cgroup: "0" written there moves us in just before the
 * execve, so that only PATH's memory is charged to the container, not ours.
 * STARTFD ("-" for none) is the listening exec socket of a created container: we are its init
 * waiting for `start`. We make ourselves non-dumpable, end on SIGTERM, SIGINT, SIGHUP and SIGQUIT (as
 * runc's waiting init does), join the memory cgroup (a created init is in all its cgroups; what we
 * charged before stays husk's), say HUSK_SYNC_READY on ERRFD and close it (`create` returns), then
 * take connections until one says HUSK_SYNC_START: that connection is where a failed execve is
 * reported, and its EOF tells `start` that PATH runs.
 *
 * Freestanding: no libc, so that the copy is a few kilobytes and its exec costs next to nothing.
 */
#include <asm/unistd.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <stddef.h>

#include "container/sync.h"

#if defined(__x86_64__)
static long sys3(long nr, long a, long b, long c)
{
        long ret;
        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
        return ret;
}
static long sys4(long nr, long a, long b, long c, long d)
{
        long ret;
        register long r10 __asm__("r10") = d;
        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
        return ret;
}
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call trampoline_main\n"
        "  hlt\n"
        "sigreturn:\n"
        "  mov $15, %eax\n" /* __NR_rt_sigreturn */
        "  syscall\n"
        "  hlt\n");
#elif defined(__aarch64__)
static long sys3(long nr, long a, long b, long c)
{
        register long x8 __asm__("x8") = nr;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
        return x0;
}
static long sys4(long nr, long a, long b, long c, long d)
{
        register long x8 __asm__("x8") = nr;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        register long x3 __asm__("x3") = d;
        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
        return x0;
}
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "  mov x29, #0\n"
        "  mov x0, sp\n"
        "  bl trampoline_main\n"
        "  brk #0\n"
        "sigreturn:\n"
        "  mov x8, #139\n" /* __NR_rt_sigreturn */
        "  svc 0\n"
        "  brk #0\n");
#else
#error "husk-trampoline: no syscall glue for this architecture"
#endif

void sigreturn(void); /* in the _start glue above: never reached, as stop() does not return */

#define ERROR_TEXT_MAX 4096
#define SOCK_CLOEXEC O_CLOEXEC /* as the kernel defines it; not in its uapi headers */

__attribute__((noreturn)) static void leave(void)
{
        for (;;)
                sys3(__NR_exit_group, 127, 0, 0);
}

static size_t append(char *buf, size_t at, const char *s)
{
        while (*s && at < ERROR_TEXT_MAX)
                buf[at++] = *s++;
        return at;
}

/* One record of TYPE on the SEQPACKET socket: the header, then WHAT `PATH` ("exec `PATH`": the init's own
 * wording); HUSK_SYNC_EXEC_ERROR for a failed execve of PATH, HUSK_SYNC_ERROR for anything before it. */
static void report(long fd, unsigned type, long errnum, const char *what, const char *path)
{
        struct {
                struct husk_sync_header h;
                char text[ERROR_TEXT_MAX];
        } msg;
        size_t len = append(msg.text, 0, what);
        len = append(msg.text, len, " `");
        len = append(msg.text, len, path);
        len = append(msg.text, len, "`");
        msg.h.type = type;
        msg.h.errnum = (int)errnum;
        msg.h.len = (unsigned)len;
        sys3(__NR_write, fd, (long)&msg, (long)(sizeof(msg.h) + len));
}

/* A decimal fd number from husk; -1 for "-", -2 for anything else. */
static long parse_fd(const char *p)
{
        if (p[0] == '-' && !p[1])
                return -1;
        long fd = 0;
        for (; *p; p++) {
                if (*p < '0' || *p > '9' || fd > 1000000)
                        return -2;
                fd = fd * 10 + (*p - '0');
        }
        return fd;
}

/* "0" into the memory cgroup's `tasks` file JOINFD (none when < 0), which is then closed on exec, not left to
 * the program: write and fcntl only, the calls protect.c checks the filter allows in both uses. */
static void join_memory_cgroup(long report_fd, long join_fd, const char *path)
{
        if (join_fd < 0)
                return;
        long r = sys3(__NR_write, join_fd, (long)"0", 1);
        if (r == 0)
                r = -EIO;
        if (r > 0)
                r = sys3(__NR_fcntl, join_fd, F_SETFD, FD_CLOEXEC);
        if (r < 0) {
                report(report_fd, HUSK_SYNC_ERROR, -r, "join the memory cgroup, then exec", path);
                leave();
        }
}

/* The kernel's struct sigaction for rt_sigaction on x86_64 and arm64, and its sigset_t. */
struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        unsigned long mask;
};
#define SA_RESTORER 0x04000000UL
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGTERM 15

__attribute__((noreturn)) static void stop(int sig)
{
        for (;;)
                sys3(__NR_exit_group, 128 + sig, 0, 0);
}

/*
 * As runc's waiting `runc init` does, end on SIGTERM, SIGINT, SIGHUP and SIGQUIT (so `kill ID` stops a
 * created container), with 128+N. Being pid 1 of its pid namespace, with the default dispositions we
 * would ignore them all. The program's execve resets these to the default again.
 */
static long end_on_stop_signals(void)
{
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
        struct kernel_sigaction act = {.handler = stop, .flags = SA_RESTORER, .restorer = sigreturn};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                long r = sys4(__NR_rt_sigaction, sigs[i], (long)&act, 0, sizeof(act.mask));
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * A created container's init waiting for `start` (STARTFD): returns the connection that said
 * HUSK_SYNC_START, where the rest goes. Until then, the only thing of ours that the container's
 * other processes (`exec`) could reach is the listening socket: non-dumpable, we are not theirs to
 * ptrace or to open /proc/1/fd of, and /proc/1/exe is this sealed copy.
 */
static long wait_for_start(long sync_fd, long join_fd, long start_fd, const char *path)
{
        long r = sys3(__NR_prctl, PR_SET_DUMPABLE, 0, 0);
        if (r == 0)
                r = sys3(__NR_fcntl, start_fd, F_SETFD, FD_CLOEXEC);
        if (r == 0)
                r = end_on_stop_signals();
        if (r < 0) {
                report(sync_fd, HUSK_SYNC_ERROR, -r, "wait for start, then exec", path);
                leave();
        }
        join_memory_cgroup(sync_fd, join_fd, path);
        if (join_fd >= 0) /* and gone while we wait: a host cgroupfs file is nothing to keep beside the container */
                sys3(__NR_close, join_fd, 0, 0);
        struct husk_sync_header h = {.type = HUSK_SYNC_READY};
        if (sys3(__NR_write, sync_fd, (long)&h, sizeof(h)) != (long)sizeof(h))
                leave();
        sys3(__NR_close, sync_fd, 0, 0);
        for (;;) {
                long conn = sys4(__NR_accept4, start_fd, 0, 0, SOCK_CLOEXEC);
                if (conn == -EINTR || conn == -ECONNABORTED)
                        continue;
                if (conn < 0)
                        leave(); /* nobody to tell: `start` finds the init gone */
                /* A record longer than the header is truncated to it: only an empty START will do. */
                r = sys3(__NR_read, conn, (long)&h, sizeof(h));
                if (r == (long)sizeof(h) && h.type == HUSK_SYNC_START && h.len == 0) {
                        sys3(__NR_close, start_fd, 0, 0);
                        return conn;
                }
                sys3(__NR_close, conn, 0, 0); /* a peer that went away before saying start */
        }
}

__attribute__((noreturn, used)) void trampoline_main(long *sp);
__attribute__((noreturn, used)) void trampoline_main(long *sp)
{
        long argc = sp[0];
        char **argv = (char **)(sp + 1);
        char **envp = argv + argc + 1;
        if (argc < 5)
                leave();
        long fd = parse_fd(argv[0]), join_fd = parse_fd(argv[1]), start_fd = parse_fd(argv[2]);
        const char *path = argv[3];
        if (fd < 0 || join_fd < -1 || start_fd < -1)
                leave();
        if (start_fd >= 0) {
                fd = wait_for_start(fd, join_fd, start_fd, path);
                join_fd = -1;
        }
        /* Not closed on exec, the socket would reach the container's process and husk would wait for
         * it to exit: no exec then. */
        long r = sys3(__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
        if (r < 0) {
                report(fd, HUSK_SYNC_ERROR, -r, "exec", path);
                leave();
        }
        join_memory_cgroup(fd, join_fd, path);
        r = sys3(__NR_execve, (long)path, (long)(argv + 4), (long)envp);
        report(fd, HUSK_SYNC_EXEC_ERROR, -r, "exec", path);
        leave();
}
