/* run: create + start + wait in one process, forwarding signals, then delete. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/sync.h"
#include "linux/hooks.h"
#include "util/cleanup.h"
#include "util/syscalls.h"
#include "util/log.h"

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void forwarded_set(sigset_t *set)
{
        sigemptyset(set);
        for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
                sigaddset(set, forwarded_signals[i]);
}

/* Release init over the sync socket; EOF means execve succeeded (the socket is close-on-exec). */
static int start_foreground(struct husk_launch *l, struct husk_error **err)
{
        int r = husk_sync_send(l->sync_parent, HUSK_SYNC_START, 0, NULL, 0, err);
        if (r < 0)
                return r;
        return husk_sync_wait_exec(l->sync_parent, err);
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

/*
 * Forward signals to init until it exits and, with a terminal, proxy the caller's stdio to
 * the pty (SIGWINCH becomes a resize of the pty instead). Returns init's exit status.
 */
static int wait_forwarding(struct husk_launch *l, int sfd)
{
        int master = l->terminal_master;
        if (master >= 0)
                copy_window_size(STDIN_FILENO, master);
        struct pollfd pfd[4] = {
                {.fd = l->pidfd, .events = POLLIN},
                {.fd = sfd, .events = POLLIN},
                {.fd = master, .events = POLLIN},
                {.fd = master >= 0 ? STDIN_FILENO : -1, .events = POLLIN},
        };
        while (true) {
                if (poll(pfd, 4, -1) < 0) {
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
                                        husk_pidfd_send_signal(l->pidfd, (int)si.ssi_signo);
                        }
                }
                if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR) && !pump(master, STDOUT_FILENO))
                        pfd[2].fd = -1;
                if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR) && !pump(STDIN_FILENO, master))
                        pfd[3].fd = -1;
                if (pfd[0].revents & POLLIN)
                        break;
        }
        /* Output the container wrote just before exiting is still in the pty. */
        if (master >= 0) {
                fcntl(master, F_SETFL, O_NONBLOCK);
                while (pump(master, STDOUT_FILENO))
                        if (poll(&(struct pollfd){.fd = master, .events = POLLIN}, 1, 0) <= 0)
                                break;
        }
        siginfo_t info = {0};
        while (waitid(P_PIDFD, (id_t)l->pidfd, &info, WEXITED) < 0 && errno == EINTR)
                ;
        return status_of(&info);
}

static int cleanup_after_exit(struct husk_launch *l, struct husk_error **err)
{
        /* Re-take the lock that was dropped while the container ran. */
        _cleanup_close_ int dirfd = -1;
        int r = husk_state_dir_open(l->root, l->id, true, &dirfd, err);
        if (r < 0)
                return r;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_state_read(dirfd, l->id, &state, err);
        if (r < 0)
                return r;
        return husk_container_destroy(l->root, l->id, dirfd, state, true, err);
}

static int run_detached(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                        struct husk_error **err)
{
        int r = husk_container_create(rt, id, opts, err);
        if (r < 0)
                return r;
        r = husk_container_start(rt, id, err);
        if (r < 0) {
                _cleanup_error_ struct husk_error *ignored = NULL;
                husk_container_delete(rt, id, true, &ignored);
        }
        return r;
}

int husk_container_run(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                       int *ret_status, struct husk_error **err)
{
        *ret_status = 0;
        if (opts->detach)
                return run_detached(rt, id, opts, err);

        struct husk_launch l = {
                .rt = rt,
                .opts = opts,
                .root = rt->root ? rt->root : husk_runtime_default_root(),
                .id = id,
                .foreground = true,
        };
        /* Block forwarded signals before init exists so none is lost; init unblocks them. */
        sigset_t set, old;
        forwarded_set(&set);
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        int r = sfd < 0 ? husk_error_set(err, errno, "signalfd") : husk_launch_create(&l, err);
        if (r < 0)
                goto out;
        r = start_foreground(&l, err);
        if (r < 0) {
                husk_launch_abort(&l);
                goto out;
        }
        if (l.spec->hooks.poststart.len) {
                _cleanup_free_ char *json = husk_launch_state_json(&l.state, HUSK_STATUS_RUNNING);
                husk_hooks_run_warn(&l.spec->hooks.poststart, "poststart", json);
        }
        /* Others (kill, state, delete) may act on the container while it runs. */
        close(l.dirfd);
        l.dirfd = -1;
        struct termios saved;
        bool raw = l.terminal_master >= 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
        if (raw) {
                struct termios t = saved;
                cfmakeraw(&t);
                tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
        *ret_status = wait_forwarding(&l, sfd);
        if (raw)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (!opts->keep)
                r = cleanup_after_exit(&l, err);
out:
        husk_launch_release(&l);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
