/* pause and resume: freeze and thaw every process of a container through its cgroup. */
#include "cgroup_commands.h"

#include <stdbool.h>

#include "container/resources.h"

static int freeze_command(struct cli_global *g, bool freeze, const char *command, const char *description, int argc,
                          char **argv, struct husk_error **err)
{
        bool help = false;
        const struct cli_option options[] = {{"help", 'h', CLI_BOOL, &help, "show this help"}, {0}};
        int n = cli_parse(command, argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage(command, "ID", description, options);
                return 0;
        }
        int r = cli_expect_args(command, n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id(command, argv[0], err)) < 0)
                return r;
        r = freeze ? husk_container_pause(&g->rt, argv[0], err) : husk_container_resume(&g->rt, argv[0], err);
        return r < 0 ? husk_error_wrap(err, "%s `%s`", command, argv[0]) : 0;
}

int cli_pause(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        return freeze_command(g, true, "pause", "Suspend every process of the container (cgroup freezer).", argc, argv,
                              err);
}

int cli_resume(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        return freeze_command(g, false, "resume", "Resume the processes of a paused container.", argc, argv, err);
}
