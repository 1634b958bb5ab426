/* OCI hooks: run each with the state JSON on stdin, its args, env and timeout. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * Where a stage's hooks run, which decides the environment of a hook without `env`: in the runtime's
 * namespaces (prestart, createRuntime, poststart, poststop) it inherits husk's, as with runc and crun
 * (hooks find their tools through PATH); inside the container (createContainer, startContainer) it
 * gets none, so nothing of the caller's environment enters the container. A hook with `env` gets
 * exactly that.
 */
enum husk_hook_where { HUSK_HOOK_IN_RUNTIME, HUSK_HOOK_IN_CONTAINER };

/*
 * Run the hooks of one stage in order; stops at the first failure and returns it, naming the
 * stage and hook index. Output of the hook (stdout and stderr, bounded) is included in the error.
 */
int husk_hooks_run(const struct husk_hook_list *hooks, const char *stage, enum husk_hook_where where,
                   const char *state_json, struct husk_error **err);

/* Run every hook of the stage; failures only become warnings (poststart, poststop). */
void husk_hooks_run_warn(const struct husk_hook_list *hooks, const char *stage, enum husk_hook_where where,
                         const char *state_json);
