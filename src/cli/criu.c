/* checkpoint, restore: a container saved by criu, and a new one made from what it saved. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"

/* runc's default for --image-path, missing or empty: ./checkpoint. */
static char *default_image_path(void)
{
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        char *path = NULL;
        if (!cwd || asprintf(&path, "%s/checkpoint", cwd) < 0)
                return NULL;
        return path;
}

/* clang-format off */
#define CRIU_COMMON_OPTIONS(o)                                                                                 \
        {"image-path", 0, CLI_STRING, &(o).criu.image_path, "criu's image directory (default: ./checkpoint)"}, \
        {"work-path", 0, CLI_STRING, &(o).criu.work_path, "criu's log and work directory (default: the image one)"}, \
        {"tcp-established", 0, CLI_BOOL, &(o).criu.tcp_established, "take established TCP connections too"}, \
        {"ext-unix-sk", 0, CLI_BOOL, &(o).criu.ext_unix_sk, "allow unix sockets connected outside"},         \
        {"shell-job", 0, CLI_BOOL, &(o).criu.shell_job, "the processes are a shell job"},                    \
        {"file-locks", 0, CLI_BOOL, &(o).criu.file_locks, "take file locks"},                                \
        {"manage-cgroups-mode", 0, CLI_STRING, &(o).criu.manage_cgroups_mode,                                \
         "cgroups in the image: soft (default), full, strict or ignore"},                                    \
        {"empty-ns", 0, CLI_STRING, &(o).criu.empty_ns, "network (always left empty, as runc)"},             \
        {"auto-dedup", 0, CLI_BOOL, &(o).criu.auto_dedup, "deduplicate the images' memory"},                 \
        {"lazy-pages", 0, CLI_BOOL, &(o).criu.lazy_pages, "restore memory pages on demand"}
/* clang-format on */

int cli_checkpoint(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_checkpoint_options o = {.status_fd = -1};
        bool help = false;
        const struct cli_option options[] = {
            CRIU_COMMON_OPTIONS(o),
            {"parent-path", 0, CLI_STRING, &o.parent_path, "a pre-dump this one builds on"},
            {"leave-running", 0, CLI_BOOL, &o.leave_running, "keep the container running after the dump"},
            {"tcp-skip-in-flight", 0, CLI_BOOL, &o.tcp_skip_in_flight, "skip TCP connections not yet accepted"},
            {"link-remap", 0, CLI_BOOL, &o.link_remap, "allow files unlinked but still open"},
            {"page-server", 0, CLI_STRING, &o.page_server, "ADDRESS:PORT of a criu page server"},
            {"status-fd", 0, CLI_INT, &o.status_fd, "with --lazy-pages: fd told when the page server is ready"},
            {"pre-dump", 0, CLI_BOOL, &o.pre_dump, "only dump memory, leave the container running"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        int n = cli_parse("checkpoint", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("checkpoint", "[OPTIONS] ID",
                          "Save a running container with criu; unless --leave-running, it is then gone.", options);
                return 0;
        }
        int r = cli_expect_args("checkpoint", n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id("checkpoint", argv[0], err)) < 0)
                return r;
        _cleanup_free_ char *image = o.criu.image_path && *o.criu.image_path ? NULL : default_image_path();
        if (image)
                o.criu.image_path = image;
        r = husk_container_checkpoint(&g->rt, argv[0], &o, err);
        return r < 0 ? cli_wrap(err, "checkpoint", argv[0]) : 0;
}

int cli_restore(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct husk_restore_options o = {0};
        bool help = false, no_pivot = false, no_subreaper = false;
        const struct cli_option options[] = {
            CRIU_COMMON_OPTIONS(o),
            {"bundle", 'b', CLI_STRING, &o.bundle, "path to the bundle directory (default: the current one)"},
            {"detach", 'd', CLI_BOOL, &o.detach, "return once restored instead of waiting"},
            {"pid-file", 0, CLI_STRING, &o.pid_file, "write the restored init's pid to this file"},
            {"console-socket", 0, CLI_STRING, &o.console_socket, "for a container with a terminal"},
            {"lsm-profile", 0, CLI_STRING, &o.lsm_profile, "TYPE:NAME of the LSM profile to restore with"},
            {"lsm-mount-context", 0, CLI_STRING, &o.lsm_mount_context, "SELinux mount context to restore with"},
            /* criu restores the mount namespace itself, pivot or not; husk is never a subreaper (run). */
            {"no-pivot", 0, CLI_BOOL, &no_pivot, "accepted for runc compatibility (criu makes the mounts)"},
            {"no-subreaper", 0, CLI_BOOL, &no_subreaper, "accepted for runc compatibility"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        int n = cli_parse("restore", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("restore", "[OPTIONS] ID",
                          "Make a container from a bundle and a checkpoint; wait for it unless --detach.", options);
                return 0;
        }
        int r = cli_expect_args("restore", n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id("restore", argv[0], err)) < 0)
                return r;
        _cleanup_free_ char *image = o.criu.image_path && *o.criu.image_path ? NULL : default_image_path();
        if (image)
                o.criu.image_path = image;
        int status = 0;
        r = husk_container_restore(&g->rt, argv[0], &o, &status, err);
        if (r < 0)
                return cli_wrap(err, "restore", argv[0]);
        cli_exit_status = status;
        return 0;
}

int cli_criu_hook(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        int r = cli_expect_args(HUSK_CRIU_HOOK_COMMAND, argc, 1, 1, "container id", err);
        if (r < 0)
                return r;
        const char *action = getenv("CRTOOLS_SCRIPT_ACTION"), *pid = getenv("CRTOOLS_INIT_PID");
        if (!action)
                return husk_error_set(err, 0, "%s: run by criu only (no CRTOOLS_SCRIPT_ACTION)",
                                      HUSK_CRIU_HOOK_COMMAND);
        r = husk_container_restore_action(&g->rt, argv[0], action, pid ? (pid_t)atoi(pid) : 0, err);
        return r < 0 ? cli_wrap(err, "restore", argv[0]) : 0;
}
