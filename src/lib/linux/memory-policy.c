/* linux.memoryPolicy: the NUMA memory policy (set_mempolicy) of the container process. */
#include "linux/memory-policy.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/idlist.h"
#include "util/cleanup.h"

#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif
#define KNOWN_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
/* The kernel refuses masks wider than a page of bits (mm/mempolicy.c get_nodes). */
#define MAX_NODE_ID (4096u * 8 - 1)

int husk_mempolicy_apply(const struct husk_memory_policy *policy, struct husk_error **err)
{
        if (!policy || !policy->present)
                return 0;
        if (policy->mode < MPOL_DEFAULT || policy->mode > MPOL_WEIGHTED_INTERLEAVE)
                return husk_error_set(err, 0, "linux.memoryPolicy.mode: unknown mode %d", policy->mode);
        if (policy->flags & ~(unsigned int)KNOWN_MODE_FLAGS)
                return husk_error_set(err, 0, "linux.memoryPolicy.flags: unknown flags 0x%x",
                                      policy->flags & ~(unsigned int)KNOWN_MODE_FLAGS);

        _cleanup_free_ unsigned long *nodes = NULL;
        size_t nbits = 0;
        int r = husk_idlist_parse(policy->nodes, MAX_NODE_ID, "linux.memoryPolicy.nodes", &nodes, &nbits, err);
        if (r < 0)
                return r;
        /* maxnode counts one more than the bits passed: the kernel drops the last one (historic). */
        unsigned long maxnode = nbits ? nbits + 1 : 0;
        if (syscall(SYS_set_mempolicy, policy->mode | (int)policy->flags, nodes, maxnode) < 0)
                return husk_error_set(err, errno, "linux.memoryPolicy: set_mempolicy (mode %d, flags 0x%x, nodes `%s`)",
                                      policy->mode, policy->flags, policy->nodes ? policy->nodes : "");
        return 0;
}
