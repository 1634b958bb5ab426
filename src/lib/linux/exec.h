/* The last steps of the container init: find the program, close fds, execve. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/* Resolve process.args[0] against the PATH of process.env (not husk's), as the container user. */
int husk_exec_resolve(const struct husk_process *process, char **ret_path, struct husk_error **err);

/* Mark every fd >= first_kept_out as close-on-exec (so the sync socket closes exactly at execve). */
int husk_exec_cloexec_from(int first, struct husk_error **err);
