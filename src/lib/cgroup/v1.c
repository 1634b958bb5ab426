/* cgroup v1 driver: linux.resources written to the per-controller hierarchies (also used on hybrid hosts). */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"

static int write_i64(int fd, const char *file, int64_t v, struct husk_error **err)
{
        return cg_writef(fd, file, err, "%" PRId64, v);
}

static int write_u64(int fd, const char *file, uint64_t v, struct husk_error **err)
{
        return cg_writef(fd, file, err, "%" PRIu64, v);
}

/* ---- memory ---- */

static int set_memory_limit(int fd, int64_t limit, struct husk_error **err)
{
        if (limit == 0)
                return 0;
        int r = write_i64(fd, "memory.limit_in_bytes", limit, err);
        if (r != -EBUSY)
                return r;
        /* EBUSY: the limit is below what the cgroup uses now; say by how much. */
        uint64_t usage = 0, peak = 0;
        if (cg_read_u64(fd, "memory.usage_in_bytes", &usage, NULL) < 0 ||
            cg_read_u64(fd, "memory.max_usage_in_bytes", &peak, NULL) < 0)
                return r;
        cg_error_clear(err);
        return husk_error_set(err, EBUSY,
                              "write `memory.limit_in_bytes` = `%" PRId64 "` (current usage %" PRIu64
                              ", peak usage %" PRIu64 ")",
                              limit, usage, peak);
}

static int set_swap_limit(int fd, int64_t swap, struct husk_error **err)
{
        if (swap == 0)
                return 0;
        return write_i64(fd, "memory.memsw.limit_in_bytes", swap, err);
}

static int v1_memory(int fd, const struct husk_memory *m, struct husk_error **err)
{
        int r;
        int64_t limit = m->has_limit ? m->limit : 0;
        int64_t swap = m->has_swap ? m->swap : 0;

        /* Memory unlimited and swap unset: lift the memory+swap limit too, or the kernel keeps the old one. */
        if (limit == -1 && swap == 0 && cg_file_exists(fd, "memory.memsw.limit_in_bytes"))
                swap = -1;

        if (m->has_check_before_update && m->check_before_update && limit > 0 &&
            (r = cg_check_usage_below(fd, "memory.usage_in_bytes", limit, err)) < 0)
                return r;

        /*
         * The kernel requires memory.limit <= memsw.limit at every step. Raising: swap first; lowering:
         * memory first. The current limit decides which.
         */
        bool swap_first = false;
        if (limit != 0 && swap != 0) {
                uint64_t current;
                r = cg_read_u64(fd, "memory.limit_in_bytes", &current, err);
                if (r < 0)
                        return r;
                swap_first = swap == -1 || current < (uint64_t)swap;
        }
        if (swap_first) {
                if ((r = set_swap_limit(fd, swap, err)) < 0 || (r = set_memory_limit(fd, limit, err)) < 0)
                        return r;
        } else {
                if ((r = set_memory_limit(fd, limit, err)) < 0 || (r = set_swap_limit(fd, swap, err)) < 0)
                        return r;
        }

        if (m->has_reservation && m->reservation != 0) {
                r = write_i64(fd, "memory.soft_limit_in_bytes", m->reservation, err);
                if (r < 0)
                        return r;
        }
        if (m->has_disable_oom_killer && m->disable_oom_killer) {
                r = cg_write(fd, "memory.oom_control", "1", err);
                if (r < 0)
                        return r;
        }
        if (m->has_swappiness && m->swappiness != UINT64_MAX) {
                if (m->swappiness > 100)
                        return husk_error_set(err, EINVAL,
                                              "memory.swappiness: invalid value %" PRIu64 " (valid range is 0-100)",
                                              m->swappiness);
                r = write_u64(fd, "memory.swappiness", m->swappiness, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- cpu ---- */

static int v1_cpu(int fd, const struct husk_cpu *c, struct husk_error **err)
{
        int r;
        /* The kernel refuses cpu.shares while the group is idle: clearing idle comes first (setting it, last). */
        bool idle_first = c->has_idle && c->idle == 0;
        if (idle_first && (r = write_i64(fd, "cpu.idle", c->idle, err)) < 0)
                return r;
        /* Realtime first: a task with an RT policy cannot join a group whose rt_runtime is 0. */
        if (c->has_realtime_period && c->realtime_period != 0) {
                r = write_u64(fd, "cpu.rt_period_us", c->realtime_period, err);
                if (r < 0)
                        return r;
        }
        if (c->has_realtime_runtime && c->realtime_runtime != 0) {
                r = write_i64(fd, "cpu.rt_runtime_us", c->realtime_runtime, err);
                if (r < 0)
                        return r;
        }
        if (c->has_shares && c->shares != 0) {
                r = write_u64(fd, "cpu.shares", c->shares, err);
                if (r < 0)
                        return r;
                /* The kernel clamps silently; report a value it did not take, as runc does. */
                uint64_t got;
                r = cg_read_u64(fd, "cpu.shares", &got, err);
                if (r < 0)
                        return r;
                if (got != c->shares)
                        return husk_error_set(err, EINVAL, "cpu.shares: the %s allowed value is %" PRIu64,
                                              c->shares > got ? "maximum" : "minimum", got);
        }

        bool has_period = c->has_period && c->period != 0;
        bool has_quota = c->has_quota && c->quota != 0;
        bool period_pending = false, burst_pending = false;
        /*
         * A smaller period can be refused (EINVAL) while old_quota/new_period exceeds the parent's
         * limit, and a burst larger than the old quota likewise: retry those after the quota.
         */
        if (c->has_burst) {
                r = write_u64(fd, "cpu.cfs_burst_us", c->burst, err);
                if (r == -EINVAL && has_quota) {
                        cg_error_clear(err);
                        burst_pending = true;
                } else if (r < 0) {
                        return r;
                }
        }
        if (has_period) {
                r = write_u64(fd, "cpu.cfs_period_us", c->period, err);
                if (r == -EINVAL && has_quota) {
                        cg_error_clear(err);
                        period_pending = true;
                } else if (r < 0) {
                        return r;
                }
        }
        if (has_quota) {
                r = write_i64(fd, "cpu.cfs_quota_us", c->quota, err);
                if (r < 0)
                        return r;
                if (period_pending && (r = write_u64(fd, "cpu.cfs_period_us", c->period, err)) < 0)
                        return r;
                if (burst_pending && (r = write_u64(fd, "cpu.cfs_burst_us", c->burst, err)) < 0)
                        return r;
        }
        if (c->has_idle && !idle_first) {
                r = write_i64(fd, "cpu.idle", c->idle, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_cpuset(int fd, const struct husk_cpu *c, struct husk_error **err)
{
        int r;
        if (c->cpus && *c->cpus && (r = cg_write(fd, "cpuset.cpus", c->cpus, err)) < 0)
                return r;
        if (c->mems && *c->mems && (r = cg_write(fd, "cpuset.mems", c->mems, err)) < 0)
                return r;
        return 0;
}

int cg_v1_cpuset_inherit(int parent_fd, int child_fd, bool child_new, struct husk_error **err)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                char value[4096];
                ssize_t n;
                /* A new child is empty (or, with clone_children, already equal to the parent). */
                if (!child_new) {
                        n = cg_read(child_fd, files[i], value, sizeof(value), err);
                        if (n < 0)
                                return (int)n;
                        if (n > 0)
                                continue;
                }
                n = cg_read(parent_fd, files[i], value, sizeof(value), err);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        return husk_error_set(err, ENOSPC, "the parent's `%s` is empty", files[i]);
                int r = cg_write(child_fd, files[i], value, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- blkio ---- */

static int write_throttle(int fd, const char *file, const struct husk_throttle_list *l, struct husk_error **err)
{
        for (size_t i = 0; i < l->len; i++) {
                const struct husk_throttle_device *d = &l->items[i];
                int r = cg_writef(fd, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, d->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v1_blkio(int fd, const struct husk_block_io *b, struct husk_error **err)
{
        int r;
        /* With the BFQ scheduler the weights live in blkio.bfq.* (CFQ's blkio.weight is gone). */
        bool bfq = cg_file_exists(fd, "blkio.bfq.weight");
        const char *weight_file = bfq ? "blkio.bfq.weight" : "blkio.weight";
        const char *weight_device_file = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";

        if (b->has_weight && b->weight != 0 && (r = write_u64(fd, weight_file, b->weight, err)) < 0)
                return r;
        if (b->has_leaf_weight && b->leaf_weight != 0 &&
            (r = write_u64(fd, "blkio.leaf_weight", b->leaf_weight, err)) < 0)
                return r;
        for (size_t i = 0; i < b->weight_devices_len; i++) {
                const struct husk_weight_device *w = &b->weight_devices[i];
                if (w->has_weight && w->weight != 0 &&
                    (r = cg_writef(fd, weight_device_file, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                                   (unsigned)w->weight)) < 0)
                        return r;
                if (w->has_leaf_weight && w->leaf_weight != 0 &&
                    (r = cg_writef(fd, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u", w->major,
                                   w->minor, (unsigned)w->leaf_weight)) < 0)
                        return r;
        }
        if ((r = write_throttle(fd, "blkio.throttle.read_bps_device", &b->throttle_read_bps, err)) < 0 ||
            (r = write_throttle(fd, "blkio.throttle.write_bps_device", &b->throttle_write_bps, err)) < 0 ||
            (r = write_throttle(fd, "blkio.throttle.read_iops_device", &b->throttle_read_iops, err)) < 0 ||
            (r = write_throttle(fd, "blkio.throttle.write_iops_device", &b->throttle_write_iops, err)) < 0)
                return r;
        return 0;
}

/* ---- the rest ---- */

static bool valid_page_size(const char *s)
{
        return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && strlen(s) < 32;
}

/*
 * runtime-spec 1.1+: the limit is on reservations where the kernel accounts them (5.7+, the `rsvd` files),
 * else on faults. Both are written, as runc does: a limit on faults alone lets mmap reserve more than the
 * limit, and the process then dies of SIGBUS on first touch instead of seeing mmap fail.
 */
int cg_hugetlb_apply(int fd, const struct husk_resources *r, bool v2, struct husk_error **err)
{
        for (size_t i = 0; i < r->hugepage_limits_len; i++) {
                const struct husk_hugepage_limit *h = &r->hugepage_limits[i];
                if (!valid_page_size(h->page_size))
                        return husk_error_set(err, EINVAL, "hugepageLimits: invalid page size `%s`",
                                              h->page_size ? h->page_size : "");
                char file[64], rsvd[64];
                snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", h->page_size);
                snprintf(rsvd, sizeof(rsvd), v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes",
                         h->page_size);
                if (!cg_file_exists(fd, file))
                        return husk_error_set(err, ENOENT, "hugepageLimits: page size `%s` is not supported (no `%s`)",
                                              h->page_size, file);
                int ret = write_u64(fd, file, h->limit, err);
                if (ret == 0 && cg_file_exists(fd, rsvd))
                        ret = write_u64(fd, rsvd, h->limit, err);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

int cg_rdma_apply(int fd, const struct husk_resources *r, struct husk_error **err)
{
        for (size_t i = 0; i < r->rdma_len; i++) {
                const struct husk_rdma_limit *l = &r->rdma[i];
                char handles[40] = "", objects[40] = "";
                if (!l->has_hca_handles && !l->has_hca_objects)
                        continue;
                if (l->has_hca_handles)
                        snprintf(handles, sizeof(handles), " hca_handle=%u", l->hca_handles);
                if (l->has_hca_objects)
                        snprintf(objects, sizeof(objects), " hca_object=%u", l->hca_objects);
                int ret = cg_writef(fd, "rdma.max", err, "%s%s%s", l->device, handles, objects);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int fd_of(struct husk_cgroup *cg, enum cg_controller c)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, c);
        return h ? h->fd : -1;
}

/* The file name in the error already names the controller. */
#define CONTROLLER_STEP(call)                                                                                          \
        do {                                                                                                           \
                int r_ = (call);                                                                                       \
                if (r_ < 0)                                                                                            \
                        return r_;                                                                                     \
        } while (0)

int cg_v1_apply(struct husk_cgroup *cg, const struct husk_resources *r, struct husk_error **err)
{
        /* check_available made sure every controller needed below has an open fd. */
        uint32_t need = cg_resources_controllers(r, false);

        if (need & CG_BIT(CG_CPUSET))
                CONTROLLER_STEP(v1_cpuset(fd_of(cg, CG_CPUSET), &r->cpu, err));
        if (need & CG_BIT(CG_MEMORY))
                CONTROLLER_STEP(v1_memory(fd_of(cg, CG_MEMORY), &r->memory, err));
        if (r->memory.present && ((r->memory.has_kernel && r->memory.kernel != 0) ||
                                  (r->memory.has_kernel_tcp && r->memory.kernel_tcp != 0)))
                husk_warn("kernel memory settings are ignored (deprecated by the kernel)");
        if (need & CG_BIT(CG_CPU))
                CONTROLLER_STEP(v1_cpu(fd_of(cg, CG_CPU), &r->cpu, err));
        if (need & CG_BIT(CG_PIDS)) {
                int fd = fd_of(cg, CG_PIDS);
                CONTROLLER_STEP(r->pids_limit > 0 ? write_i64(fd, "pids.max", r->pids_limit, err)
                                                  : cg_write(fd, "pids.max", "max", err));
        }
        if (need & CG_BIT(CG_BLKIO))
                CONTROLLER_STEP(v1_blkio(fd_of(cg, CG_BLKIO), &r->block_io, err));
        if (need & CG_BIT(CG_HUGETLB))
                CONTROLLER_STEP(cg_hugetlb_apply(fd_of(cg, CG_HUGETLB), r, false, err));
        if (need & CG_BIT(CG_NET_CLS))
                CONTROLLER_STEP(write_u64(fd_of(cg, CG_NET_CLS), "net_cls.classid", r->network.class_id, err));
        if (need & CG_BIT(CG_NET_PRIO)) {
                for (size_t i = 0; i < r->network.priorities_len; i++) {
                        const struct husk_net_priority *p = &r->network.priorities[i];
                        CONTROLLER_STEP(cg_writef(fd_of(cg, CG_NET_PRIO), "net_prio.ifpriomap", err, "%s %u", p->name,
                                                  p->priority));
                }
        }
        if (need & CG_BIT(CG_RDMA))
                CONTROLLER_STEP(cg_rdma_apply(fd_of(cg, CG_RDMA), r, err));
        return 0;
}
