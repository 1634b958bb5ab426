/* OCI hooks: run each with the state JSON on stdin, its args, env and timeout. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * Run the hooks of one stage in order; stops at the first failure and returns it, naming the
 * stage and hook index. Output of the hook (stdout and stderr, bounded) is included in the error.
 * `inherited` is the environment of a hook without `env` (one with `env` gets exactly that). As with
 * runc: in the runtime's namespaces (prestart, createRuntime, poststart, poststop) husk's own,
 * `environ`, since hooks find their tools through PATH; inside the container (createContainer,
 * startContainer) the container process's `process.env`, so nothing of the caller's environment
 * enters the container. NULL: none. `cwd` is the directory the hooks run in, NULL: husk's own. As runc,
 * which enters the bundle to create or run a container: the bundle for the hooks `create` and `run` run on
 * the host, the rootfs for createContainer; those of `start` and `delete` run where husk was started.
 */
int husk_hooks_run(const struct husk_hook_list *hooks, const char *stage, char *const *inherited, const char *cwd,
                   const char *state_json, struct husk_error **err);

/* Run every hook of the stage; failures only become warnings (poststart, poststop). */
void husk_hooks_run_warn(const struct husk_hook_list *hooks, const char *stage, char *const *inherited, const char *cwd,
                         const char *state_json);
