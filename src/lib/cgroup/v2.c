/* cgroup v2 driver: linux.resources converted to unified-hierarchy files, and the `unified` map (v2 and hybrid). */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/words.h"
#include "util/log.h"

/* -1 is "max" in v2 files that end in .max/.low/.high (v1 wrote -1 for unlimited). */
static int write_limit(int fd, const char *file, int64_t v, struct husk_error **err)
{
        if (v == -1)
                return cg_write(fd, file, "max", err);
        return cg_writef(fd, file, err, "%" PRId64, v);
}

static int v2_memory(int fd, const struct husk_memory *m, struct husk_error **err)
{
        int r;
        int64_t limit = m->has_limit ? m->limit : 0;
        int64_t swap = m->has_swap ? m->swap : 0;
        int64_t reservation = m->has_reservation ? m->reservation : 0;

        if ((m->has_swappiness && m->swappiness != UINT64_MAX) || (m->has_disable_oom_killer && m->disable_oom_killer))
                husk_debug("cgroup v2 has no memory.swappiness or OOM-killer switch: ignored");
        if (limit == 0 && swap == 0 && reservation == 0)
                return 0;

        if (m->has_check_before_update && m->check_before_update && limit > 0 &&
            (r = cg_check_usage_below(fd, "memory.current", limit, err)) < 0)
                return r;

        /* `update` may change swap alone: the conversion needs the memory limit in force. */
        int64_t limit_for_swap = limit;
        if (swap > 0 && limit == 0) {
                uint64_t current;
                r = cg_read_u64(fd, "memory.max", &current, err);
                if (r < 0)
                        return r;
                limit_for_swap = current == UINT64_MAX ? -1 : (int64_t)current;
        }
        int64_t swap_v2;
        r = cg_convert_swap_to_v2(swap, limit_for_swap, &swap_v2, err);
        if (r < 0)
                return r;
        bool implicit = swap == 0;
        /* swap == limit converts to 0: no swap at all, which must be written (0 elsewhere means unset). */
        if (swap_v2 != 0 || swap > 0) {
                if (!(implicit && !cg_file_exists(fd, "memory.swap.max"))) {
                        r = write_limit(fd, "memory.swap.max", swap_v2, err);
                        if (r < 0)
                                return r;
                }
        }
        if (limit != 0 && (r = write_limit(fd, "memory.max", limit, err)) < 0)
                return r;
        if (reservation != 0 && (r = write_limit(fd, "memory.low", reservation, err)) < 0)
                return r;
        return 0;
}

static int v2_cpu(int fd, const struct husk_cpu *c, struct husk_error **err)
{
        int r;
        if ((c->has_realtime_runtime && c->realtime_runtime != 0) ||
            (c->has_realtime_period && c->realtime_period != 0))
                return husk_error_set(err, EOPNOTSUPP,
                                      "cpu.realtimeRuntime and cpu.realtimePeriod are not supported on cgroup v2");
        /* The kernel refuses cpu.weight while the group is idle: clearing idle comes first (setting it, after). */
        bool idle_first = c->has_idle && c->idle == 0;
        if (idle_first && (r = cg_writef(fd, "cpu.idle", err, "%" PRId64, c->idle)) < 0)
                return r;
        if (c->has_shares && c->shares != 0) {
                r = cg_writef(fd, "cpu.weight", err, "%" PRIu64, cg_convert_shares_to_weight(c->shares));
                if (r < 0)
                        return r;
        }
        if (c->has_idle && !idle_first && (r = cg_writef(fd, "cpu.idle", err, "%" PRId64, c->idle)) < 0)
                return r;

        bool has_quota = c->has_quota && c->quota != 0;
        bool has_period = c->has_period && c->period != 0;
        bool burst_pending = false;
        if (c->has_burst) {
                r = cg_writef(fd, "cpu.max.burst", err, "%" PRIu64, c->burst);
                /* A burst above the old quota is refused: retry once the new quota is in. */
                if (r == -EINVAL && (has_quota || has_period)) {
                        cg_error_clear(err);
                        burst_pending = true;
                } else if (r < 0) {
                        return r;
                }
        }
        if (has_quota || has_period) {
                char quota[64] = "max";
                if (has_quota && c->quota > 0) {
                        snprintf(quota, sizeof(quota), "%" PRId64, c->quota);
                } else if (!has_quota) {
                        /* Period alone (update): keep the quota in force. */
                        char cur[64];
                        if (cg_read(fd, "cpu.max", cur, sizeof(cur), NULL) > 0) {
                                char *space = strchr(cur, ' ');
                                if (space)
                                        *space = '\0';
                                snprintf(quota, sizeof(quota), "%s", cur);
                        }
                }
                uint64_t period = has_period ? c->period : 100000;
                if (!has_period) {
                        char cur[64];
                        char *space;
                        if (cg_read(fd, "cpu.max", cur, sizeof(cur), NULL) > 0 && (space = strchr(cur, ' ')))
                                period = strtoull(space + 1, NULL, 10) ?: 100000;
                }
                r = cg_writef(fd, "cpu.max", err, "%s %" PRIu64, quota, period);
                if (r < 0)
                        return r;
                if (burst_pending && (r = cg_writef(fd, "cpu.max.burst", err, "%" PRIu64, c->burst)) < 0)
                        return r;
        }
        return 0;
}

static int write_io_max(int fd, const char *key, const struct husk_throttle_list *l, struct husk_error **err)
{
        for (size_t i = 0; i < l->len; i++) {
                const struct husk_throttle_device *d = &l->items[i];
                int r = cg_writef(fd, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor, key,
                                  d->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int v2_io(int fd, const struct husk_block_io *b, struct husk_error **err)
{
        int r;
        /* BFQ takes blkio's 10..1000 weights as they are; io.weight (1..10000) needs a conversion. */
        bool bfq = cg_file_exists(fd, "io.bfq.weight");
        if (b->has_weight && b->weight != 0) {
                if (bfq)
                        r = cg_writef(fd, "io.bfq.weight", err, "%u", (unsigned)b->weight);
                else
                        r = cg_writef(fd, "io.weight", err, "default %" PRIu64,
                                      cg_convert_blkio_to_io_weight(b->weight));
                if (r < 0)
                        return r;
        }
        if (b->has_leaf_weight && b->leaf_weight != 0)
                husk_debug("cgroup v2 has no leaf weight: blockIO.leafWeight ignored");
        /* Per-device weights only through BFQ, as runc: io.weight takes them only where blk-iocost is enabled
         * on the device, which it almost never is (the kernel answers EOPNOTSUPP). */
        for (size_t i = 0; i < b->weight_devices_len; i++) {
                const struct husk_weight_device *w = &b->weight_devices[i];
                if (!w->has_weight || w->weight == 0)
                        continue;
                if (!bfq) {
                        husk_warn("blockIO.weightDevice %" PRId64 ":%" PRId64 " ignored: per-device weights need the "
                                  "BFQ I/O scheduler (no io.bfq.weight here)",
                                  w->major, w->minor);
                        continue;
                }
                r = cg_writef(fd, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                              (unsigned)w->weight);
                if (r < 0)
                        return r;
        }
        if ((r = write_io_max(fd, "rbps", &b->throttle_read_bps, err)) < 0 ||
            (r = write_io_max(fd, "wbps", &b->throttle_write_bps, err)) < 0 ||
            (r = write_io_max(fd, "riops", &b->throttle_read_iops, err)) < 0 ||
            (r = write_io_max(fd, "wiops", &b->throttle_write_iops, err)) < 0)
                return r;
        return 0;
}

int cg_v2_apply(struct husk_cgroup *cg, const struct husk_resources *r, struct husk_error **err)
{
        int fd = cg->hierarchies[cg->unified].fd;
        uint32_t need = cg_resources_controllers(r, true);
        int ret;

        if (need & CG_BIT(CG_PIDS)) {
                ret = r->pids_limit > 0 ? cg_writef(fd, "pids.max", err, "%" PRId64, r->pids_limit)
                                        : cg_write(fd, "pids.max", "max", err);
                if (ret < 0)
                        return ret;
        }
        if ((need & CG_BIT(CG_MEMORY)) && (ret = v2_memory(fd, &r->memory, err)) < 0)
                return ret;
        if (r->memory.present && ((r->memory.has_kernel && r->memory.kernel != 0) ||
                                  (r->memory.has_kernel_tcp && r->memory.kernel_tcp != 0)))
                husk_warn("kernel memory settings are ignored (not supported by cgroup v2)");
        if ((need & CG_BIT(CG_BLKIO)) && (ret = v2_io(fd, &r->block_io, err)) < 0)
                return ret;
        if ((need & CG_BIT(CG_CPU)) && (ret = v2_cpu(fd, &r->cpu, err)) < 0)
                return ret;
        if (need & CG_BIT(CG_CPUSET)) {
                if (r->cpu.cpus && *r->cpu.cpus && (ret = cg_write(fd, "cpuset.cpus", r->cpu.cpus, err)) < 0)
                        return ret;
                if (r->cpu.mems && *r->cpu.mems && (ret = cg_write(fd, "cpuset.mems", r->cpu.mems, err)) < 0)
                        return ret;
        }
        if ((need & CG_BIT(CG_HUGETLB)) && (ret = cg_hugetlb_apply(fd, r, true, err)) < 0)
                return ret;
        if ((need & CG_BIT(CG_RDMA)) && (ret = cg_rdma_apply(fd, r, err)) < 0)
                return ret;
        return 0;
}

/* Hybrid: the unified hierarchy has no controllers enabled; turn one on along the path for a unified key. */
static int enable_along_path(struct husk_cgroup *cg, struct cg_hierarchy *h, const char *controller,
                             struct husk_error **err)
{
        char token[72];
        snprintf(token, sizeof(token), "+%.64s", controller);
        int fd = h->mount_fd;
        _cleanup_close_ int owned = -1;
        for (const char *p = h->path; *p;) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                if (end == p)
                        break;
                int r = cg_write(fd, "cgroup.subtree_control", token, err);
                if (r < 0)
                        return r;
                char comp[256];
                if ((size_t)(end - p) >= sizeof(comp))
                        return husk_error_set(err, ENAMETOOLONG, "cgroup name too long");
                memcpy(comp, p, (size_t)(end - p));
                comp[end - p] = '\0';
                int child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0)
                        return husk_error_set(err, errno, "open `%s`", comp);
                if (owned >= 0)
                        close(owned);
                fd = owned = child;
                p = end;
        }
        return 0;
}

static bool controller_listed(int fd, const char *file, const char *controller)
{
        char buf[512];
        if (cg_read(fd, file, buf, sizeof(buf), NULL) < 0)
                return false;
        return husk_word_listed(buf, controller);
}

/*
 * A value of several lines ("259:0 rbps=1\n253:0 wiops=2", the spec's own io.max example) is written one line per
 * write(): per-device files (io.max, io.weight, rdma.max) parse one line per write, as runc's WriteFileByLine knows.
 */
static int write_by_line(int dirfd, const char *file, const char *value, struct husk_error **err)
{
        const char *newline = strchr(value, '\n');
        if (!newline || newline[1] == '\0')
                return cg_write(dirfd, file, value, err);
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return husk_error_set(err, errno, "write `%s`", file);
        for (const char *line = value; *line;) {
                const char *end = strchrnul(line, '\n');
                size_t len = (size_t)(end - line);
                if (len > 0) {
                        ssize_t n = write(fd, line, len);
                        if (n < 0 || (size_t)n != len)
                                return husk_error_set(err, n < 0 ? errno : EIO, "write `%s` = `%.*s`%s", file, (int)len,
                                                      line, n < 0 ? "" : ": short write");
                }
                line = *end ? end + 1 : end;
        }
        return 0;
}

int cg_unified_apply(struct husk_cgroup *cg, const struct husk_kv_list *unified, struct husk_error **err)
{
        struct cg_hierarchy *h = &cg->hierarchies[cg->unified];
        if (h->fd < 0)
                return husk_error_set(err, EPERM,
                                      "cannot set unified resources: the container could not join or "
                                      "create its cgroup");
        for (size_t i = 0; i < unified->len; i++) {
                const char *key = unified->items[i].key;
                const char *value = unified->items[i].value ? unified->items[i].value : "";
                const char *dot = key ? strchr(key, '.') : NULL;
                if (!key || !dot || dot == key || strchr(key, '/') || key[0] == '.')
                        return husk_error_set(err, EINVAL, "unified: invalid key `%s`", key ? key : "");
                int r = write_by_line(h->fd, key, value, err);
                if (r != -ENOENT)
                        goto next;

                char controller[64];
                snprintf(controller, sizeof(controller), "%.*s", (int)(dot - key), key);
                if (strcmp(controller, "cgroup") == 0)
                        return r;
                if (cg->layout == HUSK_CGROUP_HYBRID && !controller_listed(h->fd, "cgroup.controllers", controller)) {
                        _cleanup_error_ struct husk_error *enable_err = NULL;
                        if (enable_along_path(cg, h, controller, &enable_err) == 0) {
                                cg_error_clear(err);
                                r = write_by_line(h->fd, key, value, err);
                                goto next;
                        }
                }
                if (!controller_listed(h->fd, "cgroup.controllers", controller)) {
                        cg_error_clear(err);
                        return husk_error_set(err, ENOENT, "unified `%s`: cgroup controller `%s` is not available", key,
                                              controller);
                }
        next:
                if (r < 0)
                        return husk_error_wrap(err, "unified");
        }
        return 0;
}
