/* What the cgroup reports: its pids, whether the OOM killer struck, and `events --stats` statistics. */
#include "cgroup/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* A whole control file of any size (cgroup.procs, memory.stat); the caller frees *ret. */
static int read_all(int dirfd, const char *file, char **ret, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return husk_error_set(err, errno, "read `%s`", file);
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return husk_error_set(err, ENOMEM, "allocate");
        for (;;) {
                if (len + 1 >= cap) {
                        char *n = realloc(buf, cap * 2);
                        if (!n)
                                return husk_error_set(err, ENOMEM, "allocate");
                        buf = n;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "read `%s`", file);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int cg_collect_pids(int dirfd, pid_t **pids, size_t *len, size_t *cap, struct husk_error **err)
{
        _cleanup_free_ char *procs = NULL;
        int r = read_all(dirfd, "cgroup.procs", &procs, err);
        if (r < 0)
                return r;
        for (char *p = procs; *p;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p)
                        break;
                if (*len == *cap) {
                        size_t ncap = *cap ? *cap * 2 : 16;
                        pid_t *n = realloc(*pids, ncap * sizeof(pid_t));
                        if (!n)
                                return husk_error_set(err, ENOMEM, "allocate");
                        *pids = n;
                        *cap = ncap;
                }
                (*pids)[(*len)++] = (pid_t)v;
                p = end;
                while (*p == '\n')
                        p++;
        }

        /* Sub-cgroups the container made itself hold its processes too. */
        int dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup_fd < 0)
                return husk_error_set(err, errno, "open cgroup directory");
        DIR *dir = fdopendir(dup_fd);
        if (!dir) {
                close(dup_fd);
                return husk_error_set(err, errno, "open cgroup directory");
        }
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_close_ int child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0)
                        continue; /* removed meanwhile */
                r = cg_collect_pids(child, pids, len, cap, err);
                if (r < 0 && r != -ENOENT)
                        break;
                cg_error_clear(err);
                r = 0;
        }
        closedir(dir);
        return r;
}

/* The hierarchy whose cgroup.procs lists the container's processes best. */
static struct cg_hierarchy *procs_hierarchy(struct husk_cgroup *cg)
{
        static const enum cg_controller order[] = {CG_PIDS, CG_FREEZER, CG_DEVICES, CG_MEMORY, CG_CPU};
        if (cg->layout == HUSK_CGROUP_V2)
                return cg->unified >= 0 ? &cg->hierarchies[cg->unified] : NULL;
        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                struct cg_hierarchy *h = cg_hierarchy_of(cg, order[i]);
                if (h && h->fd >= 0)
                        return h;
        }
        for (size_t i = 0; i < cg->hierarchies_len; i++)
                if (cg->hierarchies[i].fd >= 0)
                        return &cg->hierarchies[i];
        return NULL;
}

int husk_cgroup_pids(struct husk_cgroup *cg, pid_t **ret, size_t *ret_len, struct husk_error **err)
{
        struct cg_hierarchy *h = procs_hierarchy(cg);
        if (!h || h->fd < 0)
                return husk_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->display_path);
        pid_t *pids = NULL;
        size_t len = 0, cap = 0;
        int r = cg_collect_pids(h->fd, &pids, &len, &cap, err);
        if (r < 0) {
                free(pids);
                return husk_error_wrap(err, "cgroup `%s`", cg->display_path);
        }
        *ret = pids;
        *ret_len = len;
        return 0;
}

int husk_cgroup_oom_killed(struct husk_cgroup *cg, bool *ret, struct husk_error **err)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_MEMORY);
        uint64_t count = 0;
        int r;
        *ret = false;
        if (!h || h->fd < 0)
                return 0; /* no memory controller: no OOM kill can be attributed to the cgroup */
        if (cg->layout == HUSK_CGROUP_V2) {
                r = cg_read_key_u64(h->fd, "memory.events", "oom_kill", &count, err);
        } else {
                /* oom_kill in memory.oom_control since 4.13; before that under_oom is the best hint. */
                r = cg_read_key_u64(h->fd, "memory.oom_control", "oom_kill", &count, err);
                if (r == -ENOENT && !(err && *err))
                        r = cg_read_key_u64(h->fd, "memory.oom_control", "under_oom", &count, err);
        }
        if (r == -ENOENT && !(err && *err))
                return 0;
        if (r < 0)
                return husk_error_wrap(err, "cgroup `%s`", cg->display_path);
        *ret = count > 0;
        return 0;
}

/* ---- stats ---- */

static uint64_t read_u64_or_zero(int fd, const char *file)
{
        uint64_t v = 0;
        if (fd < 0 || cg_read_u64(fd, file, &v, NULL) < 0)
                return 0;
        return v == UINT64_MAX ? 0 : v;
}

static uint64_t key_or_zero(int fd, const char *file, const char *key)
{
        uint64_t v = 0;
        if (fd < 0 || cg_read_key_u64(fd, file, key, &v, NULL) < 0)
                return 0;
        return v;
}

static int memory_raw(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, "memory.stat", &text, NULL) < 0)
                return 0;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *space = strchr(line, ' ');
                if (space) {
                        *space = '\0';
                        struct husk_cgroup_stat_value *n = realloc(s->memory.raw, (s->memory.raw_len + 1) * sizeof(*n));
                        if (!n)
                                return husk_error_set(err, ENOMEM, "allocate");
                        s->memory.raw = n;
                        n[s->memory.raw_len].key = strdup(line);
                        if (!n[s->memory.raw_len].key)
                                return husk_error_set(err, ENOMEM, "allocate");
                        n[s->memory.raw_len++].value = strtoull(space + 1, NULL, 10);
                }
                line = next;
        }
        return 0;
}

static uint64_t raw_value(const struct husk_cgroup_stats *s, const char *key)
{
        for (size_t i = 0; i < s->memory.raw_len; i++)
                if (strcmp(s->memory.raw[i].key, key) == 0)
                        return s->memory.raw[i].value;
        return 0;
}

static int add_blkio(struct husk_cgroup_blkio_entry **list, size_t *len, uint64_t major, uint64_t minor, const char *op,
                     uint64_t value, struct husk_error **err)
{
        struct husk_cgroup_blkio_entry *n = realloc(*list, (*len + 1) * sizeof(*n));
        if (!n)
                return husk_error_set(err, ENOMEM, "allocate");
        *list = n;
        n[*len] = (struct husk_cgroup_blkio_entry){.major = major, .minor = minor, .value = value};
        snprintf(n[*len].op, sizeof(n[*len].op), "%s", op);
        (*len)++;
        return 0;
}

/* v1 "8:0 Read 4096" lines (and a final "Total N"). */
static int v1_blkio_file(int fd, const char *file, struct husk_cgroup_blkio_entry **list, size_t *len,
                         struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, file, &text, NULL) < 0)
                return -ENOENT;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                unsigned long long major, minor, value;
                char op[16];
                if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) == 4) {
                        int r = add_blkio(list, len, major, minor, op, value, err);
                        if (r < 0)
                                return r;
                }
                line = next;
        }
        return 0;
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...", mapped to v1's tables as runc does. */
static int v2_io_stat(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, "io.stat", &text, NULL) < 0)
                return 0;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                unsigned long long major, minor;
                int consumed = 0;
                if (sscanf(line, "%llu:%llu%n", &major, &minor, &consumed) == 2) {
                        char *save = NULL;
                        for (char *tok = strtok_r(line + consumed, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                                char *eq = strchr(tok, '=');
                                if (!eq)
                                        continue;
                                *eq = '\0';
                                uint64_t v = strtoull(eq + 1, NULL, 10);
                                int r = 0;
                                if (strcmp(tok, "rbytes") == 0)
                                        r = add_blkio(&s->blkio.service_bytes, &s->blkio.service_bytes_len, major,
                                                      minor, "Read", v, err);
                                else if (strcmp(tok, "wbytes") == 0)
                                        r = add_blkio(&s->blkio.service_bytes, &s->blkio.service_bytes_len, major,
                                                      minor, "Write", v, err);
                                else if (strcmp(tok, "rios") == 0)
                                        r = add_blkio(&s->blkio.serviced, &s->blkio.serviced_len, major, minor, "Read",
                                                      v, err);
                                else if (strcmp(tok, "wios") == 0)
                                        r = add_blkio(&s->blkio.serviced, &s->blkio.serviced_len, major, minor, "Write",
                                                      v, err);
                                if (r < 0)
                                        return r;
                        }
                }
                line = next;
        }
        return 0;
}

/* Page sizes the kernel offers, from /sys/kernel/mm/hugepages ("hugepages-2048kB" -> "2MB"). */
static int hugetlb_stats(int fd, bool v2, struct husk_cgroup_stats *s, struct husk_error **err)
{
        DIR *dir = opendir("/sys/kernel/mm/hugepages");
        if (!dir)
                return 0;
        struct dirent *de;
        int r = 0;
        while ((de = readdir(dir))) {
                unsigned long kb;
                if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
                        continue;
                char size[24];
                if (kb >= 1024 * 1024)
                        snprintf(size, sizeof(size), "%luGB", kb / (1024 * 1024));
                else if (kb >= 1024)
                        snprintf(size, sizeof(size), "%luMB", kb / 1024);
                else
                        snprintf(size, sizeof(size), "%luKB", kb);
                struct husk_cgroup_hugetlb_stats *n = realloc(s->hugetlb, (s->hugetlb_len + 1) * sizeof(*n));
                if (!n) {
                        r = husk_error_set(err, ENOMEM, "allocate");
                        break;
                }
                s->hugetlb = n;
                struct husk_cgroup_hugetlb_stats *h = &n[s->hugetlb_len++];
                *h = (struct husk_cgroup_hugetlb_stats){0};
                snprintf(h->page_size, sizeof(h->page_size), "%s", size);
                char file[64];
                if (v2) {
                        snprintf(file, sizeof(file), "hugetlb.%s.current", size);
                        h->usage = read_u64_or_zero(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s.events", size);
                        h->failcnt = key_or_zero(fd, file, "max");
                } else {
                        snprintf(file, sizeof(file), "hugetlb.%s.usage_in_bytes", size);
                        h->usage = read_u64_or_zero(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s.max_usage_in_bytes", size);
                        h->max_usage = read_u64_or_zero(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
                        h->failcnt = read_u64_or_zero(fd, file);
                }
        }
        closedir(dir);
        return r;
}

static int fd_of(struct husk_cgroup *cg, enum cg_controller c)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, c);
        return h ? h->fd : -1;
}

static int stats_v2(struct husk_cgroup *cg, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int fd = cg->hierarchies[cg->unified].fd;
        s->cpu.total_ns = key_or_zero(fd, "cpu.stat", "usage_usec") * 1000;
        s->cpu.user_ns = key_or_zero(fd, "cpu.stat", "user_usec") * 1000;
        s->cpu.kernel_ns = key_or_zero(fd, "cpu.stat", "system_usec") * 1000;
        s->cpu.periods = key_or_zero(fd, "cpu.stat", "nr_periods");
        s->cpu.throttled_periods = key_or_zero(fd, "cpu.stat", "nr_throttled");
        s->cpu.throttled_ns = key_or_zero(fd, "cpu.stat", "throttled_usec") * 1000;

        s->memory.usage = read_u64_or_zero(fd, "memory.current");
        s->memory.max_usage = read_u64_or_zero(fd, "memory.peak");
        s->memory.limit = read_u64_or_zero(fd, "memory.max");
        s->memory.failcnt = key_or_zero(fd, "memory.events", "max");
        /* v1 reports memory+swap; so does runc on v2. */
        s->memory.swap_usage = read_u64_or_zero(fd, "memory.swap.current") + s->memory.usage;
        uint64_t swap_max = read_u64_or_zero(fd, "memory.swap.max");
        s->memory.swap_limit = swap_max && s->memory.limit ? swap_max + s->memory.limit : 0;
        int r = memory_raw(fd, s, err);
        if (r < 0)
                return r;
        s->memory.cache = raw_value(s, "file");

        s->pids.current = read_u64_or_zero(fd, "pids.current");
        s->pids.limit = read_u64_or_zero(fd, "pids.max");
        if ((r = v2_io_stat(fd, s, err)) < 0)
                return r;
        if (cg->v2_controllers & CG_BIT(CG_HUGETLB))
                return hugetlb_stats(fd, true, s, err);
        return 0;
}

static int stats_v1(struct husk_cgroup *cg, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int r;
        int cpuacct = fd_of(cg, CG_CPUACCT), cpu = fd_of(cg, CG_CPU), memory = fd_of(cg, CG_MEMORY);
        int pids = fd_of(cg, CG_PIDS), blkio = fd_of(cg, CG_BLKIO), hugetlb = fd_of(cg, CG_HUGETLB);

        if (cpuacct >= 0) {
                s->cpu.total_ns = read_u64_or_zero(cpuacct, "cpuacct.usage");
                long hz = sysconf(_SC_CLK_TCK);
                if (hz <= 0)
                        hz = 100;
                s->cpu.user_ns = key_or_zero(cpuacct, "cpuacct.stat", "user") * (1000000000ULL / (uint64_t)hz);
                s->cpu.kernel_ns = key_or_zero(cpuacct, "cpuacct.stat", "system") * (1000000000ULL / (uint64_t)hz);
                _cleanup_free_ char *percpu = NULL;
                if (read_all(cpuacct, "cpuacct.usage_percpu", &percpu, NULL) == 0) {
                        for (char *p = percpu;;) {
                                char *end;
                                unsigned long long v = strtoull(p, &end, 10);
                                if (end == p)
                                        break;
                                uint64_t *n = realloc(s->cpu.percpu_ns, (s->cpu.percpu_len + 1) * sizeof(*n));
                                if (!n)
                                        return husk_error_set(err, ENOMEM, "allocate");
                                s->cpu.percpu_ns = n;
                                n[s->cpu.percpu_len++] = v;
                                p = end;
                        }
                }
        }
        if (cpu >= 0) {
                s->cpu.periods = key_or_zero(cpu, "cpu.stat", "nr_periods");
                s->cpu.throttled_periods = key_or_zero(cpu, "cpu.stat", "nr_throttled");
                s->cpu.throttled_ns = key_or_zero(cpu, "cpu.stat", "throttled_time");
        }
        if (memory >= 0) {
                s->memory.usage = read_u64_or_zero(memory, "memory.usage_in_bytes");
                s->memory.max_usage = read_u64_or_zero(memory, "memory.max_usage_in_bytes");
                s->memory.limit = read_u64_or_zero(memory, "memory.limit_in_bytes");
                s->memory.failcnt = read_u64_or_zero(memory, "memory.failcnt");
                s->memory.swap_usage = read_u64_or_zero(memory, "memory.memsw.usage_in_bytes");
                s->memory.swap_max_usage = read_u64_or_zero(memory, "memory.memsw.max_usage_in_bytes");
                s->memory.swap_limit = read_u64_or_zero(memory, "memory.memsw.limit_in_bytes");
                s->memory.swap_failcnt = read_u64_or_zero(memory, "memory.memsw.failcnt");
                if ((r = memory_raw(memory, s, err)) < 0)
                        return r;
                s->memory.cache = raw_value(s, "cache");
        }
        if (pids >= 0) {
                s->pids.current = read_u64_or_zero(pids, "pids.current");
                s->pids.limit = read_u64_or_zero(pids, "pids.max");
        }
        if (blkio >= 0) {
                /* CFQ's recursive tables when present, else BFQ's, else the throttling layer's. */
                static const char *const prefixes[] = {"blkio.", "blkio.bfq.", "blkio.throttle."};
                for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
                        char bytes[96], ios[96];
                        snprintf(bytes, sizeof(bytes), "%sio_service_bytes_recursive", prefixes[i]);
                        snprintf(ios, sizeof(ios), "%sio_serviced_recursive", prefixes[i]);
                        if (!cg_file_exists(blkio, bytes))
                                continue;
                        r = v1_blkio_file(blkio, bytes, &s->blkio.service_bytes, &s->blkio.service_bytes_len, err);
                        if (r < 0 && r != -ENOENT)
                                return r;
                        r = v1_blkio_file(blkio, ios, &s->blkio.serviced, &s->blkio.serviced_len, err);
                        if (r < 0 && r != -ENOENT)
                                return r;
                        break;
                }
        }
        if (hugetlb >= 0 && (r = hugetlb_stats(hugetlb, false, s, err)) < 0)
                return r;
        return 0;
}

int husk_cgroup_stats(struct husk_cgroup *cg, struct husk_cgroup_stats *ret, struct husk_error **err)
{
        *ret = (struct husk_cgroup_stats){0};
        int r = cg->layout == HUSK_CGROUP_V2 ? stats_v2(cg, ret, err) : stats_v1(cg, ret, err);
        if (r < 0) {
                husk_cgroup_stats_done(ret);
                return husk_error_wrap(err, "cgroup `%s`: stats", cg->display_path);
        }
        return 0;
}

void husk_cgroup_stats_done(struct husk_cgroup_stats *stats)
{
        free(stats->cpu.percpu_ns);
        for (size_t i = 0; i < stats->memory.raw_len; i++)
                free(stats->memory.raw[i].key);
        free(stats->memory.raw);
        free(stats->blkio.service_bytes);
        free(stats->blkio.serviced);
        free(stats->hugetlb);
        *stats = (struct husk_cgroup_stats){0};
}
