/* OCI hooks: run each with the state JSON on stdin, its args, env and timeout. */
#include "linux/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/exec.h"
#include "util/cleanup.h"
#include "util/timestamp.h"
#include "util/syscalls.h"
#include "util/log.h"

#define HOOK_OUTPUT_MAX 4096

struct hook_output {
        char buf[HOOK_OUTPUT_MAX];
        size_t len;
};

/* Read what the pipe holds now; false once it is empty (EAGAIN) or closed (EOF: *fd is closed and -1). The
 * last HOOK_OUTPUT_MAX - 1 bytes are kept: a failing program says why at the end. */
static bool drain(int *fd, struct hook_output *out)
{
        char tmp[1024];
        ssize_t n = read(*fd, tmp, sizeof(tmp));
        if (n <= 0) {
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        close(*fd);
                        *fd = -1;
                }
                return n < 0 && errno == EINTR;
        }
        size_t keep = sizeof(out->buf) - 1;
        if (out->len + (size_t)n > keep) {
                size_t drop = out->len + (size_t)n - keep;
                drop = drop < out->len ? drop : out->len;
                memmove(out->buf, out->buf + drop, out->len - drop);
                out->len -= drop;
        }
        size_t take = (size_t)n <= keep - out->len ? (size_t)n : keep - out->len;
        memcpy(out->buf + out->len, tmp + (size_t)n - take, take);
        out->len += take;
        out->buf[out->len] = '\0';
        return true;
}

/* Trim the captured output to one line for the error message. */
static const char *one_line(struct hook_output *out)
{
        while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == ' '))
                out->buf[--out->len] = '\0';
        for (size_t i = 0; i < out->len; i++)
                if (out->buf[i] == '\n')
                        out->buf[i] = ' ';
        return out->buf;
}

/*
 * A hook need not read its stdin: writing the state to a pipe it has closed must fail with
 * EPIPE, not kill husk. SIGPIPE is blocked meanwhile (an ignored disposition would be
 * inherited by hooks) and a SIGPIPE raised by our write is consumed afterwards.
 */
static int run_one_guarded(const struct husk_hook *hook, char *const *env, const char *cwd, const char *state_json,
                           struct husk_error **err);

struct sigpipe_guard {
        sigset_t old;
        bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
        sigset_t set, pending;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigpending(&pending);
        g->was_pending = sigismember(&pending, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        if (!g->was_pending)
                sigtimedwait(&set, NULL, &(struct timespec){0, 0});
        sigprocmask(SIG_SETMASK, &g->old, NULL);
}

static int run_one(const struct husk_hook *hook, char *const *inherited, const char *cwd, const char *state_json,
                   struct husk_error **err)
{
        static char *const empty[] = {NULL};
        char *const *env = hook->env ? hook->env : inherited ? inherited : empty;
        struct sigpipe_guard guard;
        sigpipe_block(&guard);
        int r = run_one_guarded(hook, env, cwd, state_json, err);
        sigpipe_restore(&guard);
        return r;
}

static int run_one_guarded(const struct husk_hook *hook, char *const *env, const char *cwd, const char *state_json,
                           struct husk_error **err)
{
        int in[2] = {-1, -1}, outp[2] = {-1, -1};
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
                int r = husk_error_set(err, errno, "create pipe");
                for (int i = 0; i < 2; i++) {
                        if (in[i] >= 0)
                                close(in[i]);
                }
                return r;
        }

        int pidfd = -1;
        struct husk_clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid = husk_clone3(&args);
        if (pid < 0) {
                int r = husk_error_set(err, errno, "fork");
                close(in[0]), close(in[1]), close(outp[0]), close(outp[1]);
                return r;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 || dup2(outp[1], 2) < 0)
                        _exit(127);
                /* A bundle removed since (poststop) leaves the hook where husk is: it still runs. */
                if (cwd)
                        (void)!chdir(cwd);
                /* Only the state and the output pipe: not husk's lock, nor --preserve-fds meant for the container. */
                if (husk_exec_cloexec_from(3, true, NULL) < 0)
                        _exit(127);
                /* No args (or "args": []) is the path alone, as runc. */
                char *argv0[] = {hook->path, NULL};
                execve(hook->path, hook->args && hook->args[0] ? hook->args : argv0, env);
                dprintf(2, "exec `%s`: %s", hook->path, strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(outp[1]);
        int in_fd = in[1], out_fd = outp[0];
        fcntl(in_fd, F_SETFL, O_NONBLOCK);
        fcntl(out_fd, F_SETFL, O_NONBLOCK);

        struct hook_output out = {.len = 0};
        size_t state_len = state_json ? strlen(state_json) : 0, written = 0;
        if (state_len == 0) {
                close(in_fd);
                in_fd = -1;
        }
        int64_t deadline = hook->has_timeout ? husk_monotonic_ms() + (int64_t)hook->timeout * 1000 : -1;
        bool exited = false, timed_out = false;
        while (!exited) {
                struct pollfd pfd[3] = {
                        {.fd = pidfd, .events = POLLIN},
                        {.fd = in_fd, .events = POLLOUT},
                        {.fd = out_fd, .events = POLLIN},
                };
                int timeout = -1;
                if (deadline >= 0) {
                        int64_t left = deadline - husk_monotonic_ms();
                        timeout = left > 0 ? (int)left : 0;
                }
                int n = poll(pfd, 3, timeout);
                if (n < 0 && errno != EINTR)
                        break;
                if (n == 0) {
                        timed_out = true;
                        husk_pidfd_send_signal(pidfd, SIGKILL);
                        break;
                }
                if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
                        ssize_t w = write(in_fd, state_json + written, state_len - written);
                        if (w > 0)
                                written += (size_t)w;
                        if ((w < 0 && errno != EAGAIN) || written == state_len) {
                                close(in_fd);
                                in_fd = -1;
                        }
                }
                if (pfd[2].revents & (POLLIN | POLLHUP))
                        while (out_fd >= 0 && drain(&out_fd, &out))
                                ;
                if (pfd[0].revents & POLLIN)
                        exited = true;
        }
        if (in_fd >= 0)
                close(in_fd);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        /* Whatever the hook printed before exiting is in the pipe now; a child it left holding the pipe is not
         * waited for (it could hold it for ever). */
        while (out_fd >= 0 && drain(&out_fd, &out))
                ;
        if (out_fd >= 0)
                close(out_fd);
        close(pidfd);

        if (timed_out)
                return husk_error_set(err, ETIMEDOUT, "`%s` did not finish within %d s, killed", hook->path,
                                      hook->timeout);
        if (WIFSIGNALED(status))
                return husk_error_set(err, 0, "`%s` killed by signal %d%s%s", hook->path, WTERMSIG(status),
                                      out.len ? ": " : "", one_line(&out));
        if (WEXITSTATUS(status) != 0)
                return husk_error_set(err, 0, "`%s` exited with status %d%s%s", hook->path, WEXITSTATUS(status),
                                      out.len ? ": " : "", one_line(&out));
        if (out.len)
                husk_debug("hook `%s`: %s", hook->path, one_line(&out));
        return 0;
}

int husk_hooks_run(const struct husk_hook_list *hooks, const char *stage, char *const *inherited, const char *cwd,
                   const char *state_json, struct husk_error **err)
{
        for (size_t i = 0; i < hooks->len; i++) {
                husk_debug("running %s hook #%zu `%s`", stage, i, hooks->items[i].path);
                int r = run_one(&hooks->items[i], inherited, cwd, state_json, err);
                if (r < 0)
                        return husk_error_wrap(err, "error running %s hook #%zu", stage, i); /* runc 1.2's words */
        }
        return 0;
}

void husk_hooks_run_warn(const struct husk_hook_list *hooks, const char *stage, char *const *inherited, const char *cwd,
                         const char *state_json)
{
        for (size_t i = 0; i < hooks->len; i++) {
                _cleanup_error_ struct husk_error *e = NULL;
                if (run_one(&hooks->items[i], inherited, cwd, state_json, &e) < 0) {
                        _cleanup_free_ char *msg = husk_error_format(e);
                        husk_warn("%s hook #%zu: %s", stage, i, msg ? msg : "failed");
                }
        }
}
