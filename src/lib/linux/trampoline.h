/* The exec trampoline: the container's process exec'd through a sealed copy of husk-trampoline. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/* Whether this build has the trampoline (src/trampoline: x86_64 and aarch64). */
bool husk_trampoline_built(void);

/* A sealed, close-on-exec memfd holding husk-trampoline; ENOTSUP when not built. Refused where
 * vm.memfd_noexec forbids executable memfds. */
int husk_trampoline_open(struct husk_error **err);

/*
 * execveat the trampoline (fd from husk_trampoline_open) so that it execs path with argv and envp.
 * error_fd (husk's sync socket, close-on-exec) is kept open across this first exec only: the
 * trampoline makes it close-on-exec again, and reports its own failed execve there as the init
 * would. join_fd, when >= 0, is a cgroup `tasks` file the trampoline writes "0" to before its
 * execve (kept open for it the same way): the trampoline's own memory is then not charged there.
 * start_fd, when >= 0, is a created container's listening exec socket (kept open the same way): the
 * trampoline says HUSK_SYNC_READY on error_fd, closes it and waits there for `start`'s
 * HUSK_SYNC_START, whose connection then takes error_fd's part.
 * Returns only on failure.
 */
int husk_trampoline_exec(int trampoline_fd, int error_fd, int join_fd, int start_fd, const char *path,
                         char *const argv[], char *const envp[], struct husk_error **err);
