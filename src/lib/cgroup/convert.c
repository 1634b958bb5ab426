/* v1 -> v2 value conversions and the controllers a resources block needs. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <math.h>

/*
 * cpu.shares [2, 262144] -> cpu.weight [1, 10000], the conversion runc (1.3.2 and later), crun (1.23) and
 * Kubernetes moved to: 10^((L^2 + 125L - 126) / 612) rounded up, L = log2(shares). It keeps the defaults equal
 * (1024 -> 100, where the old linear one gave 39 and a container asking for one CPU ran below the host's
 * processes) and the ends (2 -> 1, 262144 -> 10000). The exponent is one division, exact where L is whole.
 */
uint64_t cg_convert_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares <= 2)
                return 1;
        if (shares >= 262144)
                return 10000;
        double l = log2((double)shares);
        return (uint64_t)ceil(pow(10, (l * l + 125 * l - 126) / 612));
}

/* blkio.weight [10, 1000] -> io.weight [1, 10000]. */
uint64_t cg_convert_blkio_to_io_weight(uint64_t weight)
{
        if (weight == 0)
                return 0;
        if (weight < 10)
                weight = 10;
        return 1 + (weight - 10) * 9999 / 990;
}

/*
 * The spec's swap is memory+swap (v1 memory.memsw.limit_in_bytes); v2's memory.swap.max counts swap
 * alone. -1 means unlimited, 0 unset.
 */
int cg_convert_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret, struct husk_error **err)
{
        /* Memory unlimited and swap unset: both unlimited, as v1 does. */
        if (limit == -1 && swap == 0) {
                *ret = -1;
                return 0;
        }
        if (swap == -1 || swap == 0) {
                *ret = swap;
                return 0;
        }
        if (limit == 0 || limit == -1)
                return husk_error_set(err, EINVAL, "memory.swap: cannot set a swap limit without a memory limit");
        if (limit < 0)
                return husk_error_set(err, EINVAL, "memory.limit: invalid value `%lld`", (long long)limit);
        if (swap < limit)
                return husk_error_set(err, EINVAL,
                                      "memory.swap `%lld` must be at least memory.limit `%lld` (it is memory+swap)",
                                      (long long)swap, (long long)limit);
        *ret = swap - limit;
        return 0;
}

static bool memory_is_set(const struct husk_memory *m, bool v2)
{
        if (!m->present)
                return false;
        /* Zero means unset for these, as in runc. */
        if ((m->has_limit && m->limit != 0) || (m->has_reservation && m->reservation != 0) ||
            (m->has_swap && m->swap != 0))
                return true;
        /* v2 has no swappiness or OOM-killer switch; those are ignored there. */
        if (v2)
                return false;
        if (m->has_swappiness && m->swappiness != UINT64_MAX)
                return true;
        return m->has_disable_oom_killer && m->disable_oom_killer;
}

static bool cpu_is_set(const struct husk_cpu *c)
{
        if (!c->present)
                return false;
        return (c->has_shares && c->shares != 0) || (c->has_quota && c->quota != 0) ||
               (c->has_period && c->period != 0) || c->has_burst ||
               (c->has_realtime_runtime && c->realtime_runtime != 0) ||
               (c->has_realtime_period && c->realtime_period != 0) || c->has_idle;
}

static bool block_io_is_set(const struct husk_block_io *b)
{
        if (!b->present)
                return false;
        return (b->has_weight && b->weight != 0) || (b->has_leaf_weight && b->leaf_weight != 0) ||
               b->weight_devices_len > 0 || b->throttle_read_bps.len > 0 || b->throttle_write_bps.len > 0 ||
               b->throttle_read_iops.len > 0 || b->throttle_write_iops.len > 0;
}

const struct husk_resources *cg_resources_for_new(const struct husk_resources *r, struct husk_resources *copy)
{
        bool pids_default = r && r->has_pids_limit && r->pids_limit <= 0;
        bool class_default = r && r->network.present && r->network.has_class_id && r->network.class_id == 0;
        if (!pids_default && !class_default)
                return r;
        *copy = *r;
        copy->has_pids_limit = copy->has_pids_limit && !pids_default;
        copy->network.has_class_id = copy->network.has_class_id && !class_default;
        return copy;
}

uint32_t cg_resources_controllers(const struct husk_resources *r, bool v2)
{
        uint32_t need = 0;
        if (!r)
                return 0;
        if (memory_is_set(&r->memory, v2))
                need |= CG_BIT(CG_MEMORY);
        if (cpu_is_set(&r->cpu))
                need |= CG_BIT(CG_CPU);
        if (r->cpu.present && ((r->cpu.cpus && *r->cpu.cpus) || (r->cpu.mems && *r->cpu.mems)))
                need |= CG_BIT(CG_CPUSET);
        if (r->has_pids_limit)
                need |= CG_BIT(CG_PIDS);
        if (block_io_is_set(&r->block_io))
                need |= CG_BIT(CG_BLKIO);
        if (r->hugepage_limits_len > 0)
                need |= CG_BIT(CG_HUGETLB);
        if (r->network.present && r->network.has_class_id)
                need |= CG_BIT(CG_NET_CLS);
        if (r->network.present && r->network.priorities_len > 0)
                need |= CG_BIT(CG_NET_PRIO);
        if (r->rdma_len > 0)
                need |= CG_BIT(CG_RDMA);
        return need;
}

const char *cg_resources_drop_beyond_runc_update(struct husk_resources *r, enum cg_controller c)
{
        switch (c) {
        case CG_MEMORY:
                r->memory.has_swappiness = r->memory.has_disable_oom_killer = false;
                return "memory.swappiness, memory.disableOOMKiller";
        case CG_BLKIO:
                r->block_io.has_leaf_weight = false;
                r->block_io.weight_devices_len = 0;
                r->block_io.throttle_read_bps.len = r->block_io.throttle_write_bps.len = 0;
                r->block_io.throttle_read_iops.len = r->block_io.throttle_write_iops.len = 0;
                return "blockIO";
        case CG_HUGETLB:
                r->hugepage_limits_len = 0;
                return "hugepageLimits";
        case CG_NET_CLS:
                r->network.has_class_id = false;
                return "network.classID";
        case CG_NET_PRIO:
                r->network.priorities_len = 0;
                return "network.priorities";
        case CG_RDMA:
                r->rdma_len = 0;
                return "rdma";
        case CG_CPU:
        case CG_CPUACCT:
        case CG_CPUSET:
        case CG_DEVICES:
        case CG_FREEZER:
        case CG_PIDS:
        case CG_PERF_EVENT:
        case CG_MISC:
        case CG_CONTROLLER_COUNT:
                break;
        }
        return NULL;
}
