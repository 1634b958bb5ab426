/* create, start, run: the commands that bring a container up. */
#include "cli.h"

#include <stdio.h>

#define CREATE_OPTIONS(o)                                                                                      \
        {"bundle", 'b', CLI_STRING, &(o).bundle, "path to the bundle directory (default: the current one)"},   \
                {"pid-file", 0, CLI_STRING, &(o).pid_file, "write the init process pid to this file"},        \
                {"console-socket", 0, CLI_STRING, &(o).console_socket,                                        \
                 "unix socket that receives the pty master of a terminal container"},                          \
                {"no-pivot", 0, CLI_BOOL, &(o).no_pivot, "use MS_MOVE + chroot instead of pivot_root"},       \
                {"no-new-keyring", 0, CLI_BOOL, &(o).no_new_keyring, "do not create a new session keyring"}, \
                {"preserve-fds", 0, CLI_INT, &(o).preserve_fds, "pass N extra fds (3 .. 3+N-1) to the container"}

int cli_create(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_create_options o = {0};
        bool help = false;
        const struct cli_option options[] = {
                CREATE_OPTIONS(o),
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("create", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("create", "[OPTIONS] ID",
                          "Create a container from a bundle; its init waits until `husk start ID`.", options);
                return 0;
        }
        int r = cli_expect_args("create", n, 1, 1, "container id", err);
        if (r < 0)
                return r;
        r = husk_container_create(&g->rt, argv[0], &o, err);
        return r < 0 ? husk_error_wrap(err, "create `%s`", argv[0]) : 0;
}

int cli_start(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool help = false;
        const struct cli_option options[] = {{"help", 'h', CLI_BOOL, &help, "show this help"}, {0}};
        int n = cli_parse("start", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("start", "ID", "Start the user process of a created container.", options);
                return 0;
        }
        int r = cli_expect_args("start", n, 1, 1, "container id", err);
        if (r < 0)
                return r;
        r = husk_container_start(&g->rt, argv[0], err);
        return r < 0 ? husk_error_wrap(err, "start `%s`", argv[0]) : 0;
}

int cli_run(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_create_options o = {0};
        bool help = false;
        const struct cli_option options[] = {
                CREATE_OPTIONS(o),
                {"detach", 'd', CLI_BOOL, &o.detach, "return after start instead of waiting"},
                {"keep", 0, CLI_BOOL, &o.keep, "do not delete the container after it exits"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("run", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("run", "[OPTIONS] ID",
                          "Create and start a container, wait for it, return its exit status and delete it.",
                          options);
                return 0;
        }
        int r = cli_expect_args("run", n, 1, 1, "container id", err);
        if (r < 0)
                return r;
        int status = 0;
        r = husk_container_run(&g->rt, argv[0], &o, &status, err);
        if (r < 0)
                return husk_error_wrap(err, "run `%s`", argv[0]);
        cli_exit_status = status;
        return 0;
}
