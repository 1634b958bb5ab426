/* husk's entry point: global flags, logging set-up, dispatch to one function per command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_commands.h"
#include "check.h"
#include "cli.h"
#include "husk-commit.h"
#include "husk-config.h"
#include "run_oci.h"
#include "util/cleanup.h"
#include "util/log.h"

int cli_exit_status = 0;
int cli_failure_status = 1;

static const struct {
        const char *name;
        cli_command_fn fn;
        const char *help;
} commands[] = {
        {"create", cli_create, "create a container"},
        {"start", cli_start, "start a created container"},
        {"run", cli_run, "create and start a container, wait for it"},
        {"kill", cli_kill, "send a signal to a container"},
        {"delete", cli_delete, "delete a container"},
        {"state", cli_state, "print the state of a container"},
        {"list", cli_list, "list containers"},
        {"spec", cli_spec, "write a default config.json"},
        {"features", cli_features, "print the features husk supports"},
        {"exec", cli_exec, "run a process in a running container"},
        {"update", cli_update, "change the resource limits of a container"},
        {"pause", cli_pause, "suspend every process of a container"},
        {"resume", cli_resume, "resume a paused container"},
        {"ps", cli_ps, "list the processes of a container"},
        {"events", cli_events, "print stats and OOM events of a container"},
        {"check", cli_check, "report what this host supports for containers"},
        {"checkpoint", cli_checkpoint, "save a running container with criu"},
        {"restore", cli_restore, "make a container from a checkpoint"},
        /* Not for users: criu runs it as restore's action script (restore.c). */
        {HUSK_CRIU_HOOK_COMMAND, cli_criu_hook, NULL},
};

static void usage(void)
{
        printf("Usage: husk [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
               "husk is an OCI container runtime with runc's command line.\n\nCommands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (commands[i].help)
                        printf("  %-10s %s\n", commands[i].name, commands[i].help);
        printf("\nGlobal options:\n"
               "  --root DIR             state directory (default /run/husk, $XDG_RUNTIME_DIR/husk rootless)\n"
               "  --log FILE             write log lines to FILE\n"
               "  --log-format FORMAT    text or json\n"
               "  --debug                log debug messages\n"
               "  --systemd-cgroup       manage cgroups through systemd\n"
               "  --rootless VALUE       auto, true or false\n"
               "  --criu PATH            the criu binary for checkpoint and restore (default: criu on PATH)\n"
               "  -v, --version          print the version\n"
               "  -h, --help             show this help\n");
}

static void version(void)
{
        printf("husk version %s\ncommit: %s\nspec: %s\n", HUSK_VERSION, HUSK_COMMIT, HUSK_SPEC_VERSION);
}

static int setup_logging(struct cli_global *g, struct husk_error **err)
{
        enum husk_log_format format = HUSK_LOG_TEXT;
        if (g->log_format) {
                if (strcmp(g->log_format, "json") == 0)
                        format = HUSK_LOG_JSON;
                else if (strcmp(g->log_format, "text") != 0)
                        return husk_error_set(err, 0, "--log-format: unknown format `%s` (text or json)",
                                              g->log_format);
        }
        int fd = -1;
        if (g->log_path && *g->log_path) {
                fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (fd < 0)
                        return husk_error_set(err, errno, "--log: open `%s`", g->log_path);
        }
        husk_log_setup(fd, format, g->debug ? HUSK_LOG_DEBUG : HUSK_LOG_WARN);
        return 0;
}

static int parse_rootless(struct cli_global *g, const char *value, struct husk_error **err)
{
        if (!value || strcmp(value, "auto") == 0)
                g->rt.rootless = husk_runtime_rootless_auto(g->rt.systemd_cgroup);
        else if (strcmp(value, "true") == 0)
                g->rt.rootless = true;
        else if (strcmp(value, "false") == 0)
                g->rt.rootless = false;
        else
                return husk_error_set(err, 0, "--rootless: invalid value `%s` (auto, true or false)", value);
        return 0;
}

static int dispatch(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool show_version = false, show_help = false;
        const char *rootless = NULL;
        const struct cli_option options[] = {
                {"root", 0, CLI_STRING, &g->rt.root, ""},
                {"log", 0, CLI_STRING, &g->log_path, ""},
                {"log-format", 0, CLI_STRING, &g->log_format, ""},
                {"debug", 0, CLI_BOOL, &g->debug, ""},
                {"systemd-cgroup", 0, CLI_BOOL, &g->rt.systemd_cgroup, ""},
                {"rootless", 0, CLI_STRING, &rootless, ""},
                {"criu", 0, CLI_STRING, &g->rt.criu, ""},
                {"version", 'v', CLI_BOOL, &show_version, ""},
                {"help", 'h', CLI_BOOL, &show_help, ""},
                {0},
        };
        int n = cli_parse(NULL, argc - 1, argv + 1, options, false, err);
        if (n < 0)
                return n;
        if (show_version) {
                version();
                return 0;
        }
        if (show_help || n == 0) {
                usage();
                if (n == 0 && !show_help)
                        cli_exit_status = 1;
                return 0;
        }
        int r = setup_logging(g, err);
        if (r < 0)
                return r;
        r = parse_rootless(g, rootless, err);
        if (r < 0)
                return r;
        char **args = argv + 1;
        const char *command = args[0];
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (strcmp(command, commands[i].name) == 0)
                        return commands[i].fn(g, n - 1, args + 1, err);
        return husk_error_set(err, 0, "unknown command `%s` (see `husk --help`)", command);
}

/*
 * A caller that closed fd 0, 1 or 2 would have husk's next open land there, and the container's stdio be one of
 * husk's own fds: /dev/null takes each closed one's place (as the Go runtime does for runc). One poll asks all
 * three; open returns the lowest free fd, the one being filled.
 */
static void fill_closed_stdio(void)
{
        struct pollfd fds[3] = {{.fd = 0}, {.fd = 1}, {.fd = 2}};
        if (poll(fds, 3, 0) < 0)
                return;
        for (int i = 0; i < 3; i++)
                if (fds[i].revents & POLLNVAL)
                        open("/dev/null", O_RDWR);
}

int main(int argc, char **argv)
{
        struct cli_global g = {0};
        struct husk_error *err = NULL;
        if (argc < 1)
                return 1;
        fill_closed_stdio();
        /* Invoked through the run_oci symlink: ChromeOS run_oci's command line (run_oci.c). */
        if (strcmp(basename(argv[0]), "run_oci") == 0)
                return run_oci_main(argc, argv);
        if (dispatch(&g, argc, argv, &err) < 0) {
                _cleanup_free_ char *msg = husk_error_format(err);
                /* go-runc and podman read the --log file; people read stderr. */
                if (g.log_path)
                        husk_log(HUSK_LOG_ERROR, "%s", msg ? msg : "error");
                fprintf(stderr, "husk: %s\n", msg ? msg : "error");
                husk_error_free(err);
                return cli_failure_status;
        }
        fflush(stdout);
        return cli_exit_status;
}
