/* events: runc's JSON event stream (stats every --interval, one oom event per OOM kill) or one --stats event. */
#include "cgroup_commands.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container/resources.h"
#include "util/cleanup.h"
#include "util/log.h"

/*
 * A Go time.Duration as time.ParseDuration reads it ("5s", "1m30s", "250ms", "1.5h", "0"), in
 * nanoseconds. Units: ns, us, µs, ms, s, m, h; a unit is required except for "0".
 */
static int parse_duration(const char *text, int64_t *ret, struct husk_error **err)
{
        static const struct {
                const char *unit;
                double ns;
        } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                     {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
        const char *p = text;
        bool negative = false;
        if (*p == '-' || *p == '+')
                negative = *p++ == '-';
        if (strcmp(p, "0") == 0) {
                *ret = 0;
                return 0;
        }
        if (!*p)
                return husk_error_set(err, 0, "events: --interval: invalid duration `%s`", text);
        double total = 0;
        while (*p) {
                const char *start = p;
                while ((*p >= '0' && *p <= '9') || *p == '.')
                        p++;
                if (p == start || (p - start == 1 && *start == '.'))
                        return husk_error_set(err, 0, "events: --interval: invalid duration `%s`", text);
                char number[64];
                int dots = 0;
                for (const char *q = start; q < p; q++)
                        dots += *q == '.';
                if ((size_t)(p - start) >= sizeof(number) || dots > 1)
                        return husk_error_set(err, 0, "events: --interval: invalid duration `%s`", text);
                memcpy(number, start, (size_t)(p - start));
                number[p - start] = '\0';
                double scale = 0;
                size_t unit_len = 0;
                for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
                        size_t l = strlen(units[i].unit);
                        /* longest match: "ms" before "m" */
                        if (l > unit_len && strncmp(p, units[i].unit, l) == 0) {
                                scale = units[i].ns;
                                unit_len = l;
                        }
                }
                if (unit_len == 0)
                        return husk_error_set(err, 0, "events: --interval: missing unit in duration `%s`", text);
                total += strtod(number, NULL) * scale;
                p += unit_len;
        }
        if (!(total < 0x1p63))
                return husk_error_set(err, 0, "events: --interval: invalid duration `%s`", text);
        *ret = negative ? -(int64_t)total : (int64_t)total;
        return 0;
}

/* ---- runc's types.Stats, field for field (Go's encoding/json: struct order, omitempty, map keys sorted) ---- */

struct json_out {
        FILE *f;
        bool first; /* no member written yet in the innermost object or array */
};

static void member(struct json_out *o, const char *key)
{
        fprintf(o->f, "%s\"%s\":", o->first ? "" : ",", key);
        o->first = false;
}

static void open_object(struct json_out *o, const char *key)
{
        if (key)
                member(o, key);
        fputc('{', o->f);
        o->first = true;
}

static void close_object(struct json_out *o)
{
        fputc('}', o->f);
        o->first = false;
}

static void u64_member(struct json_out *o, const char *key, uint64_t v, bool omitempty)
{
        if (omitempty && v == 0)
                return;
        member(o, key);
        fprintf(o->f, "%" PRIu64, v);
}

/* A JSON string, escaped by jansson. */
static void string_value(struct json_out *o, const char *s)
{
        json_t *str = json_string(s);
        char *text = str ? json_dumps(str, JSON_ENCODE_ANY) : NULL;
        fputs(text ? text : "\"\"", o->f);
        free(text);
        json_decref(str);
}

static void u64_array_member(struct json_out *o, const char *key, const uint64_t *v, size_t len)
{
        if (len == 0)
                return; /* omitempty */
        member(o, key);
        for (size_t i = 0; i < len; i++)
                fprintf(o->f, "%c%" PRIu64, i ? ',' : '[', v[i]);
        fputc(']', o->f);
}

static void memory_entry(struct json_out *o, const char *key, uint64_t limit, uint64_t usage, uint64_t max,
                         uint64_t failcnt)
{
        open_object(o, key);
        u64_member(o, "limit", limit, false);
        u64_member(o, "usage", usage, true);
        u64_member(o, "max", max, true);
        u64_member(o, "failcnt", failcnt, false);
        close_object(o);
}

static void blkio_member(struct json_out *o, const char *key, const struct husk_cgroup_blkio_entry *e, size_t len)
{
        if (len == 0)
                return;
        member(o, key);
        fputc('[', o->f);
        for (size_t i = 0; i < len; i++) {
                if (i)
                        fputc(',', o->f);
                open_object(o, NULL);
                u64_member(o, "major", e[i].major, true);
                u64_member(o, "minor", e[i].minor, true);
                if (e[i].op[0]) {
                        member(o, "op");
                        string_value(o, e[i].op);
                }
                u64_member(o, "value", e[i].value, true);
                close_object(o);
        }
        fputc(']', o->f);
}

/* A cpuset list as runc's []uint16 (omitempty). */
static void cpu_list_member(struct json_out *o, const char *key, const struct husk_cgroup_cpu_list *l)
{
        if (l->len == 0)
                return;
        member(o, key);
        for (size_t i = 0; i < l->len; i++)
                fprintf(o->f, "%c%u", i ? ',' : '[', (unsigned)l->ids[i]);
        fputc(']', o->f);
}

/* A float64 as Go's encoding/json writes it for the kernel's two-decimal percentages ("0", "1.5", "60.73"). */
static void double_member(struct json_out *o, const char *key, double v)
{
        member(o, key);
        fprintf(o->f, "%.15g", v);
}

static void psi_line(struct json_out *o, const char *key, const struct husk_cgroup_psi_line *l)
{
        open_object(o, key);
        double_member(o, "avg10", l->avg10);
        double_member(o, "avg60", l->avg60);
        double_member(o, "avg300", l->avg300);
        u64_member(o, "total", l->total, false);
        close_object(o);
}

/* runc 1.2's *PSIStats (omitempty): present where the cgroup2 tree has <resource>.pressure. */
static void psi_member(struct json_out *o, const struct husk_cgroup_psi *psi)
{
        if (!psi->present)
                return;
        open_object(o, "psi");
        psi_line(o, "some", &psi->some);
        psi_line(o, "full", &psi->full);
        close_object(o);
}

static int by_key(const void *a, const void *b)
{
        return strcmp(((const struct husk_cgroup_stat_value *)a)->key, ((const struct husk_cgroup_stat_value *)b)->key);
}

static int by_page_size(const void *a, const void *b)
{
        return strcmp(((const struct husk_cgroup_hugetlb_stats *)a)->page_size,
                      ((const struct husk_cgroup_hugetlb_stats *)b)->page_size);
}

static void stats_data(struct json_out *o, struct husk_cgroup_stats *s)
{
        open_object(o, "data");

        open_object(o, "cpu");
        open_object(o, "usage");
        u64_member(o, "total", s->cpu.total_ns, true);
        u64_array_member(o, "percpu", s->cpu.percpu_ns, s->cpu.percpu_len);
        u64_array_member(o, "percpu_kernel", s->cpu.percpu_kernel_ns, s->cpu.percpu_kernel_len);
        u64_array_member(o, "percpu_user", s->cpu.percpu_user_ns, s->cpu.percpu_user_len);
        u64_member(o, "kernel", s->cpu.kernel_ns, false);
        u64_member(o, "user", s->cpu.user_ns, false);
        close_object(o);
        open_object(o, "throttling");
        u64_member(o, "periods", s->cpu.periods, true);
        u64_member(o, "throttledPeriods", s->cpu.throttled_periods, true);
        u64_member(o, "throttledTime", s->cpu.throttled_ns, true);
        close_object(o);
        psi_member(o, &s->cpu.psi);
        close_object(o);

        open_object(o, "cpuset");
        cpu_list_member(o, "cpus", &s->cpuset.cpus);
        u64_member(o, "cpu_exclusive", s->cpuset.cpu_exclusive, false);
        cpu_list_member(o, "mems", &s->cpuset.mems);
        u64_member(o, "mem_hardwall", s->cpuset.mem_hardwall, false);
        u64_member(o, "mem_exclusive", s->cpuset.mem_exclusive, false);
        u64_member(o, "memory_migrate", s->cpuset.memory_migrate, false);
        u64_member(o, "memory_spread_page", s->cpuset.memory_spread_page, false);
        u64_member(o, "memory_spread_slab", s->cpuset.memory_spread_slab, false);
        u64_member(o, "memory_pressure", s->cpuset.memory_pressure, false);
        u64_member(o, "sched_load_balance", s->cpuset.sched_load_balance, false);
        member(o, "sched_relax_domain_level");
        fprintf(o->f, "%" PRId64, s->cpuset.sched_relax_domain_level);
        /* not in runc's types: the sets the kernel actually grants (cgroup2's cpus may be empty = inherited) */
        cpu_list_member(o, "effective_cpus", &s->cpuset.effective_cpus);
        cpu_list_member(o, "effective_mems", &s->cpuset.effective_mems);
        close_object(o);

        open_object(o, "memory");
        u64_member(o, "cache", s->memory.cache, true);
        memory_entry(o, "usage", s->memory.limit, s->memory.usage, s->memory.max_usage, s->memory.failcnt);
        memory_entry(o, "swap", s->memory.swap_limit, s->memory.swap_usage, s->memory.swap_max_usage,
                     s->memory.swap_failcnt);
        memory_entry(o, "kernel", s->memory.kernel_limit, s->memory.kernel_usage, s->memory.kernel_max_usage,
                     s->memory.kernel_failcnt);
        memory_entry(o, "kernelTCP", s->memory.kernel_tcp_limit, s->memory.kernel_tcp_usage,
                     s->memory.kernel_tcp_max_usage, s->memory.kernel_tcp_failcnt);
        if (s->memory.raw_len > 0) {
                qsort(s->memory.raw, s->memory.raw_len, sizeof(*s->memory.raw), by_key);
                member(o, "raw");
                fputc('{', o->f);
                for (size_t i = 0; i < s->memory.raw_len; i++) {
                        if (i)
                                fputc(',', o->f);
                        string_value(o, s->memory.raw[i].key);
                        fprintf(o->f, ":%" PRIu64, s->memory.raw[i].value);
                }
                fputc('}', o->f);
        }
        psi_member(o, &s->memory.psi);
        close_object(o);

        open_object(o, "pids");
        u64_member(o, "current", s->pids.current, true);
        u64_member(o, "limit", s->pids.limit, true);
        close_object(o);

        static const char *const blkio_keys[HUSK_BLKIO_TABLE_COUNT] = {
            [HUSK_BLKIO_SERVICE_BYTES] = "ioServiceBytesRecursive",
            [HUSK_BLKIO_SERVICED] = "ioServicedRecursive",
            [HUSK_BLKIO_QUEUED] = "ioQueueRecursive",
            [HUSK_BLKIO_SERVICE_TIME] = "ioServiceTimeRecursive",
            [HUSK_BLKIO_WAIT_TIME] = "ioWaitTimeRecursive",
            [HUSK_BLKIO_MERGED] = "ioMergedRecursive",
            [HUSK_BLKIO_TIME] = "ioTimeRecursive",
            [HUSK_BLKIO_SECTORS] = "sectorsRecursive",
        };
        open_object(o, "blkio");
        for (size_t t = 0; t < HUSK_BLKIO_TABLE_COUNT; t++)
                blkio_member(o, blkio_keys[t], s->blkio.entries[t], s->blkio.len[t]);
        psi_member(o, &s->blkio.psi);
        close_object(o);

        open_object(o, "hugetlb");
        if (s->hugetlb_len > 1)
                qsort(s->hugetlb, s->hugetlb_len, sizeof(*s->hugetlb), by_page_size);
        for (size_t i = 0; i < s->hugetlb_len; i++) {
                const struct husk_cgroup_hugetlb_stats *h = &s->hugetlb[i];
                open_object(o, h->page_size);
                u64_member(o, "usage", h->usage, true);
                u64_member(o, "max", h->max_usage, true);
                u64_member(o, "failcnt", h->failcnt, false);
                close_object(o);
        }
        close_object(o);

        open_object(o, "intel_rdt");
        close_object(o);
        member(o, "network_interfaces");
        fputs("null", o->f);

        close_object(o);
}

/* One event line, {"type":...,"id":...[,"data":{...}]}, flushed at once (the reader is usually a pipe). */
static int print_event(const char *type, const char *id, struct husk_cgroup_stats *stats, struct husk_error **err)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return husk_error_set(err, errno, "events");
        struct json_out o = {.f = f};
        open_object(&o, NULL);
        member(&o, "type");
        string_value(&o, type);
        member(&o, "id");
        string_value(&o, id);
        if (stats)
                stats_data(&o, stats);
        close_object(&o);
        fputc('\n', f);
        if (fclose(f) != 0) {
                free(text);
                return husk_error_set(err, ENOMEM, "events");
        }
        size_t written = fwrite(text, 1, len, stdout);
        free(text);
        if (written != len || fflush(stdout) != 0)
                return husk_error_set(err, errno, "events: write to stdout");
        return 0;
}

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Until the container stops: stats every interval (a failed read is logged and skipped, as runc does). */
static int stream(struct cli_global *g, const char *id, long interval_ms, struct husk_error **err)
{
        _cleanup_(husk_container_watch_freep) struct husk_container_watch *w = NULL;
        int r = husk_container_watch_open(&g->rt, id, &w, err);
        if (r < 0)
                return r;
        long next = now_ms() + interval_ms;
        for (;;) {
                long left = next - now_ms();
                enum husk_watch_event event;
                r = husk_container_watch_wait(w, left > 0 ? (int)(left < INT32_MAX ? left : INT32_MAX) : 0, &event,
                                              err);
                if (r < 0)
                        return r;
                switch (event) {
                case HUSK_WATCH_OOM:
                        r = print_event("oom", id, NULL, err);
                        break;
                case HUSK_WATCH_STOPPED:
                        return 0;
                case HUSK_WATCH_TIMEOUT: {
                        if (now_ms() < next)
                                break;
                        /* a tick missed while stats were slow is dropped, as Go's time.Tick does */
                        next += interval_ms;
                        if (next <= now_ms())
                                next = now_ms() + interval_ms;
                        struct husk_cgroup_stats stats;
                        _cleanup_error_ struct husk_error *stats_err = NULL;
                        if (husk_container_watch_stats(w, &stats, &stats_err) < 0) {
                                _cleanup_free_ char *msg = husk_error_format(stats_err);
                                husk_log(HUSK_LOG_ERROR, "events `%s`: %s", id, msg ? msg : "stats");
                                break;
                        }
                        r = print_event("stats", id, &stats, err);
                        husk_cgroup_stats_done(&stats);
                        break;
                }
                }
                if (r < 0)
                        return r;
        }
}

int cli_events(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        const char *interval = "5s";
        bool stats_once = false, help = false;
        const struct cli_option options[] = {
            {"interval", 0, CLI_STRING, &interval, "time between two stats events (Go duration, default 5s)"},
            {"stats", 0, CLI_BOOL, &stats_once, "print one stats event and exit"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        int n = cli_parse("events", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("events", "[OPTIONS] ID",
                          "Print the container's events as JSON lines: statistics every --interval and OOM "
                          "notifications, until the container stops.",
                          options);
                return 0;
        }
        int r = cli_expect_args("events", n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id("events", argv[0], err)) < 0)
                return r;
        const char *id = argv[0];
        int64_t interval_ns = 0;
        r = parse_duration(interval, &interval_ns, err);
        if (r < 0)
                return r;
        if (interval_ns <= 0)
                return husk_error_set(err, 0, "events: duration interval must be greater than 0");

        if (stats_once) {
                struct husk_cgroup_stats stats;
                r = husk_container_stats(&g->rt, id, &stats, err);
                if (r < 0)
                        return husk_error_wrap(err, "events `%s`", id);
                r = print_event("stats", id, &stats, err);
                husk_cgroup_stats_done(&stats);
                return r;
        }
        long interval_ms = (long)((interval_ns + 999999) / 1000000);
        r = stream(g, id, interval_ms, err);
        return r < 0 ? husk_error_wrap(err, "events `%s`", id) : 0;
}
