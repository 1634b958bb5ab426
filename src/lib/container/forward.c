/* Waiting for a container process while forwarding signals and proxying its terminal (run, exec). */
#include "container/forward.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "container/notify.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/syscalls.h"

/*
 * What runc forwards: every signal a sender can mean for the container. Not SIGCHLD (husk's own
 * children), not the fault signals (blocked, a fault in husk would kill it silently), not
 * SIGPIPE (a closed stdout must fail husk's write, not reach the container); SIGWINCH resizes
 * the pty when there is one.
 */
static const int forwarded_signals[] = {SIGHUP,  SIGINT,    SIGQUIT,   SIGABRT, SIGUSR1,  SIGUSR2, SIGALRM,
                                        SIGTERM, SIGSTKFLT, SIGCONT,   SIGTSTP, SIGTTIN,  SIGTTOU, SIGURG,
                                        SIGXCPU, SIGXFSZ,   SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,   SIGPWR};

void husk_forward_signal_set(sigset_t *set)
{
        sigemptyset(set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(set, forwarded_signals[i]);
        for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
                sigaddset(set, sig);
}

int husk_forward_signals_block(sigset_t *ret_old)
{
        sigset_t set;
        husk_forward_signal_set(&set);
        sigprocmask(SIG_BLOCK, &set, ret_old);
        /* An ignored signal is dropped before it is ever pending, so signalfd would never see it
         * (nohup ignores SIGHUP): blocked, the default disposition never acts. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sigismember(&set, sig) == 1)
                        signal(sig, SIG_DFL);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The kernel's struct sigaction: glibc's refuses signals 32 and 33 (its own), which a parent
 * may still have left ignored, and ignored signals survive execve. */
struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};

void husk_signals_reset(bool forwarded_done)
{
        struct kernel_sigaction dfl = {.handler = SIG_DFL};
        sigset_t done;
        if (forwarded_done)
                husk_forward_signal_set(&done);
        else
                sigemptyset(&done);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP && sigismember(&done, sig) != 1)
                        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

static int status_of(const siginfo_t *info)
{
        if (info->si_code == CLD_EXITED)
                return info->si_status;
        return 128 + info->si_status;
}

static void copy_window_size(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0)
                ioctl(to, TIOCSWINSZ, &ws);
}

void husk_forward_window_size(int terminal_master)
{
        if (terminal_master >= 0)
                copy_window_size(STDIN_FILENO, terminal_master);
}

/* Copy what is readable on from to to; false at EOF or error (the pty gives EIO once its peer is gone). */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return true;
        if (n <= 0)
                return false;
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(to, buf + off, (size_t)(n - off));
                if (w < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return false;
                }
                off += w;
        }
        return true;
}

/* Input read from the caller, not yet taken by the pty. */
struct pending {
        char buf[16384];
        size_t off, len;
};

/* Write what the (non-blocking) pty takes now; false when it takes nothing more, ever. */
static bool flush_pending(int master, struct pending *p)
{
        while (p->off < p->len) {
                ssize_t w = write(master, p->buf + p->off, p->len - p->off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return errno == EAGAIN;
                p->off += (size_t)w;
        }
        p->off = p->len = 0;
        return true;
}

/* The container said READY=1: tell the caller once, then stop listening (later messages are not passed on). */
static void relay_notify(const struct husk_notify_relay *notify, struct pollfd *pfd)
{
        if (husk_notify_read_ready(notify->sock) != 1)
                return;
        _cleanup_error_ struct husk_error *err = NULL;
        if (husk_notify_host(notify->host_socket, notify->main_pid, false, &err) < 0) {
                _cleanup_free_ char *msg = husk_error_format(err);
                husk_warn("%s", msg ? msg : "NOTIFY_SOCKET: READY=1 not passed on");
        }
        pfd->fd = -1;
}

/* Queue the pty's VEOF character (^D unless changed), once, or twice after a line that has no newline yet. */
static void queue_eof(int master, bool ended_line, struct pending *input)
{
        struct termios t;
        char eof = tcgetattr(master, &t) == 0 && t.c_cc[VEOF] ? (char)t.c_cc[VEOF] : '\x04';
        input->off = 0;
        input->len = 0;
        input->buf[input->len++] = eof;
        if (!ended_line)
                input->buf[input->len++] = eof;
        flush_pending(master, input);
}

/*
 * Forward signals to the process until it exits and, with a terminal, proxy the caller's stdio
 * to the pty (SIGWINCH becomes a resize of the pty instead). Writes to the pty never block: a
 * process busy writing output it cannot get rid of would otherwise never read the input husk is
 * stuck writing. Returns the process's exit status.
 */
static int forward_until_exit(int pidfd, int sfd, int master, const struct husk_notify_relay *notify)
{
        bool master_open = master >= 0, stdin_open = master >= 0, ended_line = true;
        struct pending input; /* not zeroed: 16 KiB, four pages of stack to fault in for nothing */
        input.off = input.len = 0;
        if (master >= 0) {
                copy_window_size(STDIN_FILENO, master);
                fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        }
        struct pollfd pfd[5] = {
            {.fd = pidfd, .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            [4] = {.fd = notify ? notify->sock : -1, .events = POLLIN},
        };
        while (true) {
                pfd[2] = (struct pollfd){.fd = master_open ? master : -1,
                                         .events = (short)(POLLIN | (input.len ? POLLOUT : 0))};
                pfd[3] = (struct pollfd){.fd = stdin_open && !input.len ? STDIN_FILENO : -1, .events = POLLIN};
                if (poll(pfd, 5, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pfd[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH && master >= 0)
                                        copy_window_size(STDIN_FILENO, master);
                                else
                                        husk_pidfd_send_signal(pidfd, (int)si.ssi_signo);
                        }
                }
                if ((pfd[2].revents & POLLOUT) && !flush_pending(master, &input))
                        master_open = false;
                if ((pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(master, STDOUT_FILENO))
                        master_open = false;
                if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(STDIN_FILENO, input.buf, sizeof(input.buf));
                        if (n > 0) {
                                input.len = (size_t)n;
                                ended_line = input.buf[n - 1] == '\n';
                                if (master_open && !flush_pending(master, &input))
                                        master_open = false;
                        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                                stdin_open = false;
                                /* A pipe or file at its end: the pty's end-of-file character tells the process
                                 * (twice after a partial line, whose first one only sends the line). */
                                if (n == 0 && master_open && !isatty(STDIN_FILENO))
                                        queue_eof(master, ended_line, &input);
                        }
                }
                if (!master_open)
                        input.off = input.len = 0;
                if (pfd[4].revents & POLLIN)
                        relay_notify(notify, &pfd[4]);
                if (pfd[0].revents & POLLIN)
                        break;
        }
        /* Output the process wrote just before exiting is still in the pty; bounded, as a
         * leftover child may hold the pty and keep writing. */
        for (int i = 0; master_open && i < 256 && pump(master, STDOUT_FILENO); i++)
                if (poll(&(struct pollfd){.fd = master, .events = POLLIN}, 1, 0) <= 0)
                        break;
        siginfo_t info = {0};
        husk_pidfd_wait(pidfd, &info);
        return status_of(&info);
}

int husk_wait_forwarding(int pidfd, int signal_fd, int terminal_master, const struct husk_notify_relay *notify)
{
        struct termios saved;
        bool raw = terminal_master >= 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
        if (raw) {
                /* Raw input, but output processing stays (as runc's console.SetRaw): the pty does not
                 * translate "\n" (husk_terminal_clear_onlcr), the caller's terminal does. */
                struct termios t = saved;
                cfmakeraw(&t);
                t.c_oflag |= OPOST;
                tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
        int status = forward_until_exit(pidfd, signal_fd, terminal_master, notify);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        return status;
}
