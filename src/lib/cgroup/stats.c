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
#include "util/path.h"

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
        DIR *dir = husk_opendir_at(dirfd);
        if (!dir)
                return husk_error_set(err, errno, "open cgroup directory");
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

/* A number from a one-value file; false when the file is absent or unreadable. "max" reads as UINT64_MAX. */
static bool read_u64(int fd, const char *file, uint64_t *ret)
{
        *ret = 0;
        if (fd < 0 || cg_read_u64(fd, file, ret, NULL) < 0) {
                *ret = 0;
                return false;
        }
        return true;
}

/* A counter: absent reads as 0. */
static uint64_t counter(int fd, const char *file)
{
        uint64_t v;
        read_u64(fd, file, &v);
        return v;
}

static uint64_t key_or_zero(int fd, const char *file, const char *key)
{
        uint64_t v = 0;
        if (fd < 0 || cg_read_key_u64(fd, file, key, &v, NULL) < 0)
                return 0;
        return v;
}

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int append_u64(uint64_t **list, size_t *len, uint64_t v, struct husk_error **err)
{
        uint64_t *n = realloc(*list, (*len + 1) * sizeof(*n));
        if (!n)
                return husk_error_set(err, ENOMEM, "allocate");
        *list = n;
        n[(*len)++] = v;
        return 0;
}

/* Each line of text, NUL-terminated in place; next is NULL at the end. */
static char *next_line(char **cursor)
{
        char *line = *cursor;
        if (!line || !*line)
                return NULL;
        char *nl = strchr(line, '\n');
        if (nl) {
                *nl = '\0';
                *cursor = nl + 1;
        } else {
                *cursor = NULL;
        }
        return line;
}

/* A decimal u64 spanning the whole of [s, end-of-token); false on anything else. */
static bool parse_u64_token(const char *s, uint64_t *ret, const char **ret_end)
{
        if (*s < '0' || *s > '9')
                return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0)
                return false;
        *ret = v;
        *ret_end = end;
        return true;
}

int husk_cgroup_parse_cpu_list(const char *text, struct husk_cgroup_cpu_list *ret, struct husk_error **err)
{
        *ret = (struct husk_cgroup_cpu_list){0};
        _cleanup_free_ uint16_t *ids = NULL;
        size_t len = 0;
        const char *p = text;
        while (*p == ' ' || *p == '\n')
                p++;
        while (*p && *p != '\n') {
                uint64_t first, last;
                const char *end;
                if (!parse_u64_token(p, &first, &end))
                        return husk_error_set(err, EINVAL, "bad cpu list `%s`", text);
                last = first;
                if (*end == '-' && !parse_u64_token(end + 1, &last, &end))
                        return husk_error_set(err, EINVAL, "bad cpu list `%s`", text);
                if (first > last || last > UINT16_MAX)
                        return husk_error_set(err, EINVAL, "bad cpu list `%s`", text);
                uint16_t *n = realloc(ids, (len + (size_t)(last - first) + 1) * sizeof(*n));
                if (!n)
                        return husk_error_set(err, ENOMEM, "allocate");
                ids = n;
                for (uint64_t id = first; id <= last; id++)
                        ids[len++] = (uint16_t)id;
                p = end;
                if (*p == ',')
                        p++;
                else if (*p && *p != '\n')
                        return husk_error_set(err, EINVAL, "bad cpu list `%s`", text);
        }
        ret->ids = TAKE_PTR(ids);
        ret->len = len;
        return 0;
}

/* "avg10=0.00 avg60=1.25 avg300=0.33 total=12345" */
static int parse_psi_line(char *fields, struct husk_cgroup_psi_line *ret)
{
        char *save = NULL;
        for (char *tok = strtok_r(fields, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(tok, '=');
                if (!eq)
                        return -EINVAL;
                *eq++ = '\0';
                char *end;
                errno = 0;
                if (strcmp(tok, "total") == 0) {
                        ret->total = strtoull(eq, &end, 10);
                } else {
                        double v = strtod(eq, &end);
                        if (strcmp(tok, "avg10") == 0)
                                ret->avg10 = v;
                        else if (strcmp(tok, "avg60") == 0)
                                ret->avg60 = v;
                        else if (strcmp(tok, "avg300") == 0)
                                ret->avg300 = v;
                }
                if (errno != 0 || end == eq || *end)
                        return -EINVAL;
        }
        return 0;
}

int husk_cgroup_parse_psi(const char *text, struct husk_cgroup_psi *ret, struct husk_error **err)
{
        *ret = (struct husk_cgroup_psi){0};
        _cleanup_free_ char *copy = strdup(text);
        if (!copy)
                return husk_error_set(err, ENOMEM, "allocate");
        char *cursor = copy, *line;
        while ((line = next_line(&cursor))) {
                struct husk_cgroup_psi_line *target = NULL;
                if (strncmp(line, "some ", 5) == 0)
                        target = &ret->some;
                else if (strncmp(line, "full ", 5) == 0)
                        target = &ret->full;
                if (target && parse_psi_line(line + 5, target) < 0) {
                        *ret = (struct husk_cgroup_psi){0};
                        return husk_error_set(err, EINVAL, "bad pressure line `%s`", line);
                }
        }
        ret->present = true;
        return 0;
}

/* cpu.pressure, memory.pressure, io.pressure of the cgroup2 directory; absent files leave psi unset. */
static int read_psi(int fd, const char *file, struct husk_cgroup_psi *ret, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (fd < 0 || read_all(fd, file, &text, NULL) < 0)
                return 0;
        int r = husk_cgroup_parse_psi(text, ret, err);
        return r < 0 ? husk_error_wrap(err, "`%s`", file) : 0;
}

static int read_cpu_list(int fd, const char *file, struct husk_cgroup_cpu_list *ret, struct husk_error **err)
{
        char buf[4096];
        if (fd < 0 || cg_read(fd, file, buf, sizeof(buf), NULL) < 0)
                return 0;
        int r = husk_cgroup_parse_cpu_list(buf, ret, err);
        return r < 0 ? husk_error_wrap(err, "`%s`", file) : 0;
}

static int memory_raw(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, "memory.stat", &text, NULL) < 0)
                return 0;
        char *cursor = text, *line;
        while ((line = next_line(&cursor))) {
                char *space = strchr(line, ' ');
                if (!space)
                        continue;
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
        return 0;
}

static uint64_t raw_value(const struct husk_cgroup_stats *s, const char *key)
{
        for (size_t i = 0; i < s->memory.raw_len; i++)
                if (strcmp(s->memory.raw[i].key, key) == 0)
                        return s->memory.raw[i].value;
        return 0;
}

static int add_blkio(struct husk_cgroup_stats *s, enum husk_cgroup_blkio_table t, uint64_t major, uint64_t minor,
                     const char *op, uint64_t value, struct husk_error **err)
{
        struct husk_cgroup_blkio_entry *n = realloc(s->blkio.entries[t], (s->blkio.len[t] + 1) * sizeof(*n));
        if (!n)
                return husk_error_set(err, ENOMEM, "allocate");
        s->blkio.entries[t] = n;
        n[s->blkio.len[t]] = (struct husk_cgroup_blkio_entry){.major = major, .minor = minor, .value = value};
        snprintf(n[s->blkio.len[t]].op, sizeof(n[s->blkio.len[t]].op), "%s", op);
        s->blkio.len[t]++;
        return 0;
}

/*
 * A v1 blkio table: "8:0 Read 4096" lines, "8:0 6792" for single-value files (sectors, time), and a final
 * "Total N" that runc skips. -ENOENT when the file is absent or has no device line (runc's "no data").
 */
static int v1_blkio_file(int fd, const char *file, struct husk_cgroup_stats *s, enum husk_cgroup_blkio_table t,
                         struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, file, &text, NULL) < 0)
                return -ENOENT;
        char *cursor = text, *line;
        size_t before = s->blkio.len[t];
        while ((line = next_line(&cursor))) {
                unsigned long long major, minor, value;
                char op[16];
                int r = 0;
                if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) == 4)
                        r = add_blkio(s, t, major, minor, op, value, err);
                else if (sscanf(line, "%llu:%llu %llu", &major, &minor, &value) == 3)
                        r = add_blkio(s, t, major, minor, "", value, err);
                if (r < 0)
                        return r;
        }
        return s->blkio.len[t] > before ? 0 : -ENOENT;
}

/*
 * runc's choice of v1 blkio files: the first group whose first file has data (BFQ with its debug
 * tables, BFQ, CFQ, the throttling layer's recursive tables, then its flat ones) supplies all tables.
 */
static int v1_blkio(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        struct source {
                const char *file;
                enum husk_cgroup_blkio_table table;
        };
        static const struct source bfq_debug[] = {{"blkio.bfq.sectors_recursive", HUSK_BLKIO_SECTORS},
                                                  {"blkio.bfq.io_service_time_recursive", HUSK_BLKIO_SERVICE_TIME},
                                                  {"blkio.bfq.io_wait_time_recursive", HUSK_BLKIO_WAIT_TIME},
                                                  {"blkio.bfq.io_merged_recursive", HUSK_BLKIO_MERGED},
                                                  {"blkio.bfq.io_queued_recursive", HUSK_BLKIO_QUEUED},
                                                  {"blkio.bfq.time_recursive", HUSK_BLKIO_TIME},
                                                  {"blkio.bfq.io_serviced_recursive", HUSK_BLKIO_SERVICED},
                                                  {"blkio.bfq.io_service_bytes_recursive", HUSK_BLKIO_SERVICE_BYTES},
                                                  {NULL, 0}};
        static const struct source bfq[] = {{"blkio.bfq.io_serviced_recursive", HUSK_BLKIO_SERVICED},
                                            {"blkio.bfq.io_service_bytes_recursive", HUSK_BLKIO_SERVICE_BYTES},
                                            {NULL, 0}};
        static const struct source cfq[] = {{"blkio.sectors_recursive", HUSK_BLKIO_SECTORS},
                                            {"blkio.io_service_time_recursive", HUSK_BLKIO_SERVICE_TIME},
                                            {"blkio.io_wait_time_recursive", HUSK_BLKIO_WAIT_TIME},
                                            {"blkio.io_merged_recursive", HUSK_BLKIO_MERGED},
                                            {"blkio.io_queued_recursive", HUSK_BLKIO_QUEUED},
                                            {"blkio.time_recursive", HUSK_BLKIO_TIME},
                                            {"blkio.io_serviced_recursive", HUSK_BLKIO_SERVICED},
                                            {"blkio.io_service_bytes_recursive", HUSK_BLKIO_SERVICE_BYTES},
                                            {NULL, 0}};
        static const struct source throttle_recursive[] = {
            {"blkio.throttle.io_serviced_recursive", HUSK_BLKIO_SERVICED},
            {"blkio.throttle.io_service_bytes_recursive", HUSK_BLKIO_SERVICE_BYTES},
            {NULL, 0}};
        static const struct source throttle[] = {{"blkio.throttle.io_serviced", HUSK_BLKIO_SERVICED},
                                                 {"blkio.throttle.io_service_bytes", HUSK_BLKIO_SERVICE_BYTES},
                                                 {NULL, 0}};
        static const struct source *const groups[] = {bfq_debug, bfq, cfq, throttle_recursive, throttle};
        for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
                int r = v1_blkio_file(fd, groups[g][0].file, s, groups[g][0].table, err);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                for (const struct source *src = groups[g] + 1; src->file; src++) {
                        r = v1_blkio_file(fd, src->file, s, src->table, err);
                        if (r < 0 && r != -ENOENT)
                                return r;
                }
                return 0;
        }
        return 0;
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", mapped to v1's tables as runc does. */
static int v2_io_stat(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, "io.stat", &text, NULL) < 0)
                return 0;
        char *cursor = text, *line;
        while ((line = next_line(&cursor))) {
                unsigned long long major, minor;
                int consumed = 0;
                if (sscanf(line, "%llu:%llu%n", &major, &minor, &consumed) != 2)
                        continue;
                char *save = NULL;
                for (char *tok = strtok_r(line + consumed, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                        char *eq = strchr(tok, '=');
                        if (!eq)
                                continue;
                        *eq = '\0';
                        uint64_t v = strtoull(eq + 1, NULL, 10);
                        int r = 0;
                        if (strcmp(tok, "rbytes") == 0)
                                r = add_blkio(s, HUSK_BLKIO_SERVICE_BYTES, major, minor, "Read", v, err);
                        else if (strcmp(tok, "wbytes") == 0)
                                r = add_blkio(s, HUSK_BLKIO_SERVICE_BYTES, major, minor, "Write", v, err);
                        else if (strcmp(tok, "rios") == 0)
                                r = add_blkio(s, HUSK_BLKIO_SERVICED, major, minor, "Read", v, err);
                        else if (strcmp(tok, "wios") == 0)
                                r = add_blkio(s, HUSK_BLKIO_SERVICED, major, minor, "Write", v, err);
                        if (r < 0)
                                return r;
                }
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
                /* Reservations where the kernel accounts them (5.7+): what hugepageLimits limit (as runc). */
                char file[64];
                snprintf(file, sizeof(file), v2 ? "hugetlb.%s.rsvd.current" : "hugetlb.%s.rsvd.usage_in_bytes", size);
                const char *rsvd = cg_file_exists(fd, file) ? ".rsvd" : "";
                if (v2) {
                        snprintf(file, sizeof(file), "hugetlb.%s%s.current", size, rsvd);
                        h->usage = counter(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s.events", size);
                        h->failcnt = key_or_zero(fd, file, "max");
                } else {
                        snprintf(file, sizeof(file), "hugetlb.%s%s.usage_in_bytes", size, rsvd);
                        h->usage = counter(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s%s.max_usage_in_bytes", size, rsvd);
                        h->max_usage = counter(fd, file);
                        snprintf(file, sizeof(file), "hugetlb.%s%s.failcnt", size, rsvd);
                        h->failcnt = counter(fd, file);
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

static int unified_fd(struct husk_cgroup *cg)
{
        return cg->unified >= 0 ? cg->hierarchies[cg->unified].fd : -1;
}

/* Pressure stall information lives in the cgroup2 tree: on v2, and on hybrid hosts for the unified cgroup. */
static int psi_stats(struct husk_cgroup *cg, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int fd = unified_fd(cg), r;
        if ((r = read_psi(fd, "cpu.pressure", &s->cpu.psi, err)) < 0 ||
            (r = read_psi(fd, "memory.pressure", &s->memory.psi, err)) < 0 ||
            (r = read_psi(fd, "io.pressure", &s->blkio.psi, err)) < 0)
                return r;
        return 0;
}

/* cpuset.cpus/mems (as configured; empty on v2 means "the parent's") and what the kernel grants. */
static int cpuset_lists(int fd, bool v2, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int r;
        if ((r = read_cpu_list(fd, "cpuset.cpus", &s->cpuset.cpus, err)) < 0 ||
            (r = read_cpu_list(fd, "cpuset.mems", &s->cpuset.mems, err)) < 0 ||
            (r = read_cpu_list(fd, v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus", &s->cpuset.effective_cpus,
                               err)) < 0 ||
            (r = read_cpu_list(fd, v2 ? "cpuset.mems.effective" : "cpuset.effective_mems", &s->cpuset.effective_mems,
                               err)) < 0)
                return r;
        return 0;
}

static int stats_v2(struct husk_cgroup *cg, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int fd = unified_fd(cg);
        if (fd < 0)
                return husk_error_set(err, ENOENT, "no cgroup2 directory");
        s->cpu.total_ns = key_or_zero(fd, "cpu.stat", "usage_usec") * 1000;
        s->cpu.user_ns = key_or_zero(fd, "cpu.stat", "user_usec") * 1000;
        s->cpu.kernel_ns = key_or_zero(fd, "cpu.stat", "system_usec") * 1000;
        s->cpu.periods = key_or_zero(fd, "cpu.stat", "nr_periods");
        s->cpu.throttled_periods = key_or_zero(fd, "cpu.stat", "nr_throttled");
        s->cpu.throttled_ns = key_or_zero(fd, "cpu.stat", "throttled_usec") * 1000;

        int r = cpuset_lists(fd, true, s, err);
        if (r < 0)
                return r;

        /* runc's v2 memory: limits as read ("max" = UINT64_MAX), swap reported as v1's memory+swap. */
        s->memory.usage = counter(fd, "memory.current");
        s->memory.max_usage = counter(fd, "memory.peak");
        read_u64(fd, "memory.max", &s->memory.limit);
        s->memory.failcnt = key_or_zero(fd, "memory.events", "max");
        uint64_t swap_usage = 0, swap_limit = 0;
        if (read_u64(fd, "memory.swap.current", &swap_usage)) {
                read_u64(fd, "memory.swap.max", &swap_limit);
                s->memory.swap_failcnt = key_or_zero(fd, "memory.swap.events", "max");
        }
        s->memory.swap_usage = swap_usage + s->memory.usage;
        /* runc adds the two limits in wrapping arithmetic; an unlimited memory.max saturates here instead. */
        s->memory.swap_limit = swap_limit == UINT64_MAX ? UINT64_MAX : saturating_add(swap_limit, s->memory.limit);
        if ((r = memory_raw(fd, s, err)) < 0)
                return r;
        s->memory.cache = raw_value(s, "file");

        if (read_u64(fd, "pids.current", &s->pids.current)) {
                read_u64(fd, "pids.max", &s->pids.limit);
                if (s->pids.limit == UINT64_MAX)
                        s->pids.limit = 0;
        } else {
                /* no pids controller: count the processes, as runc does */
                _cleanup_free_ pid_t *pids = NULL;
                size_t len = 0, cap = 0;
                if (cg_collect_pids(fd, &pids, &len, &cap, NULL) == 0)
                        s->pids.current = len;
        }
        if ((r = v2_io_stat(fd, s, err)) < 0)
                return r;
        if ((cg->v2_controllers & CG_BIT(CG_HUGETLB)) && (r = hugetlb_stats(fd, true, s, err)) < 0)
                return r;
        return 0;
}

/* runc's getMemoryData for v1: memory[.<module>].{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}. */
static void v1_memory_entry(int fd, const char *module, uint64_t *usage, uint64_t *max_usage, uint64_t *limit,
                            uint64_t *failcnt)
{
        char file[64];
        snprintf(file, sizeof(file), "%s.usage_in_bytes", module);
        if (!read_u64(fd, file, usage))
                return; /* no such accounting (memsw without swapaccount, kmem on new kernels): all 0 */
        snprintf(file, sizeof(file), "%s.max_usage_in_bytes", module);
        read_u64(fd, file, max_usage);
        snprintf(file, sizeof(file), "%s.limit_in_bytes", module);
        read_u64(fd, file, limit);
        snprintf(file, sizeof(file), "%s.failcnt", module);
        read_u64(fd, file, failcnt);
}

/* cpuacct.usage_all: a "cpu user system" header, then one "N user_ns system_ns" row per cpu. */
static int v1_cpuacct_usage_all(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        _cleanup_free_ char *text = NULL;
        if (read_all(fd, "cpuacct.usage_all", &text, NULL) < 0)
                return 0;
        char *cursor = text, *line;
        while ((line = next_line(&cursor))) {
                unsigned long long cpu, user, system;
                if (sscanf(line, "%llu %llu %llu", &cpu, &user, &system) != 3)
                        continue; /* the header */
                int r;
                if ((r = append_u64(&s->cpu.percpu_user_ns, &s->cpu.percpu_user_len, user, err)) < 0 ||
                    (r = append_u64(&s->cpu.percpu_kernel_ns, &s->cpu.percpu_kernel_len, system, err)) < 0)
                        return r;
        }
        return 0;
}

static int v1_cpuacct(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        s->cpu.total_ns = counter(fd, "cpuacct.usage");
        long hz = sysconf(_SC_CLK_TCK);
        if (hz <= 0)
                hz = 100;
        s->cpu.user_ns = key_or_zero(fd, "cpuacct.stat", "user") * 1000000000ULL / (uint64_t)hz;
        s->cpu.kernel_ns = key_or_zero(fd, "cpuacct.stat", "system") * 1000000000ULL / (uint64_t)hz;
        _cleanup_free_ char *percpu = NULL;
        if (read_all(fd, "cpuacct.usage_percpu", &percpu, NULL) == 0) {
                for (const char *p = percpu;;) {
                        while (*p == ' ' || *p == '\n')
                                p++;
                        uint64_t v;
                        const char *end;
                        if (!parse_u64_token(p, &v, &end))
                                break;
                        int r = append_u64(&s->cpu.percpu_ns, &s->cpu.percpu_len, v, err);
                        if (r < 0)
                                return r;
                        p = end;
                }
        }
        return v1_cpuacct_usage_all(fd, s, err);
}

static int v1_cpuset(int fd, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int r = cpuset_lists(fd, false, s, err);
        if (r < 0)
                return r;
        s->cpuset.cpu_exclusive = counter(fd, "cpuset.cpu_exclusive");
        s->cpuset.mem_hardwall = counter(fd, "cpuset.mem_hardwall");
        s->cpuset.mem_exclusive = counter(fd, "cpuset.mem_exclusive");
        s->cpuset.memory_migrate = counter(fd, "cpuset.memory_migrate");
        s->cpuset.memory_spread_page = counter(fd, "cpuset.memory_spread_page");
        s->cpuset.memory_spread_slab = counter(fd, "cpuset.memory_spread_slab");
        s->cpuset.memory_pressure = counter(fd, "cpuset.memory_pressure");
        s->cpuset.sched_load_balance = counter(fd, "cpuset.sched_load_balance");
        /* signed: -1 is "the system default" */
        char buf[32];
        if (cg_read(fd, "cpuset.sched_relax_domain_level", buf, sizeof(buf), NULL) >= 0) {
                char *end;
                errno = 0;
                long long v = strtoll(buf, &end, 10);
                if (errno == 0 && end != buf && *end == '\0')
                        s->cpuset.sched_relax_domain_level = v;
        }
        return 0;
}

static int stats_v1(struct husk_cgroup *cg, struct husk_cgroup_stats *s, struct husk_error **err)
{
        int r;
        int cpuacct = fd_of(cg, CG_CPUACCT), cpu = fd_of(cg, CG_CPU), cpuset = fd_of(cg, CG_CPUSET);
        int memory = fd_of(cg, CG_MEMORY), pids = fd_of(cg, CG_PIDS), blkio = fd_of(cg, CG_BLKIO);
        int hugetlb = fd_of(cg, CG_HUGETLB);

        if (cpuacct >= 0 && (r = v1_cpuacct(cpuacct, s, err)) < 0)
                return r;
        if (cpu >= 0) {
                s->cpu.periods = key_or_zero(cpu, "cpu.stat", "nr_periods");
                s->cpu.throttled_periods = key_or_zero(cpu, "cpu.stat", "nr_throttled");
                s->cpu.throttled_ns = key_or_zero(cpu, "cpu.stat", "throttled_time");
        }
        if (cpuset >= 0 && (r = v1_cpuset(cpuset, s, err)) < 0)
                return r;
        if (memory >= 0) {
                v1_memory_entry(memory, "memory", &s->memory.usage, &s->memory.max_usage, &s->memory.limit,
                                &s->memory.failcnt);
                v1_memory_entry(memory, "memory.memsw", &s->memory.swap_usage, &s->memory.swap_max_usage,
                                &s->memory.swap_limit, &s->memory.swap_failcnt);
                v1_memory_entry(memory, "memory.kmem", &s->memory.kernel_usage, &s->memory.kernel_max_usage,
                                &s->memory.kernel_limit, &s->memory.kernel_failcnt);
                v1_memory_entry(memory, "memory.kmem.tcp", &s->memory.kernel_tcp_usage, &s->memory.kernel_tcp_max_usage,
                                &s->memory.kernel_tcp_limit, &s->memory.kernel_tcp_failcnt);
                if ((r = memory_raw(memory, s, err)) < 0)
                        return r;
                s->memory.cache = raw_value(s, "cache");
        }
        if (pids >= 0) {
                s->pids.current = counter(pids, "pids.current");
                read_u64(pids, "pids.max", &s->pids.limit);
                if (s->pids.limit == UINT64_MAX)
                        s->pids.limit = 0;
        }
        if (blkio >= 0 && (r = v1_blkio(blkio, s, err)) < 0)
                return r;
        if (hugetlb >= 0 && (r = hugetlb_stats(hugetlb, false, s, err)) < 0)
                return r;
        return 0;
}

int husk_cgroup_stats(struct husk_cgroup *cg, struct husk_cgroup_stats *ret, struct husk_error **err)
{
        *ret = (struct husk_cgroup_stats){0};
        int r = cg->layout == HUSK_CGROUP_V2 ? stats_v2(cg, ret, err) : stats_v1(cg, ret, err);
        if (r >= 0)
                r = psi_stats(cg, ret, err);
        if (r < 0) {
                husk_cgroup_stats_done(ret);
                return husk_error_wrap(err, "cgroup `%s`: stats", cg->display_path);
        }
        return 0;
}

void husk_cgroup_stats_done(struct husk_cgroup_stats *stats)
{
        free(stats->cpu.percpu_ns);
        free(stats->cpu.percpu_user_ns);
        free(stats->cpu.percpu_kernel_ns);
        free(stats->cpuset.cpus.ids);
        free(stats->cpuset.mems.ids);
        free(stats->cpuset.effective_cpus.ids);
        free(stats->cpuset.effective_mems.ids);
        for (size_t i = 0; i < stats->memory.raw_len; i++)
                free(stats->memory.raw[i].key);
        free(stats->memory.raw);
        for (size_t t = 0; t < HUSK_BLKIO_TABLE_COUNT; t++)
                free(stats->blkio.entries[t]);
        free(stats->hugetlb);
        *stats = (struct husk_cgroup_stats){0};
}
