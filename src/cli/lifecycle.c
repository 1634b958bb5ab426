/* create, start, run: the commands that bring a container up. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define CREATE_OPTIONS(o)                                                                                      \
        {"bundle", 'b', CLI_STRING, &(o).bundle, "path to the bundle directory (default: the current one)"},   \
                {"pid-file", 0, CLI_STRING, &(o).pid_file, "write the init process pid to this file"},        \
                {"console-socket", 0, CLI_STRING, &(o).console_socket,                                        \
                 "unix socket that receives the pty master of a terminal container"},                          \
                {"pidfd-socket", 0, CLI_STRING, &(o).pidfd_socket,                                            \
                 "unix socket that receives a pidfd of the container init"},                                   \
                {"no-pivot", 0, CLI_BOOL, &(o).no_pivot, "use MS_MOVE + chroot instead of pivot_root"},       \
                {"no-new-keyring", 0, CLI_BOOL, &(o).no_new_keyring, "do not create a new session keyring"}, \
                {"preserve-fds", 0, CLI_INT, &(o).preserve_fds, "pass N extra fds (3 .. 3+N-1) to the container"}

/*
 * systemd socket activation, as runc: when LISTEN_PID names this process, its LISTEN_FDS fds
 * (3 .. 3+N-1) go to the container ahead of --preserve-fds, announced as LISTEN_FDS=N and
 * LISTEN_PID=1. exec has no such thing (nor does runc's).
 */
struct activation {
        unsigned int fds;
        char env_fds[32];
};

static unsigned int listen_fds(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        if (!pid || !fds)
                return 0;
        char *end;
        errno = 0;
        long listen_pid = strtol(pid, &end, 10);
        if (errno || *end || end == pid || listen_pid != getpid())
                return 0;
        long n = strtol(fds, &end, 10);
        if (errno || *end || end == fds || n <= 0 || n > INT_MAX - 3)
                return 0;
        /* Only fds that are really open: a stale variable must not hand over fds opened later. */
        for (long fd = 3; fd < 3 + n; fd++)
                if (fcntl((int)fd, F_GETFD) < 0)
                        return 0;
        return (unsigned int)n;
}

static int add_activation_env(struct husk_spec *spec, void *data, struct husk_error **err)
{
        struct activation *a = data;
        int r = husk_spec_env_set(spec, a->env_fds, err);
        return r < 0 ? r : husk_spec_env_set(spec, "LISTEN_PID=1", err);
}

/* runc's NOTIFY_SOCKET: read from the environment, empty meaning none. */
static const char *notify_socket(void)
{
        const char *s = getenv("NOTIFY_SOCKET");
        return s && *s ? s : NULL;
}

static void socket_activation(struct husk_create_options *o, struct activation *a)
{
        a->fds = listen_fds();
        if (a->fds == 0)
                return;
        snprintf(a->env_fds, sizeof(a->env_fds), "LISTEN_FDS=%u", a->fds);
        o->preserve_fds += (int)a->fds;
        o->edit_spec = add_activation_env;
        o->edit_spec_data = a;
}

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
        if (r < 0 || (r = cli_expect_id("create", argv[0], err)) < 0)
                return r;
        struct activation activation;
        socket_activation(&o, &activation);
        o.notify_socket = notify_socket();
        r = husk_container_create(&g->rt, argv[0], &o, err);
        return r < 0 ? cli_wrap(err, "create", argv[0]) : 0;
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
        if (r < 0 || (r = cli_expect_id("start", argv[0], err)) < 0)
                return r;
        r = husk_container_start(&g->rt, argv[0], notify_socket(), err);
        return r < 0 ? cli_wrap(err, "start", argv[0]) : 0;
}

int cli_run(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_create_options o = {0};
        bool help = false;
        const struct cli_option options[] = {
                CREATE_OPTIONS(o),
                {"detach", 'd', CLI_BOOL, &o.detach, "return after start instead of waiting"},
                {"keep", 0, CLI_BOOL, &o.keep, "do not delete the container after it exits"},
                /* runc's run makes itself the child subreaper unless told not to; husk never does (an init in a
                 * pid namespace of its own adopts the container's orphans there anyway). Taken for the
                 * programs that pass it. */
                {"no-subreaper", 0, CLI_BOOL, &(bool){false}, "accepted for runc compatibility: husk is never a subreaper"},
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
        if (r < 0 || (r = cli_expect_id("run", argv[0], err)) < 0)
                return r;
        struct activation activation;
        socket_activation(&o, &activation);
        o.notify_socket = notify_socket();
        int status = 0;
        r = husk_container_run(&g->rt, argv[0], &o, &status, err);
        if (r < 0)
                return cli_wrap(err, "run", argv[0]);
        cli_exit_status = status;
        return 0;
}
