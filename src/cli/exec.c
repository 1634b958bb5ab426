/* exec: run a process in a running container, with runc's flags. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container/exec.h"
#include "util/cleanup.h"

/* One -g value: comma-separated gids, none empty. */
static int parse_gids(const char *text, gid_t **ret, size_t *ret_len, struct husk_error **err)
{
        size_t n = 0;
        gid_t *gids = NULL;
        for (const char *tok = text;; tok++) {
                size_t len = strcspn(tok, ",");
                uint32_t v;
                gid_t *grown = realloc(gids, (n + 1) * sizeof(gid_t));
                if (!grown || !husk_exec_parse_id(tok, len, &v)) {
                        free(grown ? grown : gids);
                        return husk_error_set(err, 0, "exec --additional-gids: invalid gid `%.*s` in `%s`", (int)len,
                                              tok, text);
                }
                gids = grown;
                gids[n++] = (gid_t)v;
                tok += len;
                if (!*tok)
                        break;
        }
        *ret = gids;
        *ret_len = n;
        return 0;
}

int cli_exec(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_exec_options o = {.no_new_privs = -1};
        struct cli_list env = {0}, caps = {0}, gids = {0}, cgroups = {0};
        bool help = false;
        const struct cli_option options[] = {
            {"process", 'p', CLI_STRING, &o.process_file, "a process.json to run (- for stdin)"},
            {"console-socket", 0, CLI_STRING, &o.console_socket, "unix socket that receives the pty master"},
            {"pidfd-socket", 0, CLI_STRING, &o.pidfd_socket, "unix socket that receives a pidfd of the process"},
            {"cwd", 0, CLI_STRING, &o.cwd, "working directory in the container"},
            {"env", 'e', CLI_LIST, &env, "NAME=VALUE to set (repeatable)"},
            {"tty", 't', CLI_BOOL, &o.tty, "allocate a pseudo-terminal"},
            {"user", 'u', CLI_STRING, &o.user, "UID[:GID] to run as"},
            {"additional-gids", 'g', CLI_LIST, &gids, "additional gids, comma separated (repeatable)"},
            {"detach", 'd', CLI_BOOL, &o.detach, "do not wait for the process"},
            {"pid-file", 0, CLI_STRING, &o.pid_file, "write the process pid to this file"},
            {"process-label", 0, CLI_STRING, &o.process_label, "SELinux label of the process"},
            {"apparmor", 0, CLI_STRING, &o.apparmor, "AppArmor profile of the process"},
            {"no-new-privs", 0, CLI_BOOL_SET, &o.no_new_privs, "set (or with =false clear) no_new_privs"},
            {"cap", 'c', CLI_LIST, &caps, "add a capability (repeatable)"},
            {"preserve-fds", 0, CLI_INT, &o.preserve_fds, "pass N extra fds (3 .. 3+N-1)"},
            {"cgroup", 0, CLI_LIST, &cgroups, "join a sub-cgroup: PATH or CTRL[,CTRL]:PATH (repeatable)"},
            {"ignore-paused", 0, CLI_BOOL, &o.ignore_paused, "allow exec in a paused container"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        int r;
        int n = cli_parse("exec", argc, argv, options, false, err);
        if (n < 0) {
                r = n;
                goto out;
        }
        if (help) {
                cli_usage("exec", "[OPTIONS] ID [COMMAND [ARG...]]", "Run a process in a running container.", options);
                r = 0;
                goto out;
        }
        if ((r = cli_expect_args("exec", n, o.process_file ? 1 : 2, o.process_file ? 1 : -1,
                                 o.process_file ? "container id" : "container id or command", err)) < 0 ||
            (r = cli_expect_id("exec", argv[0], err)) < 0)
                goto out;
        for (size_t i = 0; i < gids.len; i++) {
                gid_t *list = NULL;
                size_t len = 0;
                if ((r = parse_gids(gids.items[i], &list, &len, err)) < 0)
                        goto out;
                gid_t *grown = realloc(o.additional_gids, (o.additional_gids_len + len) * sizeof(gid_t));
                if (!grown) {
                        free(list);
                        r = husk_error_set(err, ENOMEM, "exec");
                        goto out;
                }
                memcpy(grown + o.additional_gids_len, list, len * sizeof(gid_t));
                o.additional_gids = grown;
                o.additional_gids_len += len;
                free(list);
        }
        o.args = argv + 1;
        o.env = env.items;
        o.caps = caps.items;
        o.cgroups = cgroups.items;
        /* As runc and crun do: a process that could not be run exits 255, a status processes seldom use. */
        cli_failure_status = 255;
        int status = 0;
        r = husk_container_exec(&g->rt, argv[0], &o, &status, err);
        if (r < 0)
                r = husk_error_wrap(err, "exec in `%s`", argv[0]);
        else
                cli_exit_status = status;
out:
        free(env.items);
        free(caps.items);
        free(cgroups.items);
        free(gids.items);
        free(o.additional_gids);
        return r;
}
