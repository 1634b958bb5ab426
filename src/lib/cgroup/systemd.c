/* The systemd cgroup driver (--systemd-cgroup): a transient scope unit per container, made over D-Bus. */
#include "cgroup/systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/dbus.h"
#include "util/log.h"

#define SYSTEMD_SOCKET "/run/systemd/private"
#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
/* runc waits 30 s for systemd's job; a loaded host can be slow. */
#define JOB_TIMEOUT_MS 30000
#define CALL_TIMEOUT_MS 25000

void husk_systemd_unit_clear(struct husk_systemd_unit *u)
{
        free(u->slice);
        free(u->name);
        u->slice = u->name = NULL;
        for (size_t i = 0; i < u->properties_len; i++) {
                free(u->properties[i].name);
                free(u->properties[i].string);
        }
        free(u->properties);
        u->properties = NULL;
        u->properties_len = 0;
}

#define PROPERTY_ANNOTATION "org.systemd.property."

/* A GVariant text string: 'text' or "text", a backslash taking the next character as it is. */
static char *parse_quoted(const char *text)
{
        size_t len = strlen(text);
        if (len < 2 || (text[0] != '\'' && text[0] != '"') || text[len - 1] != text[0])
                return NULL;
        char *out = malloc(len), *o = out;
        if (!out)
                return NULL;
        for (const char *p = text + 1; p < text + len - 1; p++) {
                if (*p == text[0]) {
                        free(out);
                        return NULL;
                }
                if (*p == '\\' && p + 1 < text + len - 1)
                        p++;
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

/* The number of a GVariant integer of type t ("int32" range and so on); false when it is none or out of range. */
static bool parse_integer(const char *text, char type, uint64_t *ret)
{
        errno = 0;
        char *end = NULL;
        bool is_signed = strchr("nix", type) != NULL;
        if (!*text || (!is_signed && *text == '-'))
                return false;
        long long s = 0;
        unsigned long long u = 0;
        if (is_signed)
                s = strtoll(text, &end, 10);
        else
                u = strtoull(text, &end, 10);
        if (errno || *end)
                return false;
        switch (type) {
        case 'y':
                if (u > UINT8_MAX)
                        return false;
                break;
        case 'q':
                if (u > UINT16_MAX)
                        return false;
                break;
        case 'u':
                if (u > UINT32_MAX)
                        return false;
                break;
        case 'n':
                if (s < INT16_MIN || s > INT16_MAX)
                        return false;
                break;
        case 'i':
                if (s < INT32_MIN || s > INT32_MAX)
                        return false;
                break;
        default:
                break;
        }
        *ret = is_signed ? (uint64_t)s : (uint64_t)u;
        return true;
}

/* The GVariant text forms runc (godbus) reads for a property: typed or plain numbers, booleans, strings. -EINVAL
 * when the text is none of them. */
static int parse_property_value(const char *value, struct husk_systemd_property *p)
{
        static const struct {
                const char *keyword;
                char type;
        } typed[] = {{"byte ", 'y'},   {"int16 ", 'n'}, {"uint16 ", 'q'}, {"int32 ", 'i'},
                     {"uint32 ", 'u'}, {"int64 ", 'x'}, {"uint64 ", 't'}, {"double ", 'd'}};
        /* Blanks around the value are GVariant's to ignore. */
        value += strspn(value, " \t\n");
        _cleanup_free_ char *text = strdup(value);
        if (!text)
                return -ENOMEM;
        for (size_t n = strlen(text); n > 0 && strchr(" \t\n", text[n - 1]); n--)
                text[n - 1] = '\0';
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
                p->type = 'b';
                p->value = text[0] == 't';
                return 0;
        }
        if (text[0] == '\'' || text[0] == '"') {
                p->type = 's';
                p->string = parse_quoted(text);
                return p->string ? 0 : -EINVAL;
        }
        const char *number = text;
        p->type = 0;
        for (size_t i = 0; i < ARRAY_SIZE(typed) && !p->type; i++) {
                size_t len = strlen(typed[i].keyword);
                if (strncmp(text, typed[i].keyword, len) == 0) {
                        p->type = typed[i].type;
                        number = text + len + strspn(text + len, " ");
                }
        }
        /* Untyped: a number with a fraction or exponent is a double, any other an int32, as in GVariant. */
        if (!p->type)
                p->type = number[strcspn(number, ".eE")] ? 'd' : 'i';
        if (p->type == 'd') {
                char *end = NULL;
                errno = 0;
                double d = strtod(number, &end);
                if (errno || end == number || *end)
                        return -EINVAL;
                memcpy(&p->value, &d, sizeof(d));
                return 0;
        }
        return parse_integer(number, p->type, &p->value) ? 0 : -EINVAL;
}

/* systemd documents TimeoutStopSec, its bus takes TimeoutStopUSec: runc converts a name ending in [a-z]Sec. */
static int property_sec_to_usec(struct husk_systemd_property *p)
{
        size_t len = strlen(p->name);
        if (len < 4 || strcmp(p->name + len - 3, "Sec") != 0 || p->name[len - 4] < 'a' || p->name[len - 4] > 'z')
                return 0;
        uint64_t usec;
        if (p->type == 'd') {
                double seconds;
                memcpy(&seconds, &p->value, sizeof(seconds));
                if (!(seconds >= 0 && seconds * 1e6 < 18446744073709551616.0))
                        return -EINVAL;
                usec = (uint64_t)(seconds * 1e6);
        } else if (p->type && strchr("yqutnix", p->type)) {
                if (strchr("nix", p->type) && (int64_t)p->value < 0)
                        return -EINVAL;
                if (__builtin_mul_overflow(p->value, (uint64_t)1000000, &usec))
                        return -EINVAL;
        } else {
                return -EINVAL;
        }
        char *name = NULL;
        if (asprintf(&name, "%.*sUSec", (int)(len - 3), p->name) < 0)
                return -ENOMEM;
        free(p->name);
        p->name = name;
        p->type = 't';
        p->value = usec;
        return 0;
}

int husk_systemd_unit_parse_properties(const struct husk_kv_list *annotations, struct husk_systemd_unit *u,
                                       struct husk_error **err)
{
        size_t prefix_len = strlen(PROPERTY_ANNOTATION);
        for (size_t i = 0; annotations && i < annotations->len; i++) {
                const struct husk_kv *a = &annotations->items[i];
                if (strncmp(a->key, PROPERTY_ANNOTATION, prefix_len) != 0)
                        continue;
                /* runc's rule for the name: latin letters only, at least three. */
                const char *name = a->key + prefix_len;
                size_t name_len = strlen(name);
                if (name_len < 3 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != name_len)
                        return husk_error_set(err, 0, "annotation `%s`: `%s` is not a systemd property name", a->key,
                                              name);
                struct husk_systemd_property *grown =
                    realloc(u->properties, (u->properties_len + 1) * sizeof(*u->properties));
                if (!grown)
                        return husk_error_set(err, ENOMEM, "allocate");
                u->properties = grown;
                struct husk_systemd_property *p = &u->properties[u->properties_len++];
                *p = (struct husk_systemd_property){.name = strdup(name)};
                if (!p->name)
                        return husk_error_set(err, ENOMEM, "allocate");
                int r = parse_property_value(a->value, p);
                if (r == -ENOMEM)
                        return husk_error_set(err, ENOMEM, "allocate");
                if (r < 0)
                        return husk_error_set(err, 0,
                                              "annotation `%s`: cannot read `%s` as a GVariant value (e.g. "
                                              "\"uint64 123\", \"true\", \"'text'\")",
                                              a->key, a->value);
                r = property_sec_to_usec(p);
                if (r == -ENOMEM)
                        return husk_error_set(err, ENOMEM, "allocate");
                if (r < 0)
                        return husk_error_set(err, 0, "annotation `%s`: `%s` is no number of seconds", a->key,
                                              a->value);
        }
        return 0;
}

/* systemd's unit name characters: ASCII letters, digits, ":-_.\"; no leading '.', and not too long. */
static bool valid_unit_part(const char *s)
{
        if (!*s)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr(":-_.\\", *p)))
                        return false;
        return true;
}

int husk_systemd_unit_parse(const char *cgroups_path, const char *id, bool user, struct husk_systemd_unit *ret,
                            struct husk_error **err)
{
        const char *slice = user ? "user.slice" : "system.slice", *prefix = "husk", *name = id;
        _cleanup_free_ char *copy = NULL;
        if (cgroups_path && *cgroups_path) {
                copy = strdup(cgroups_path);
                if (!copy)
                        return husk_error_set(err, ENOMEM, "allocate");
                char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':'))
                        return husk_error_set(err, 0,
                                              "linux.cgroupsPath `%s`: the systemd cgroup driver needs "
                                              "\"slice:prefix:name\" (e.g. \"system.slice:husk:web\")",
                                              cgroups_path);
                *c1 = *c2 = '\0';
                slice = *copy ? copy : slice;
                prefix = c1 + 1;
                name = c2 + 1;
        }
        size_t slice_len = strlen(slice);
        /* "-.slice" is the root slice (runc's ExpandSlice makes it "/"); no other dash may lead or end a name. */
        bool root_slice = strcmp(slice, "-.slice") == 0;
        if (!valid_unit_part(slice) || slice_len < 7 || strcmp(slice + slice_len - 6, ".slice") != 0 ||
            (!root_slice && (strstr(slice, "--") || slice[0] == '-' || slice[slice_len - 7] == '-')))
                return husk_error_set(
                    err, 0, "linux.cgroupsPath: `%s` is not a slice unit name (e.g. \"system.slice\")", slice);
        if (!valid_unit_part(name) || (*prefix && !valid_unit_part(prefix)))
                return husk_error_set(err, 0,
                                      "linux.cgroupsPath: the prefix `%s` and name `%s` make no unit name "
                                      "(letters, digits and \":-_.\\\" only)",
                                      prefix, name);
        size_t name_len = strlen(name);
        if (name_len > 6 && strcmp(name + name_len - 6, ".slice") == 0)
                return husk_error_set(err, 0,
                                      "linux.cgroupsPath: a slice as the container's own unit (`%s`) is not "
                                      "supported: name a scope",
                                      name);
        char *unit = NULL;
        /* Joined by a dash also when the prefix is empty ("-name.scope"): runc's name, which tools compute. */
        if (asprintf(&unit, "%s-%s.scope", prefix, name) < 0)
                return husk_error_set(err, ENOMEM, "allocate");
        /* systemd refuses names longer than this (UNIT_NAME_MAX - 1). */
        if (strlen(unit) > 255) {
                free(unit);
                return husk_error_set(err, 0, "linux.cgroupsPath: the unit name `%s-%s.scope` is too long", prefix,
                                      name);
        }
        ret->slice = strdup(slice);
        ret->name = unit;
        if (!ret->slice) {
                husk_systemd_unit_clear(ret);
                return husk_error_set(err, ENOMEM, "allocate");
        }
        return 0;
}

/* Hand an error looked at here on to the caller's err (which may be NULL). */
static void pass_error(struct husk_error **err, struct husk_error **mine)
{
        if (err && !*err)
                *err = TAKE_PTR(*mine);
}

/* One property of a(sv): its struct, name and variant signature; the value follows. */
static void property(struct husk_dbus_writer *w, const char *name, const char *type)
{
        husk_dbus_struct_open(w);
        husk_dbus_put_string(w, name);
        husk_dbus_put_signature(w, type);
}

static void property_bool(struct husk_dbus_writer *w, const char *name, bool v)
{
        property(w, name, "b");
        husk_dbus_put_bool(w, v);
}

static void property_u64(struct husk_dbus_writer *w, const char *name, uint64_t v)
{
        property(w, name, "t");
        husk_dbus_put_u64(w, v);
}

/* A limit in bytes; -1 (unlimited) is systemd's infinity. */
static uint64_t limit_value(int64_t v)
{
        return v < 0 ? UINT64_MAX : (uint64_t)v;
}

/*
 * The limits systemd itself would write, under the names of the cgroup version it drives: with
 * a controller's accounting on and no such property, a daemon-reload would reset the file to
 * systemd's default. Everything else is husk's alone, below the delegated scope or through cgroupfs.
 */
/* AllowedCPUs/AllowedMemoryNodes: a cpuset list ("0-3,8") as systemd's bit mask, cpu 0 the low bit of byte 0. */
static void property_cpuset(struct husk_dbus_writer *w, const char *name, const char *list)
{
        struct husk_cgroup_cpu_list ids = {0};
        _cleanup_error_ struct husk_error *local = NULL;
        if (husk_cgroup_parse_cpu_list(list, &ids, &local) < 0) {
                /* cgroupfs refuses it with its own error. */
                husk_debug("systemd: no %s for `%s`: %s", name, list, local->msg);
                return;
        }
        uint16_t max = 0;
        for (size_t i = 0; i < ids.len; i++)
                max = ids.ids[i] > max ? ids.ids[i] : max;
        uint8_t mask[UINT16_MAX / 8 + 1] = {0};
        for (size_t i = 0; i < ids.len; i++)
                mask[ids.ids[i] / 8] |= (uint8_t)(1u << (ids.ids[i] % 8));
        property(w, name, "ay");
        size_t bytes = husk_dbus_array_open(w, 1);
        for (size_t i = 0; ids.len && i <= max / 8u; i++)
                husk_dbus_put_byte(w, mask[i]);
        husk_dbus_array_close(w, bytes, 1);
        free(ids.ids);
}

static void resource_properties(struct husk_dbus_writer *w, const struct husk_resources *res,
                                enum husk_cgroup_layout layout, unsigned version)
{
        bool v2 = layout == HUSK_CGROUP_V2;
        if (!res || !res->present)
                return;
        /* -1 is unlimited (an update lifting a limit): infinity, as cgroupfs gets "max", so that both agree. */
        const struct husk_memory *mem = &res->memory;
        if (mem->has_limit && (mem->limit > 0 || mem->limit == -1))
                property_u64(w, v2 ? "MemoryMax" : "MemoryLimit", limit_value(mem->limit));
        if (v2 && mem->has_reservation && (mem->reservation > 0 || mem->reservation == -1))
                property_u64(w, "MemoryLow", limit_value(mem->reservation));
        int64_t swap = 0;
        /* v2 counts swap alone: memory+swap less the limit, as cgroupfs gets it (a bad pair fails there). */
        if (v2 && mem->has_swap &&
            cg_convert_swap_to_v2(mem->swap, mem->has_limit ? mem->limit : 0, &swap, NULL) == 0 && swap != 0)
                property_u64(w, "MemorySwapMax", limit_value(swap));
        const struct husk_cpu *cpu = &res->cpu;
        if (cpu->has_shares && cpu->shares != 0)
                property_u64(w, v2 ? "CPUWeight" : "CPUShares",
                             v2 ? cg_convert_shares_to_weight(cpu->shares) : cpu->shares);
        if (cpu->has_period && cpu->period != 0)
                property_u64(w, "CPUQuotaPeriodUSec", cpu->period);
        if (cpu->has_quota && cpu->quota > 0) {
                uint64_t period = cpu->has_period && cpu->period ? cpu->period : 100000;
                /* systemd keeps the quota per second in whole percents of a CPU (10 ms): round up, as runc. */
                uint64_t per_sec = (uint64_t)cpu->quota * 1000000 / period;
                if (per_sec % 10000)
                        per_sec = (per_sec / 10000 + 1) * 10000;
                property_u64(w, "CPUQuotaPerSecUSec", per_sec);
        } else if (cpu->has_quota && cpu->quota < 0) {
                property_u64(w, "CPUQuotaPerSecUSec", UINT64_MAX);
        }
        /* systemd has these since 244 (as runc, older ones get cgroupfs only). */
        if (version >= 244 && cpu->cpus && *cpu->cpus)
                property_cpuset(w, "AllowedCPUs", cpu->cpus);
        if (version >= 244 && cpu->mems && *cpu->mems)
                property_cpuset(w, "AllowedMemoryNodes", cpu->mems);
        if (res->has_pids_limit)
                property_u64(w, "TasksMax", res->pids_limit > 0 ? (uint64_t)res->pids_limit : UINT64_MAX);
        const struct husk_block_io *io = &res->block_io;
        if (io->has_weight && io->weight != 0)
                property_u64(w, v2 ? "IOWeight" : "BlockIOWeight",
                             v2 ? cg_convert_blkio_to_io_weight(io->weight) : io->weight);
}

/*
 * Device rules as unit properties, so that systemd re-applying the unit (daemon-reload) writes the container's
 * own rules: with DevicePolicy=auto and no DeviceAllow it would write `devices.allow a` on v1, every device.
 * The effective list (the spec's rules, then husk's defaults) is played to a default and exceptions as the
 * kernel's v1 controller keeps them (devices_v1.c writes the same): an "a" rule with every access sets the
 * default and drops the exceptions; a rule against the default adds or widens an exception; one with the
 * default takes access from the exceptions it covers whole. One that would take access from part of an
 * exception leaves it whole: cgroupfs refuses that list on v1, and on v2 husk's own program still denies it.
 */
struct sd_device {
        char type; /* 'c' or 'b' */
        int64_t major, minor;
        unsigned access; /* r 1, w 2, m 4 */
};

static unsigned device_access_bits(const char *access)
{
        unsigned bits = 0;
        for (const char *a = access; *a; a++)
                bits |= *a == 'r' ? 1u : *a == 'w' ? 2u : *a == 'm' ? 4u : 0u;
        return bits ? bits : 7u;
}

static void play_device_rule(struct sd_device *items, size_t *len, bool allow_all, bool allow,
                             const struct sd_device *rule)
{
        if (allow != allow_all) {
                for (size_t i = 0; i < *len; i++)
                        if (items[i].type == rule->type && items[i].major == rule->major &&
                            items[i].minor == rule->minor) {
                                items[i].access |= rule->access;
                                return;
                        }
                items[(*len)++] = *rule;
                return;
        }
        size_t kept = 0;
        for (size_t i = 0; i < *len; i++) {
                struct sd_device *e = &items[i];
                if (e->type == rule->type && (rule->major < 0 || rule->major == e->major) &&
                    (rule->minor < 0 || rule->minor == e->minor))
                        e->access &= ~rule->access;
                if (e->access)
                        items[kept++] = *e;
        }
        *len = kept;
}

/* systemd's group name of a major number ("char-pts"), from /proc/devices: systemd < 240 knows no "char-136". */
static char *device_group(char type, int64_t major)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/devices", "re");
        if (!f)
                return NULL;
        char line[256];
        bool in_type = false;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "Character devices:", 18) == 0 || strncmp(line, "Block devices:", 14) == 0) {
                        in_type = (line[0] == 'C') == (type == 'c');
                        continue;
                }
                char name[128];
                long long number;
                if (in_type && sscanf(line, " %lld %127s", &number, name) == 2 && number == major) {
                        char *group = NULL;
                        return asprintf(&group, "%s-%s", type == 'c' ? "char" : "block", name) < 0 ? NULL : group;
                }
        }
        return NULL;
}

/* The DeviceAllow path of an exception ("char-*", "char-136", "/dev/char/1:3"); NULL to leave it out (warned). */
static char *device_allow_path(const struct sd_device *d, unsigned version)
{
        const char *kind = d->type == 'c' ? "char" : "block";
        char *path = NULL;
        if (d->major < 0 && d->minor < 0)
                return asprintf(&path, "%s-*", kind) < 0 ? NULL : path;
        if (d->major < 0) {
                husk_warn("systemd: no DeviceAllow for the rule `%c *:%" PRId64 "` (systemd has no such pattern); "
                          "the cgroup has it",
                          d->type, d->minor);
                return NULL;
        }
        if (d->minor < 0) {
                if (version >= 240)
                        return asprintf(&path, "%s-%" PRId64, kind, d->major) < 0 ? NULL : path;
                path = device_group(d->type, d->major);
                if (!path)
                        husk_warn("systemd: no DeviceAllow for the rule `%c %" PRId64 ":*` (no such group in "
                                  "/proc/devices); the cgroup has it",
                                  d->type, d->major);
                return path;
        }
        if (asprintf(&path, "/dev/%s/%" PRId64 ":%" PRId64, kind, d->major, d->minor) < 0)
                return NULL;
        /* Before 240 systemd stat()s the path, and skips a device the host lacks: so does husk (as runc). */
        if (version < 240 && access(path, F_OK) < 0) {
                free(path);
                return NULL;
        }
        return path;
}

static void property_device_allow(struct husk_dbus_writer *w, const struct sd_device *items, size_t len,
                                  unsigned version)
{
        property(w, "DeviceAllow", "a(ss)");
        size_t list = husk_dbus_array_open(w, 8);
        for (size_t i = 0; i < len; i++) {
                _cleanup_free_ char *path = device_allow_path(&items[i], version);
                if (!path)
                        continue;
                char access[4];
                size_t n = 0;
                for (size_t bit = 0; bit < 3; bit++)
                        if (items[i].access & (1u << bit))
                                access[n++] = "rwm"[bit];
                access[n] = '\0';
                husk_dbus_struct_open(w);
                husk_dbus_put_string(w, path);
                husk_dbus_put_string(w, access);
        }
        husk_dbus_array_close(w, list, 8);
}

/* DevicePolicy and DeviceAllow for the rules husk gives the container's cgroup (res NULL: the defaults). */
static int device_properties(struct husk_dbus_writer *w, const struct husk_resources *res, bool v2, unsigned version,
                             struct husk_error **err)
{
        struct cg_device_rules rules = {0};
        int r = cg_device_rules_build(res && res->present ? res : NULL, true, &rules, err);
        if (r < 0)
                return r;
        /* Two exceptions at most a rule: an "a" rule with part of the access is a c and a b rule. */
        _cleanup_free_ struct sd_device *items = calloc(rules.len * 2 + 1, sizeof(*items));
        if (!items) {
                cg_device_rules_free(&rules);
                return husk_error_set(err, ENOMEM, "allocate");
        }
        size_t len = 0;
        bool allow_all = false;
        for (size_t i = 0; i < rules.len; i++) {
                const struct husk_device_cgroup_rule *rule = &rules.items[i];
                unsigned access = device_access_bits(rule->access);
                if (rule->type == 'a' && access == 7u) {
                        allow_all = rule->allow;
                        len = 0;
                        continue;
                }
                for (const char *t = rule->type == 'a' ? "cb" : (char[]){rule->type, '\0'}; *t; t++) {
                        struct sd_device d = {*t, rule->type == 'a' ? -1 : rule->major,
                                              rule->type == 'a' ? -1 : rule->minor, access};
                        play_device_rule(items, &len, allow_all, rule->allow, &d);
                }
        }
        cg_device_rules_free(&rules);
        if (allow_all && len > 0) {
                /* systemd has no deny list. On v2 its program would be ANDed with husk's: leave the devices to
                 * husk's. On v1 it would write the whole list again: deny every device there rather than allow
                 * the denied ones (as runc). */
                if (!v2) {
                        husk_warn("systemd: the device rules deny some devices and allow the rest, which systemd "
                                  "cannot express: the unit allows no device, which a daemon-reload applies");
                        allow_all = false;
                }
                len = 0;
        }
        property(w, "DevicePolicy", "s");
        husk_dbus_put_string(w, allow_all ? "auto" : "strict");
        property_device_allow(w, items, len, version);
        return 0;
}

struct job_wait {
        const char *job;
        char *result;
};

/* JobRemoved(u id, o job, s unit, s result) for our job. */
static bool job_removed_is(const struct husk_dbus_message *m, void *data)
{
        struct job_wait *w = data;
        if (!m->signature || strcmp(m->signature, "uoss") != 0)
                return false;
        struct husk_dbus_reader r = husk_dbus_message_body(m);
        husk_dbus_get_u32(&r);
        const char *job = husk_dbus_get_string(&r);
        husk_dbus_get_string(&r);
        const char *result = husk_dbus_get_string(&r);
        if (r.failed || strcmp(job, w->job) != 0)
                return false;
        w->result = strdup(result);
        return true;
}

/* The job path from a reply of signature "o"; wait for it to end, "done" or the error. */
static int wait_job(struct husk_dbus *bus, struct husk_dbus_message *reply, const char *what, struct husk_error **err)
{
        struct husk_dbus_reader r = husk_dbus_message_body(reply);
        const char *job = reply->signature && strcmp(reply->signature, "o") == 0 ? husk_dbus_get_string(&r) : NULL;
        if (!job)
                return husk_error_set(err, EPROTO, "%s: systemd answered without a job", what);
        struct job_wait w = {.job = job};
        int ret =
            husk_dbus_wait_signal(bus, MANAGER_IFACE, "JobRemoved", job_removed_is, &w, JOB_TIMEOUT_MS, NULL, err);
        if (ret < 0)
                return husk_error_wrap(err, "%s", what);
        _cleanup_free_ char *result = w.result;
        if (!result)
                return husk_error_set(err, ENOMEM, "allocate");
        if (strcmp(result, "done") != 0)
                return husk_error_set(err, 0, "%s: systemd's job ended `%s`", what, result);
        return 0;
}

/* The system manager's private socket, or the caller's user manager's in its runtime directory. */
static int connect_systemd(bool user, struct husk_dbus **ret, struct husk_error **err)
{
        if (!user)
                return husk_dbus_connect(SYSTEMD_SOCKET, ret, err);
        char path[PATH_MAX];
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int n = runtime && *runtime ? snprintf(path, sizeof(path), "%s/systemd/private", runtime)
                                    : snprintf(path, sizeof(path), "/run/user/%u/systemd/private", (unsigned)geteuid());
        if (n < 0 || (size_t)n >= sizeof(path))
                return husk_error_set(err, ENAMETOOLONG, "$XDG_RUNTIME_DIR is too long");
        return husk_dbus_connect(path, ret, err);
}

/* The Manager's signals (JobRemoved) from now on, kept while other calls wait for their replies. */
static int subscribe(struct husk_dbus *bus, struct husk_error **err)
{
        int r = husk_dbus_watch(bus, MANAGER_IFACE, err);
        if (r < 0)
                return r;
        return husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "Subscribe", NULL, NULL, CALL_TIMEOUT_MS, NULL, err);
}

static int call_with_unit(struct husk_dbus *bus, const char *member, const char *unit, const char *mode,
                          struct husk_dbus_message **ret, struct husk_error **err)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, unit);
        if (mode)
                husk_dbus_put_string(&w, mode);
        int r =
            husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, member, mode ? "ss" : "s", &w, CALL_TIMEOUT_MS, ret, err);
        husk_dbus_writer_free(&w);
        return r;
}

/* The unit's cgroup: GetUnit, then its Scope interface's ControlGroup property. */
static int unit_cgroup(struct husk_dbus *bus, const char *unit, char **ret, struct husk_error **err)
{
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        int r = call_with_unit(bus, "GetUnit", unit, NULL, &reply, err);
        if (r < 0)
                return r;
        struct husk_dbus_reader rd = husk_dbus_message_body(reply);
        const char *path = reply->signature && strcmp(reply->signature, "o") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!path)
                return husk_error_set(err, EPROTO, "GetUnit `%s`: no object path in the answer", unit);
        _cleanup_free_ char *object = strdup(path);
        if (!object)
                return husk_error_set(err, ENOMEM, "allocate");
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, "org.freedesktop.systemd1.Scope");
        husk_dbus_put_string(&w, "ControlGroup");
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *value = NULL;
        r = husk_dbus_call(bus, object, "org.freedesktop.DBus.Properties", "Get", "ss", &w, CALL_TIMEOUT_MS, &value,
                           err);
        husk_dbus_writer_free(&w);
        if (r < 0)
                return husk_error_wrap(err, "unit `%s`", unit);
        rd = husk_dbus_message_body(value);
        const char *type = value->signature && strcmp(value->signature, "v") == 0 ? husk_dbus_get_signature(&rd) : NULL;
        const char *cgroup = type && strcmp(type, "s") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!cgroup || cgroup[0] != '/')
                return husk_error_set(err, EPROTO, "unit `%s`: systemd names no cgroup for it", unit);
        *ret = strdup(cgroup);
        return *ret ? 0 : husk_error_set(err, ENOMEM, "allocate");
}

/* An annotation's property, with the type its text gave it. */
static void property_annotation(struct husk_dbus_writer *w, const struct husk_systemd_property *p)
{
        property(w, p->name, (char[]){p->type, '\0'});
        switch (p->type) {
        case 'y':
                husk_dbus_put_byte(w, (uint8_t)p->value);
                break;
        case 'n':
        case 'q':
                husk_dbus_put_u16(w, (uint16_t)p->value);
                break;
        case 'i':
        case 'u':
                husk_dbus_put_u32(w, (uint32_t)p->value);
                break;
        case 'b':
                husk_dbus_put_bool(w, p->value != 0);
                break;
        case 's':
                husk_dbus_put_string(w, p->string);
                break;
        default: /* x t d: eight bytes */
                husk_dbus_put_u64(w, p->value);
                break;
        }
}

/* The manager's version ("252.39-1~deb12u2" is 252), for properties older ones lack; 0 when it does not say. */
static unsigned manager_version(struct husk_dbus *bus)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, MANAGER_IFACE);
        husk_dbus_put_string(&w, "Version");
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *value = NULL;
        _cleanup_error_ struct husk_error *local = NULL;
        int r = husk_dbus_call(bus, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", &w, CALL_TIMEOUT_MS,
                               &value, &local);
        husk_dbus_writer_free(&w);
        if (r < 0) {
                husk_debug("systemd: no Version: %s", local ? local->msg : "");
                return 0;
        }
        struct husk_dbus_reader rd = husk_dbus_message_body(value);
        const char *type = value->signature && strcmp(value->signature, "v") == 0 ? husk_dbus_get_signature(&rd) : NULL;
        const char *version = type && strcmp(type, "s") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!version)
                return 0;
        version += strspn(version, "\"v");
        return (unsigned)strtoul(version, NULL, 10);
}

static int start_transient(struct husk_dbus *bus, const struct husk_systemd_unit *u, const char *description, pid_t pid,
                           const struct husk_resources *res, enum husk_cgroup_layout layout, unsigned version,
                           struct husk_dbus_message **ret, struct husk_error **err)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, u->name);
        husk_dbus_put_string(&w, "replace");
        size_t props = husk_dbus_array_open(&w, 8);
        property(&w, "Description", "s");
        husk_dbus_put_string(&w, description);
        property(&w, "Slice", "s");
        husk_dbus_put_string(&w, u->slice);
        /* Not ordered after basic.target nor stopped with shutdown.target's conflicts: runc's choice. */
        property_bool(&w, "DefaultDependencies", false);
        property_bool(&w, "Delegate", true);
        property(&w, "PIDs", "au");
        size_t pids = husk_dbus_array_open(&w, 4);
        husk_dbus_put_u32(&w, (uint32_t)pid);
        husk_dbus_array_close(&w, pids, 4);
        property_bool(&w, "MemoryAccounting", true);
        property_bool(&w, "CPUAccounting", true);
        property_bool(&w, "TasksAccounting", true);
        property_bool(&w, layout == HUSK_CGROUP_V2 ? "IOAccounting" : "BlockIOAccounting", true);
        resource_properties(&w, res, layout, version);
        int r = device_properties(&w, res, layout == HUSK_CGROUP_V2, version, err);
        if (r < 0) {
                husk_dbus_writer_free(&w);
                return r;
        }
        /* Last, as runc: the config's own may override husk's. */
        for (size_t i = 0; i < u->properties_len; i++)
                property_annotation(&w, &u->properties[i]);
        husk_dbus_array_close(&w, props, 8);
        size_t aux = husk_dbus_array_open(&w, 8);
        husk_dbus_array_close(&w, aux, 8);
        r = husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "StartTransientUnit", "ssa(sv)a(sa(sv))", &w,
                           CALL_TIMEOUT_MS, ret, err);
        husk_dbus_writer_free(&w);
        return r;
}

int husk_systemd_start_scope(const struct husk_systemd_unit *u, bool user, const char *description, pid_t pid,
                             const struct husk_resources *res, enum husk_cgroup_layout layout, char **ret_cgroup_path,
                             struct husk_error **err)
{
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        int r = connect_systemd(user, &bus, err);
        if (r < 0 || (r = subscribe(bus, err)) < 0)
                return husk_error_wrap(err, "systemd: start unit `%s`", u->name);
        unsigned version = manager_version(bus);
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        _cleanup_error_ struct husk_error *first = NULL;
        r = start_transient(bus, u, description, pid, res, layout, version, &reply, &first);
        if (r < 0 && first && strstr(first->msg, "org.freedesktop.systemd1.UnitExists")) {
                /* A scope of that name that failed stays loaded until reset; an active one is refused below. */
                husk_debug("systemd: `%s` exists, resetting it once: %s", u->name, first->msg);
                (void)call_with_unit(bus, "ResetFailedUnit", u->name, NULL, NULL, NULL);
                r = start_transient(bus, u, description, pid, res, layout, version, &reply, err);
        } else if (r < 0) {
                pass_error(err, &first);
        }
        if (r < 0)
                return husk_error_wrap(err, "systemd: start unit `%s` in `%s`", u->name, u->slice);
        r = wait_job(bus, reply, "StartTransientUnit", err);
        if (r < 0)
                return husk_error_wrap(err, "systemd: start unit `%s`", u->name);
        return unit_cgroup(bus, u->name, ret_cgroup_path, err);
}

int husk_systemd_stop_unit(const char *unit, bool user, struct husk_error **err)
{
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        int r = connect_systemd(user, &bus, err);
        if (r < 0 || (r = subscribe(bus, err)) < 0)
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        _cleanup_error_ struct husk_error *stop_err = NULL;
        r = call_with_unit(bus, "StopUnit", unit, "replace", &reply, &stop_err);
        if (r < 0) {
                /* Gone already: a scope whose processes have all exited is collected by systemd. */
                if (strstr(stop_err->msg, "org.freedesktop.systemd1.NoSuchUnit"))
                        return 0;
                pass_error(err, &stop_err);
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        }
        r = wait_job(bus, reply, "StopUnit", err);
        if (r < 0)
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        /* A scope stopped by SIGKILL may be left "failed": forget it, so its name is free again. */
        (void)call_with_unit(bus, "ResetFailedUnit", unit, NULL, NULL, NULL);
        return 0;
}

/*
 * An update naming only one of the cpu quota and period: the other as the container's cgroup has it, so that
 * CPUQuotaPerSecUSec is the share of a CPU that cgroupfs will have (runc's update merges the saved config).
 */
static void complete_cpu_pair(struct husk_cgroup *cg, struct husk_cpu *cpu)
{
        bool has_quota = cpu->has_quota && cpu->quota != 0, has_period = cpu->has_period && cpu->period != 0;
        struct cg_hierarchy *h = has_quota != has_period ? cg_hierarchy_of(cg, CG_CPU) : NULL;
        if (!h || h->fd < 0)
                return;
        char quota[64], period[64];
        if (h->unified) {
                /* cpu.max: "max 100000" or "50000 100000" */
                char max[64], *space;
                if (cg_read(h->fd, "cpu.max", max, sizeof(max), NULL) <= 0 || !(space = strchr(max, ' ')))
                        return;
                *space = '\0';
                snprintf(quota, sizeof(quota), "%s", strcmp(max, "max") == 0 ? "-1" : max);
                snprintf(period, sizeof(period), "%s", space + 1);
        } else if (cg_read(h->fd, "cpu.cfs_quota_us", quota, sizeof(quota), NULL) <= 0 ||
                   cg_read(h->fd, "cpu.cfs_period_us", period, sizeof(period), NULL) <= 0) {
                return;
        }
        if (!has_quota) {
                cpu->has_quota = true;
                cpu->quota = strtoll(quota, NULL, 10);
        } else {
                cpu->has_period = true;
                cpu->period = strtoull(period, NULL, 10);
        }
}

/* v2: an update of the swap limit alone is memory+swap against the memory limit in force (memory.max). */
static void complete_swap_pair(struct husk_cgroup *cg, struct husk_memory *mem)
{
        struct cg_hierarchy *h = mem->has_swap && !mem->has_limit && husk_cgroup_layout(cg) == HUSK_CGROUP_V2
                                     ? cg_hierarchy_of(cg, CG_MEMORY)
                                     : NULL;
        char max[64];
        if (!h || h->fd < 0 || cg_read(h->fd, "memory.max", max, sizeof(max), NULL) <= 0)
                return;
        mem->has_limit = true;
        mem->limit = strcmp(max, "max") == 0 ? -1 : strtoll(max, NULL, 10);
}

int husk_systemd_set_resources(const char *unit, bool user, const struct husk_resources *res, struct husk_cgroup *cg,
                               struct husk_error **err)
{
        struct husk_resources effective = *res;
        complete_cpu_pair(cg, &effective.cpu);
        complete_swap_pair(cg, &effective.memory);
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        unsigned version = 0;
        /* The manager's version only where a property depends on it. */
        if ((res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems)) {
                if (connect_systemd(user, &bus, err) < 0)
                        return husk_error_wrap(err, "systemd: set the limits of unit `%s`", unit);
                version = manager_version(bus);
        }
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, unit);
        husk_dbus_put_bool(&w, true); /* runtime: not written to /etc */
        size_t props = husk_dbus_array_open(&w, 8);
        size_t before = w.len;
        resource_properties(&w, &effective, husk_cgroup_layout(cg), version);
        bool empty = !w.failed && w.len == before;
        husk_dbus_array_close(&w, props, 8);
        int r = 0;
        if (!empty) {
                if (!bus)
                        r = connect_systemd(user, &bus, err);
                if (r == 0)
                        r = husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "SetUnitProperties", "sba(sv)", &w,
                                           CALL_TIMEOUT_MS, NULL, err);
                if (r < 0)
                        husk_error_wrap(err, "systemd: set the limits of unit `%s`", unit);
        }
        husk_dbus_writer_free(&w);
        return r;
}
