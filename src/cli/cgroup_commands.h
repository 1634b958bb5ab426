/* The subcommands that work on a container's cgroup: update, pause, resume, ps, events. */
#pragma once

#include "cli.h"

int cli_update(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_pause(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_resume(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_ps(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_events(struct cli_global *g, int argc, char **argv, struct husk_error **err);
