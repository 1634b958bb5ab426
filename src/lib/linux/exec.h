/* The last steps of the container init: find the program, close fds, execve. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/* Resolve process.args[0] against the PATH of process.env (not husk's), as the container user. */
int husk_exec_resolve(const struct husk_process *process, char **ret_path, struct husk_error **err);

/*
 * Mark every fd >= first as close-on-exec (so the sync socket closes exactly at execve): with close_range,
 * or, where it fails or try_close_range is false (a seccomp filter in place that may kill on it), fd by fd
 * through /proc/self/fd.
 */
int husk_exec_cloexec_from(int first, bool try_close_range, struct husk_error **err);
