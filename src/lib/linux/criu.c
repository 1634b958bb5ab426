/* Running criu(8) for checkpoint and restore: its command line, the process, its log. */
#include "linux/criu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

void husk_criu_add(struct husk_criu_args *a, const char *arg)
{
        if (a->oom)
                return;
        if (a->len + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 32;
                char **grown = realloc(a->argv, cap * sizeof(char *));
                if (!grown) {
                        a->oom = true;
                        return;
                }
                a->argv = grown;
                a->cap = cap;
        }
        char *copy = strdup(arg);
        if (!copy) {
                a->oom = true;
                return;
        }
        a->argv[a->len++] = copy;
        a->argv[a->len] = NULL;
}

void husk_criu_addf(struct husk_criu_args *a, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *arg = NULL;
        int n = vasprintf(&arg, fmt, ap);
        va_end(ap);
        if (n < 0) {
                a->oom = true;
                return;
        }
        husk_criu_add(a, arg);
        free(arg);
}

void husk_criu_args_clear(struct husk_criu_args *a)
{
        for (size_t i = 0; i < a->len; i++)
                free(a->argv[i]);
        free(a->argv);
        *a = (struct husk_criu_args){0};
}

/*
 * The first line of criu's log that reports an error, without its timestamp: the cause, before the
 * lines criu adds as it unwinds (`Unable to open fd=1`, `Restoring FAILED.`) and cleans up. Passed
 * over: criu's complaint that it could not raise its own RLIMIT_NOFILE, which it survives (it says
 * so wherever root lacks CAP_SYS_RESOURCE). NULL when there is none.
 */
static char *first_log_error(const char *log_path)
{
        _cleanup_fclose_ FILE *f = log_path ? fopen(log_path, "re") : NULL;
        if (!f)
                return NULL;
        char *line = NULL, *found = NULL;
        size_t size = 0;
        while (!found && getline(&line, &size, f) > 0) {
                char *e = strstr(line, "Error (");
                const char *msg = e ? strstr(e, "): ") : NULL;
                if (!msg || strncmp(msg + 3, "rlimit:", 7) == 0)
                        continue;
                e[strcspn(e, "\n")] = '\0';
                found = strdup(e);
        }
        free(line);
        if (found)
                husk_error_sanitize_text(found);
        return found;
}

/* Read exactly one report from fd: 0 on EOF (the exec happened), 1 with report filled. */
static int read_report(int fd, int report[2])
{
        ssize_t n;
        while ((n = read(fd, report, 2 * sizeof(int))) < 0 && errno == EINTR)
                ;
        return n == (ssize_t)(2 * sizeof(int));
}

int husk_criu_run(struct husk_criu_args *a, const struct husk_criu_hooks *hooks, const char *log_path,
                  struct husk_error **err)
{
        if (a->oom || !a->argv)
                return husk_error_set(err, ENOMEM, "criu: command line");
        /* criu rewrites its log, but not when it fails before opening it: an old one must not be quoted. */
        if (log_path)
                unlink(log_path);
        int ready[2], go[2] = {-1, -1};
        if (pipe2(ready, O_CLOEXEC) < 0)
                return husk_error_set(err, errno, "criu: pipe");
        if (hooks && hooks->started && pipe2(go, O_CLOEXEC) < 0) {
                int e = errno;
                close(ready[0]);
                close(ready[1]);
                return husk_error_set(err, e, "criu: pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(ready[0]);
                close(ready[1]);
                if (go[0] >= 0) {
                        close(go[0]);
                        close(go[1]);
                }
                return husk_error_set(err, e, "criu: fork");
        }
        if (pid == 0) {
                close(ready[0]);
                char byte = 0;
                if (go[0] >= 0) {
                        close(go[1]);
                        /* Nothing to read: the parent's hook failed, and it kills us anyway. */
                        if (read(go[0], &byte, 1) != 1)
                                _exit(127);
                }
                /* What went wrong before the exec goes back as a negative errno, and the stage. */
                int r = hooks && hooks->setup ? hooks->setup(a, hooks->data) : 0;
                int stage = 1;
                if (r == 0 && a->oom)
                        r = -ENOMEM;
                if (r == 0) {
                        execvp(a->argv[0], a->argv);
                        r = -errno;
                        stage = 2;
                }
                int report[2] = {stage, r};
                (void)!write(ready[1], report, sizeof(report));
                _exit(127);
        }
        close(ready[1]);
        int r = 0;
        if (go[0] >= 0) {
                close(go[0]);
                r = hooks->started(pid, hooks->data, err);
                if (r < 0)
                        kill(pid, SIGKILL);
                else if (write(go[1], "", 1) != 1)
                        r = husk_error_set(err, errno, "criu: let it go on");
                close(go[1]);
        }
        int report[2] = {0, 0};
        int reported = read_report(ready[0], report);
        close(ready[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (reported && report[0] == 1)
                return husk_error_set(err, -report[1], "criu: set up its process");
        if (reported && report[0] == 2)
                return husk_error_set(
                    err, -report[1], "criu: cannot run `%s`%s", a->argv[0],
                    strchr(a->argv[0], '/') ? "" : " (is criu installed and on PATH? or give --criu PATH)");
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        _cleanup_free_ char *why = first_log_error(log_path);
        if (WIFSIGNALED(status))
                return husk_error_set(err, 0, "criu %s killed by signal %d%s%s (log: %s)", a->argv[1], WTERMSIG(status),
                                      why ? ": " : "", why ? why : "", log_path);
        return husk_error_set(err, 0, "criu %s failed with status %d%s%s (log: %s)", a->argv[1], WEXITSTATUS(status),
                              why ? ": " : "", why ? why : "", log_path);
}
