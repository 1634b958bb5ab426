/* update: change the resource limits of a created, running or paused container (runc's flags and -r JSON). */
#include "cgroup_commands.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/resources.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The largest -r document read; a resources block is a few hundred bytes. */
#define RESOURCES_MAX_SIZE (4u << 20)

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/*
 * Go's ParseUint and ParseInt read digits, after an optional sign for ParseInt only. strtoull and strtoll
 * also skip leading blanks and take a sign, so " -1" would pass as 2^64-1: only digits may come first here.
 */
static int parse_u64(const char *flag, const char *text, uint64_t *ret, struct husk_error **err)
{
        char *end;
        errno = 0;
        unsigned long long v = is_digit(text[0]) ? strtoull(text, &end, 10) : 0;
        if (!is_digit(text[0]) || errno || *end)
                return husk_error_set(err, 0, "update: --%s: invalid value `%s` (an unsigned integer)", flag, text);
        *ret = v;
        return 0;
}

static int parse_i64(const char *flag, const char *text, int64_t *ret, struct husk_error **err)
{
        char *end;
        errno = 0;
        bool digit_first = is_digit(text[text[0] == '-' || text[0] == '+']);
        long long v = digit_first ? strtoll(text, &end, 10) : 0;
        if (!digit_first || errno || *end)
                return husk_error_set(err, 0, "update: --%s: invalid value `%s` (an integer)", flag, text);
        *ret = v;
        return 0;
}

/*
 * An integer as Go's strconv.ParseInt(text, 0, 64) reads it, as runc's integer flags (--pids-limit,
 * --blkio-weight) are read: an optional sign, then a base prefix 0x, 0o or 0b, or a leading 0 for octal
 * (`010` is 8), and `_` between digits or after the prefix (`1_000`, `0x_ff`). -EINVAL when text is no
 * such literal, -ERANGE when it does not fit.
 */
static int parse_go_literal(const char *text, int64_t *ret)
{
        const char *p = text;
        bool negative = *p == '-';
        if (*p == '-' || *p == '+')
                p++;
        unsigned base = 10;
        bool any_digit = false;
        char last = '^'; /* '0' after a digit or the prefix (a `_` may follow), '_' after a `_` */
        if (p[0] == '0' && p[1]) {
                char prefix = (char)(p[1] | 0x20);
                bool letter = prefix == 'x' || prefix == 'o' || prefix == 'b';
                base = prefix == 'x' ? 16 : prefix == 'b' ? 2 : 8;
                p += letter ? 2 : 1;
                any_digit = !letter; /* the leading 0 of an octal number */
                last = '0';
        }
        uint64_t v = 0;
        for (; *p; p++) {
                if (*p == '_' && last == '0') {
                        last = '_';
                        continue;
                }
                char c = (char)(*p | 0x20);
                unsigned d = is_digit(*p) ? (unsigned)(*p - '0') : c >= 'a' && c <= 'z' ? (unsigned)(c - 'a' + 10) : 36;
                if (d >= base)
                        return -EINVAL;
                if (v > (UINT64_MAX - d) / base)
                        return -ERANGE;
                v = v * base + d;
                any_digit = true;
                last = '0';
        }
        if (!any_digit || last == '_')
                return -EINVAL;
        if (v > (uint64_t)INT64_MAX + negative)
                return -ERANGE;
        /* -(v - 1) - 1: v may be 2^63, whose negation only int64's minimum holds. */
        *ret = !negative ? (int64_t)v : v == 0 ? 0 : -(int64_t)(v - 1) - 1;
        return 0;
}

static int parse_go_int(const char *flag, const char *text, int64_t *ret, struct husk_error **err)
{
        int r = parse_go_literal(text, ret);
        if (r == -ERANGE)
                return husk_error_set(err, 0, "update: --%s: `%s` is out of range", flag, text);
        if (r < 0)
                return husk_error_set(err, 0, "update: --%s: invalid value `%s` (an integer)", flag, text);
        return 0;
}

/*
 * A memory size as docker/go-units RAMInBytes reads it (runc's parser): "-1" (unlimited), or a
 * decimal number, one optional space, and an optional binary unit k, m, g, t or p, case-insensitive,
 * optionally followed by "i" and/or "b" ("512", "100M", "1.5g", "2 GiB", "64kb").
 */
static int parse_memory(const char *flag, const char *text, int64_t *ret, struct husk_error **err)
{
        if (strcmp(text, "-1") == 0) {
                *ret = -1;
                return 0;
        }
        const char *p = text;
        while (*p >= '0' && *p <= '9')
                p++;
        bool digits = p > text;
        if (digits && *p == '.') {
                const char *frac = ++p;
                while (*p >= '0' && *p <= '9')
                        p++;
                digits = p > frac;
        }
        if (!digits)
                return husk_error_set(err, 0, "update: --%s: invalid size `%s`", flag, text);
        size_t number_len = (size_t)(p - text);
        if (*p == ' ')
                p++;
        static const char units[] = "kmgtp";
        double multiplier = 1;
        const char *unit = *p ? strchr(units, *p | 0x20) : NULL;
        if (unit) {
                multiplier = ldexp(1, 10 * (int)(unit - units + 1));
                p++;
        }
        if (*p == 'i' || *p == 'I')
                p++;
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p)
                return husk_error_set(err, 0, "update: --%s: invalid size `%s`", flag, text);
        char number[64];
        if (number_len >= sizeof(number))
                return husk_error_set(err, 0, "update: --%s: invalid size `%s`", flag, text);
        memcpy(number, text, number_len);
        number[number_len] = '\0';
        double value = strtod(number, NULL) * multiplier;
        if (!(value < 0x1p63))
                return husk_error_set(err, 0, "update: --%s: size `%s` is too large", flag, text);
        *ret = (int64_t)value;
        return 0;
}

/* The whole of FILE, or of stdin for "-". */
static int read_resources(const char *path, char **ret, size_t *ret_len, struct husk_error **err)
{
        bool is_stdin = strcmp(path, "-") == 0;
        _cleanup_close_ int owned = is_stdin ? -1 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        int fd = is_stdin ? STDIN_FILENO : owned;
        if (fd < 0)
                return husk_error_set(err, errno, "update: --resources: open `%s`", path);
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return husk_error_set(err, ENOMEM, "update: --resources");
        for (;;) {
                if (len == cap) {
                        if (cap >= RESOURCES_MAX_SIZE)
                                return husk_error_set(err, EFBIG, "update: --resources: `%s` is larger than %u bytes",
                                                      path, RESOURCES_MAX_SIZE);
                        char *grown = realloc(buf, cap * 2);
                        if (!grown)
                                return husk_error_set(err, ENOMEM, "update: --resources");
                        buf = grown;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "update: --resources: read `%s`", path);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

struct update_flags {
        const char *resources;
        const char *blkio_weight, *cpu_period, *cpu_quota, *cpu_burst, *cpu_shares, *cpu_rt_period, *cpu_rt_runtime;
        const char *cpuset_cpus, *cpuset_mems, *cpu_idle;
        const char *memory, *memory_reservation, *memory_swap, *kernel_memory, *kernel_memory_tcp;
        const char *pids_limit;
        const char *l3_cache_schema, *mem_bw_schema;
};

static bool any_resource_flag(const struct update_flags *f)
{
        const char *const all[] = {
            f->blkio_weight,  f->cpu_period,         f->cpu_quota,   f->cpu_burst,     f->cpu_shares,
            f->cpu_rt_period, f->cpu_rt_runtime,     f->cpuset_cpus, f->cpuset_mems,   f->cpu_idle,
            f->memory,        f->memory_reservation, f->memory_swap, f->kernel_memory, f->kernel_memory_tcp,
            f->pids_limit};
        for (size_t i = 0; i < ARRAY_SIZE(all); i++)
                if (all[i])
                        return true;
        return false;
}

/* The flags as a resources block: only what was given is set; 0 leaves a value alone, as in runc. */
static int resources_from_flags(const struct update_flags *f, struct husk_resources *r, struct husk_error **err)
{
        int ret;
        struct husk_memory *m = &r->memory;
        struct husk_cpu *c = &r->cpu;
        const struct {
                const char *flag, *value;
                bool *has;
                int64_t *target;
        } memory[] = {
            {"memory", f->memory, &m->has_limit, &m->limit},
            {"memory-reservation", f->memory_reservation, &m->has_reservation, &m->reservation},
            {"memory-swap", f->memory_swap, &m->has_swap, &m->swap},
            {"kernel-memory", f->kernel_memory, &m->has_kernel, &m->kernel},
            {"kernel-memory-tcp", f->kernel_memory_tcp, &m->has_kernel_tcp, &m->kernel_tcp},
        };
        for (size_t i = 0; i < ARRAY_SIZE(memory); i++) {
                if (!memory[i].value)
                        continue;
                if ((ret = parse_memory(memory[i].flag, memory[i].value, memory[i].target, err)) < 0)
                        return ret;
                *memory[i].has = m->present = true;
        }

        const struct {
                const char *flag, *value;
                bool *has;
                uint64_t *target;
        } unsigned_cpu[] = {
            {"cpu-period", f->cpu_period, &c->has_period, &c->period},
            {"cpu-rt-period", f->cpu_rt_period, &c->has_realtime_period, &c->realtime_period},
            {"cpu-share", f->cpu_shares, &c->has_shares, &c->shares},
            {"cpu-burst", f->cpu_burst, &c->has_burst, &c->burst},
        };
        for (size_t i = 0; i < ARRAY_SIZE(unsigned_cpu); i++) {
                if (!unsigned_cpu[i].value)
                        continue;
                if ((ret = parse_u64(unsigned_cpu[i].flag, unsigned_cpu[i].value, unsigned_cpu[i].target, err)) < 0)
                        return ret;
                *unsigned_cpu[i].has = c->present = true;
        }
        const struct {
                const char *flag, *value;
                bool *has;
                int64_t *target;
        } signed_cpu[] = {
            {"cpu-quota", f->cpu_quota, &c->has_quota, &c->quota},
            {"cpu-rt-runtime", f->cpu_rt_runtime, &c->has_realtime_runtime, &c->realtime_runtime},
            {"cpu-idle", f->cpu_idle, &c->has_idle, &c->idle},
        };
        for (size_t i = 0; i < ARRAY_SIZE(signed_cpu); i++) {
                if (!signed_cpu[i].value)
                        continue;
                if ((ret = parse_i64(signed_cpu[i].flag, signed_cpu[i].value, signed_cpu[i].target, err)) < 0)
                        return ret;
                *signed_cpu[i].has = c->present = true;
        }
        if (f->cpu_idle && (c->idle < 0 || c->idle > 1))
                return husk_error_set(err, 0, "update: --cpu-idle: invalid value `%s` (0 or 1)", f->cpu_idle);
        if (f->cpuset_cpus && *f->cpuset_cpus) {
                if (!(c->cpus = strdup(f->cpuset_cpus)))
                        return husk_error_set(err, ENOMEM, "update");
                c->present = true;
        }
        if (f->cpuset_mems && *f->cpuset_mems) {
                if (!(c->mems = strdup(f->cpuset_mems)))
                        return husk_error_set(err, ENOMEM, "update");
                c->present = true;
        }

        if (f->blkio_weight) {
                int64_t w;
                if ((ret = parse_go_int("blkio-weight", f->blkio_weight, &w, err)) < 0)
                        return ret;
                /*
                 * 0 leaves it alone. BFQ takes 1..1000 (blkio.bfq.weight, io.bfq.weight), as does -r; the old
                 * CFQ's blkio.weight refuses below 10 itself, and io.weight gets its lowest weight below 10.
                 */
                if (w < 0 || w > 1000)
                        return husk_error_set(err, 0, "update: --blkio-weight: `%s` is out of range (1 to 1000)",
                                              f->blkio_weight);
                r->block_io.present = true;
                r->block_io.has_weight = true;
                r->block_io.weight = (uint16_t)w;
        }
        if (f->pids_limit) {
                int64_t limit = 0;
                if ((ret = parse_go_int("pids-limit", f->pids_limit, &limit, err)) < 0)
                        return ret;
                /* runc: 0 is "not given", below 0 is unlimited. */
                if (limit != 0) {
                        r->has_pids_limit = true;
                        r->pids_limit = limit;
                }
        }
        r->present = true;
        return 0;
}

int cli_update(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        struct update_flags f = {0};
        bool help = false;
        const struct cli_option options[] = {
            {"resources", 'r', CLI_STRING, &f.resources,
             "linux.resources JSON from FILE, or stdin for `-` (no other resource flag then)"},
            {"blkio-weight", 0, CLI_STRING, &f.blkio_weight, "block IO weight, 1 to 1000"},
            {"cpu-period", 0, CLI_STRING, &f.cpu_period, "CPU CFS period (usecs)"},
            {"cpu-quota", 0, CLI_STRING, &f.cpu_quota, "CPU CFS quota (usecs per period, -1: none)"},
            {"cpu-burst", 0, CLI_STRING, &f.cpu_burst, "CPU CFS burst (usecs)"},
            {"cpu-share", 0, CLI_STRING, &f.cpu_shares, "CPU shares (relative weight)"},
            {"cpu-shares", 0, CLI_STRING, &f.cpu_shares, "the same as --cpu-share"},
            {"cpu-rt-period", 0, CLI_STRING, &f.cpu_rt_period, "CPU realtime period (usecs)"},
            {"cpu-rt-runtime", 0, CLI_STRING, &f.cpu_rt_runtime, "CPU realtime runtime (usecs per period)"},
            {"cpuset-cpus", 0, CLI_STRING, &f.cpuset_cpus, "CPUs to use (0-3,7)"},
            {"cpuset-mems", 0, CLI_STRING, &f.cpuset_mems, "memory nodes to use"},
            {"cpu-idle", 0, CLI_STRING, &f.cpu_idle, "1: SCHED_IDLE for the cgroup, 0: normal (shares reset to 1024)"},
            {"memory", 0, CLI_STRING, &f.memory, "memory limit (bytes, or 100M, 1g...; -1: unlimited)"},
            {"memory-reservation", 0, CLI_STRING, &f.memory_reservation, "memory soft limit"},
            {"memory-swap", 0, CLI_STRING, &f.memory_swap, "memory plus swap limit (-1: unlimited swap)"},
            {"kernel-memory", 0, CLI_STRING, &f.kernel_memory, "ignored (the kernel dropped it)"},
            {"kernel-memory-tcp", 0, CLI_STRING, &f.kernel_memory_tcp, "ignored (the kernel dropped it)"},
            {"pids-limit", 0, CLI_STRING, &f.pids_limit, "maximum number of processes (-1: unlimited)"},
            {"l3-cache-schema", 0, CLI_STRING, &f.l3_cache_schema, "Intel RDT/CAT L3 cache schema"},
            {"mem-bw-schema", 0, CLI_STRING, &f.mem_bw_schema, "Intel RDT/MBA memory bandwidth schema"},
            {"help", 'h', CLI_BOOL, &help, "show this help"},
            {0},
        };
        int n = cli_parse("update", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("update", "[OPTIONS] ID",
                          "Update the resource limits of a container. Values left out (or 0) stay as they are.",
                          options);
                return 0;
        }
        int r = cli_expect_args("update", n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id("update", argv[0], err)) < 0)
                return r;
        const char *id = argv[0];
        /* As runc: a string flag given an empty value (`--memory=`, `-r ""`) is not given; its integer flags
         * (--pids-limit, --blkio-weight) refuse one. */
        const char **strings[] = {
            &f.resources,       &f.cpu_period,         &f.cpu_quota,   &f.cpu_burst,     &f.cpu_shares,
            &f.cpu_rt_period,   &f.cpu_rt_runtime,     &f.cpuset_cpus, &f.cpuset_mems,   &f.cpu_idle,
            &f.memory,          &f.memory_reservation, &f.memory_swap, &f.kernel_memory, &f.kernel_memory_tcp,
            &f.l3_cache_schema, &f.mem_bw_schema};
        for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
                if (*strings[i] && !**strings[i])
                        *strings[i] = NULL;

        _cleanup_(husk_resources_freep) struct husk_resources *resources = NULL;
        if (f.resources) {
                /* runc silently ignores the flags then; a caller passing both wants something husk cannot guess. */
                if (any_resource_flag(&f))
                        return husk_error_set(err, 0,
                                              "update: --resources cannot be combined with other resource "
                                              "flags");
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                r = read_resources(f.resources, &text, &len, err);
                if (r < 0)
                        return r;
                r = husk_resources_parse(text, len, strcmp(f.resources, "-") == 0 ? "stdin" : f.resources, &resources,
                                         err);
                if (r < 0)
                        return husk_error_wrap(err, "update: --resources");
                /* Only for debugging: clients resend the rules of create with every update, and runc is silent. */
                if (resources->devices_len > 0)
                        husk_debug("update: device rules in --resources are ignored (update does not change them)");
        } else {
                resources = calloc(1, sizeof(*resources));
                if (!resources)
                        return husk_error_set(err, ENOMEM, "update");
                r = resources_from_flags(&f, resources, err);
                if (r < 0)
                        return r;
        }
        struct husk_intel_rdt rdt = {0};
        if (f.l3_cache_schema || f.mem_bw_schema) {
                struct stat st;
                if (stat("/sys/fs/resctrl/schemata", &st) < 0)
                        return husk_error_set(err, 0,
                                              "update: --%s: Intel RDT is not enabled (resctrl is not mounted "
                                              "at `/sys/fs/resctrl`)",
                                              f.l3_cache_schema ? "l3-cache-schema" : "mem-bw-schema");
                rdt.present = true;
                rdt.l3_cache_schema = (char *)f.l3_cache_schema;
                rdt.mem_bw_schema = (char *)f.mem_bw_schema;
        }
        r = husk_container_update(&g->rt, id, resources, rdt.present ? &rdt : NULL, err);
        return r < 0 ? husk_error_wrap(err, "update `%s`", id) : 0;
}
