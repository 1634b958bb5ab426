/* ps: the container's processes, as a JSON pid array or as the host's ps(1) table filtered to them. */
#include "cgroup_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/resources.h"
#include "util/cleanup.h"

extern char **environ;

/* What ps(1) may print at most; `ps -ef` on a busy host is a few hundred kB. */
#define PS_OUTPUT_MAX (64u << 20)

/* Run `ps ARGS...` with stdout and stderr in one pipe (runc shows both when ps fails). */
static int run_ps(char **ps_args, int ps_argc, char **ret_output, struct husk_error **err)
{
        _cleanup_free_ char **argv = calloc((size_t)ps_argc + 2, sizeof(char *));
        if (!argv)
                return husk_error_set(err, ENOMEM, "ps");
        argv[0] = (char *)"ps";
        for (int i = 0; i < ps_argc; i++)
                argv[i + 1] = ps_args[i];

        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return husk_error_set(err, errno, "ps: pipe");
        _cleanup_close_ int read_end = pipefd[0], write_end = pipefd[1];
        posix_spawn_file_actions_t actions;
        if (posix_spawn_file_actions_init(&actions) != 0)
                return husk_error_set(err, ENOMEM, "ps");
        /* dup2 clears O_CLOEXEC on the copies; everything else of ours stays closed in ps. */
        posix_spawn_file_actions_adddup2(&actions, write_end, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&actions, write_end, STDERR_FILENO);
        pid_t pid;
        int r = posix_spawnp(&pid, "ps", &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        if (r != 0)
                return husk_error_set(err, r, "ps: run `ps`");
        close(TAKE_FD(write_end));

        size_t cap = 16384, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        int read_errno = buf ? 0 : ENOMEM;
        while (buf) {
                if (len + 1 == cap) {
                        char *grown = cap < PS_OUTPUT_MAX ? realloc(buf, cap * 2) : NULL;
                        if (!grown) {
                                read_errno = cap < PS_OUTPUT_MAX ? ENOMEM : EFBIG;
                                break;
                        }
                        buf = grown;
                        cap *= 2;
                }
                ssize_t n = read(read_end, buf + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        read_errno = n < 0 ? errno : 0;
                        break;
                }
                len += (size_t)n;
        }
        close(TAKE_FD(read_end)); /* ps gets EPIPE instead of blocking if we stopped early */
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return husk_error_set(err, errno, "ps: wait for `ps`");
        if (read_errno)
                return husk_error_set(err, read_errno, "ps: read the output of `ps`");
        buf[len] = '\0';
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                while (len > 0 && buf[len - 1] == '\n')
                        buf[--len] = '\0';
                if (WIFEXITED(status))
                        return husk_error_set(err, 0, "ps: `ps` exited with status %d: %s", WEXITSTATUS(status), buf);
                return husk_error_set(err, 0, "ps: `ps` killed by signal %d: %s", WTERMSIG(status), buf);
        }
        *ret_output = TAKE_PTR(buf);
        return 0;
}

static bool contains(const pid_t *pids, size_t len, long pid)
{
        for (size_t i = 0; i < len; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* The header, then each line whose PID column is one of pids (runc's filter). */
static int print_table(char *output, const pid_t *pids, size_t len, struct husk_error **err)
{
        char *header = output;
        char *rest = strchr(output, '\n');
        if (rest)
                *rest++ = '\0';
        int pid_column = -1, column = 0;
        for (char *p = header; *p;) {
                p += strspn(p, " \t");
                if (!*p)
                        break;
                size_t n = strcspn(p, " \t");
                if (n == 3 && strncmp(p, "PID", 3) == 0) {
                        pid_column = column;
                        break;
                }
                column++;
                p += n;
        }
        if (pid_column < 0)
                return husk_error_set(err, 0, "ps: couldn't find PID field in ps output");
        printf("%s\n", header);
        for (char *line = rest; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                const char *p = line;
                for (int c = 0; *p && c <= pid_column; c++) {
                        p += strspn(p, " \t");
                        if (c == pid_column)
                                break;
                        p += strcspn(p, " \t");
                }
                char *end;
                long pid = strtol(p, &end, 10);
                if (*line && (end == p || (*end && *end != ' ' && *end != '\t')))
                        return husk_error_set(err, 0, "ps: unable to parse pid in `%s`", line);
                if (*line && contains(pids, len, pid))
                        printf("%s\n", line);
                line = next;
        }
        return 0;
}

int cli_ps(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        const char *format = "table";
        bool help = false;
        const struct cli_option options[] = {
            {"format", 'f', CLI_STRING, &format, "table or json"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        /* Flags end at the id: what follows is for ps(1) (`husk ps ID -o pid,comm`). */
        int n = cli_parse("ps", argc, argv, options, false, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("ps", "[OPTIONS] ID [PS OPTIONS]",
                          "List the processes of a container: json is an array of host pids; table runs ps(1) with "
                          "PS OPTIONS (default -ef) and keeps the container's lines.",
                          options);
                return 0;
        }
        int r = cli_expect_args("ps", n, 1, -1, "container id", err);
        if (r < 0 || (r = cli_expect_id("ps", argv[0], err)) < 0)
                return r;
        bool json = strcmp(format, "json") == 0;
        if (!json && strcmp(format, "table") != 0)
                return husk_error_set(err, 0, "ps: --format: invalid format `%s` (table or json)", format);
        const char *id = argv[0];
        _cleanup_free_ pid_t *pids = NULL;
        size_t len = 0;
        r = husk_container_pids(&g->rt, id, &pids, &len, err);
        if (r < 0)
                return husk_error_wrap(err, "ps `%s`", id);
        if (json) {
                if (len == 0) {
                        printf("null\n"); /* runc encodes an empty pid list as null */
                        return 0;
                }
                for (size_t i = 0; i < len; i++)
                        printf("%c%d", i ? ',' : '[', pids[i]);
                printf("]\n");
                return 0;
        }
        static char *default_args[] = {(char *)"-ef"};
        _cleanup_free_ char *output = NULL;
        r = n > 1 ? run_ps(argv + 1, n - 1, &output, err) : run_ps(default_args, 1, &output, err);
        if (r < 0)
                return r;
        return print_table(output, pids, len, err);
}
