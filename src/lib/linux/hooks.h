/* OCI hooks: run each with the state JSON on stdin, its args, env and timeout. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * Run the hooks of one stage in order; stops at the first failure and returns it, naming the
 * stage and hook index. Output of the hook (stdout and stderr, bounded) is included in the error.
 */
int husk_hooks_run(const struct husk_hook_list *hooks, const char *stage, const char *state_json,
                   struct husk_error **err);

/* Run every hook of the stage; failures only become warnings (poststart, poststop). */
void husk_hooks_run_warn(const struct husk_hook_list *hooks, const char *stage, const char *state_json);
