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

