/* The intermediate that clones a process from inside another user namespace, and how it reports it. */
#pragma once

#include <sys/types.h>

#include "util/error.h"

/*
 * A process whose namespaces must be made or joined from inside another user namespace (new ones then
 * belong to it; a pid namespace it owns can be joined only with its capabilities) is cloned with
 * CLONE_PARENT by a short-lived intermediate child that entered that user namespace first (runc's nsexec
 * order). The new process is then the caller's own child, unreaped, so its pid, reported over this pipe,
 * is safe to pidfd_open. The intermediate reports the pid or why it failed, then exits.
 */
struct husk_ns_relay {
        int read_fd, write_fd; /* O_CLOEXEC | O_NONBLOCK pipe, -1 when closed */
};

int husk_ns_relay_open(struct husk_ns_relay *relay, struct husk_error **err);
void husk_ns_relay_close(struct husk_ns_relay *relay);

/* In the intermediate: report the new process (pid > 0) or the failure e, and exit. */
_Noreturn void husk_ns_relay_exit(struct husk_ns_relay *relay, pid_t pid, const struct husk_error *e);

/*
 * In the caller: reap the intermediate, then take what it reported: the new process's pid and a pidfd
 * of it, or its error. Closes the relay.
 */
int husk_ns_relay_wait(struct husk_ns_relay *relay, pid_t intermediate, pid_t *ret_pid, int *ret_pidfd,
                       struct husk_error **err);
