/* linux.intelRdt: Intel RDT (cache and memory bandwidth allocation, monitoring) through the resctrl filesystem. */
#pragma once

#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * In the runtime, once the container process exists. Without a resctrl filesystem mounted at
 * /sys/fs/resctrl the result is the error "linux.intelRdt: resctrl is not mounted" (runtime-spec:
 * MUST generate an error). Otherwise, following runtime-spec:
 *  - the group is `closID`, or the container `id` when closID is absent (created if missing);
 *  - l3CacheSchema and memBwSchema are combined (memBwSchema's MB line replacing any MB line of
 *    l3CacheSchema) and written to `schemata`, then `schemata` is written after them;
 *  - an existing closID group given schemas must already hold them (compared line by line,
 *    ignoring spacing and leading zeros), else error; an absent closID group without schemas is
 *    an error (it must be pre-configured);
 *  - enableMonitoring / enableCMT / enableMBM create mon_groups/<id> in the group;
 *  - pid is written to the group's `tasks` (and the monitoring group's).
 */
int husk_intel_rdt_apply(const struct husk_intel_rdt *rdt, const char *id, pid_t pid, struct husk_error **err);

/* At delete: remove the monitoring group and the group husk created for `id` (a closID group is left alone). */
int husk_intel_rdt_remove(const struct husk_intel_rdt *rdt, const char *id, struct husk_error **err);
