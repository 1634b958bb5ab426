/* Which namespaces a container gets: new ones as clone flags, joined ones as verified fds. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct husk_ns_plan {
        unsigned long new_flags;    /* CLONE_NEW* to create */
        int join_fd[HUSK_NS_COUNT]; /* fds of namespaces to join by path, -1 when none */
        bool has[HUSK_NS_COUNT];    /* listed in linux.namespaces (new or joined) */
};

unsigned long husk_ns_clone_flag(enum husk_ns_type type);

/* Open and verify (NS_GET_NSTYPE) every namespace path; errors name linux.namespaces[i].path. */
int husk_ns_plan_open(const struct husk_spec *spec, struct husk_ns_plan *ret, struct husk_error **err);
void husk_ns_plan_close(struct husk_ns_plan *plan);

/* setns() into the joined namespace of this type, if any; closes its fd. */
int husk_ns_join(struct husk_ns_plan *plan, enum husk_ns_type type, struct husk_error **err);

/* Write linux.timeOffsets to /proc/<pid>/timens_offsets (before the first process enters the ns). */
int husk_ns_write_time_offsets(const struct husk_spec *spec, struct husk_error **err);

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
