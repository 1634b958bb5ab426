/* linux.memoryPolicy: the NUMA memory policy (set_mempolicy) of the container process. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * set_mempolicy(2) (raw syscall) with mode | flags and the parsed `nodes` list ("0-3,7"), in the
 * container process before execve; the policy is inherited across fork and exec. No-op when
 * absent. The kernel checks the mode/nodes combination (e.g. MPOL_BIND needs nodes, MPOL_LOCAL
 * takes none); its refusal is reported with the values.
 */
int husk_mempolicy_apply(const struct husk_memory_policy *policy, struct husk_error **err);
