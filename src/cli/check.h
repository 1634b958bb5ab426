/* `husk check`: what this host supports for containers, and how to fix what is missing. */
#pragma once

#include "cli.h"

int cli_check(struct cli_global *g, int argc, char **argv, struct husk_error **err);
