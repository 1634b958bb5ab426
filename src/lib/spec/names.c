/* Names of capabilities, rlimits and namespace types, and the helpers that look names up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/parse.h"
#include "util/cleanup.h"

#define NAME_OF(n) [n] = #n

/*
 * Capability numbers are kernel ABI (include/uapi/linux/capability.h). The header is not included:
 * with src/lib on the include path, <linux/x.h> would find src/lib/linux/x.h first.
 */
static const char *const capability_names[] = {
    [0] = "CAP_CHOWN",
    [1] = "CAP_DAC_OVERRIDE",
    [2] = "CAP_DAC_READ_SEARCH",
    [3] = "CAP_FOWNER",
    [4] = "CAP_FSETID",
    [5] = "CAP_KILL",
    [6] = "CAP_SETGID",
    [7] = "CAP_SETUID",
    [8] = "CAP_SETPCAP",
    [9] = "CAP_LINUX_IMMUTABLE",
    [10] = "CAP_NET_BIND_SERVICE",
    [11] = "CAP_NET_BROADCAST",
    [12] = "CAP_NET_ADMIN",
    [13] = "CAP_NET_RAW",
    [14] = "CAP_IPC_LOCK",
    [15] = "CAP_IPC_OWNER",
    [16] = "CAP_SYS_MODULE",
    [17] = "CAP_SYS_RAWIO",
    [18] = "CAP_SYS_CHROOT",
    [19] = "CAP_SYS_PTRACE",
    [20] = "CAP_SYS_PACCT",
    [21] = "CAP_SYS_ADMIN",
    [22] = "CAP_SYS_BOOT",
    [23] = "CAP_SYS_NICE",
    [24] = "CAP_SYS_RESOURCE",
    [25] = "CAP_SYS_TIME",
    [26] = "CAP_SYS_TTY_CONFIG",
    [27] = "CAP_MKNOD",
    [28] = "CAP_LEASE",
    [29] = "CAP_AUDIT_WRITE",
    [30] = "CAP_AUDIT_CONTROL",
    [31] = "CAP_SETFCAP",
    [32] = "CAP_MAC_OVERRIDE",
    [33] = "CAP_MAC_ADMIN",
    [34] = "CAP_SYSLOG",
    [35] = "CAP_WAKE_ALARM",
    [36] = "CAP_BLOCK_SUSPEND",
    [37] = "CAP_AUDIT_READ",
    [38] = "CAP_PERFMON",
    [39] = "CAP_BPF",
    [40] = "CAP_CHECKPOINT_RESTORE",
};
_Static_assert(ARRAY_SIZE(capability_names) == 41, "CAP_CHECKPOINT_RESTORE is 40");

static const char *const rlimit_names[] = {
    NAME_OF(RLIMIT_CPU),      NAME_OF(RLIMIT_FSIZE), NAME_OF(RLIMIT_DATA),   NAME_OF(RLIMIT_STACK),
    NAME_OF(RLIMIT_CORE),     NAME_OF(RLIMIT_RSS),   NAME_OF(RLIMIT_NPROC),  NAME_OF(RLIMIT_NOFILE),
    NAME_OF(RLIMIT_MEMLOCK),  NAME_OF(RLIMIT_AS),    NAME_OF(RLIMIT_LOCKS),  NAME_OF(RLIMIT_SIGPENDING),
    NAME_OF(RLIMIT_MSGQUEUE), NAME_OF(RLIMIT_NICE),  NAME_OF(RLIMIT_RTPRIO), NAME_OF(RLIMIT_RTTIME),
};
_Static_assert(ARRAY_SIZE(rlimit_names) == RLIMIT_NLIMITS, "an rlimit has no name");

static const char *const ns_type_names[HUSK_NS_COUNT] = {
    [HUSK_NS_PID] = "pid", [HUSK_NS_NETWORK] = "network", [HUSK_NS_MOUNT] = "mount",   [HUSK_NS_IPC] = "ipc",
    [HUSK_NS_UTS] = "uts", [HUSK_NS_USER] = "user",       [HUSK_NS_CGROUP] = "cgroup", [HUSK_NS_TIME] = "time",
};

static int index_of(const char *const *names, size_t len, const char *name)
{
        if (!name)
                return -1;
        for (size_t i = 0; i < len; i++)
                if (names[i] && strcmp(names[i], name) == 0)
                        return (int)i;
        return -1;
}

int husk_capability_from_name(const char *name)
{
        return index_of(capability_names, ARRAY_SIZE(capability_names), name);
}

const char *husk_capability_name(int cap)
{
        return cap >= 0 && (size_t)cap < ARRAY_SIZE(capability_names) ? capability_names[cap] : NULL;
}

int husk_capability_last_known(void)
{
        return (int)ARRAY_SIZE(capability_names) - 1;
}

int husk_rlimit_from_name(const char *name)
{
        return index_of(rlimit_names, ARRAY_SIZE(rlimit_names), name);
}

const char *husk_rlimit_name(int resource)
{
        return resource >= 0 && (size_t)resource < ARRAY_SIZE(rlimit_names) ? rlimit_names[resource] : NULL;
}

const char *husk_ns_type_name(enum husk_ns_type type)
{
        return (unsigned)type < HUSK_NS_COUNT ? ns_type_names[type] : NULL;
}

int husk_ns_type_from_name(const char *name)
{
        return index_of(ns_type_names, HUSK_NS_COUNT, name);
}

const struct husk_namespace *husk_spec_namespace(const struct husk_spec *spec, enum husk_ns_type type)
{
        if (!spec)
                return NULL;
        for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
                if (spec->linux_.namespaces[i].type == type)
                        return &spec->linux_.namespaces[i];
        return NULL;
}

int spec_name_lookup(const struct spec_name *table, size_t len, const char *name)
{
        for (size_t i = 0; i < len; i++)
                if (strcmp(table[i].name, name) == 0)
                        return table[i].value;
        return -1;
}

int spec_get_enum(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  const struct spec_name *table, size_t len, const char *what, int *ret)
{
        const char *s;
        int found = json_get_string_ref(r, parent, obj, key, &s);
        if (found <= 0)
                return found;
        int value = spec_name_lookup(table, len, s);
        if (value < 0) {
                struct json_path p = JSON_PATH_KEY(parent, key);
                struct json_quoted q;
                return json_fail(r, &p, "unknown %s %s", what, json_quote(&q, s));
        }
        *ret = value;
        return 1;
}

int spec_alloc_array(const struct json_reader *r, size_t n, size_t size, void **ret)
{
        *ret = NULL;
        if (n == 0)
                return 0;
        *ret = calloc(n, size);
        return *ret ? 0 : json_fail_oom(r);
}

static const char *parse_list_number(const char *p, unsigned long *ret)
{
        if (*p < '0' || *p > '9')
                return NULL;
        unsigned long n = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (unsigned long)(*p - '0');
                if (n > (1ul << 31))
                        return NULL;
        }
        *ret = n;
        return p;
}

int spec_check_list(const struct json_reader *r, const struct json_path *path, const char *list)
{
        const char *p = list;
        while (*p) {
                unsigned long first, last, used, group;
                p = parse_list_number(p, &first);
                if (!p)
                        goto bad;
                if (*p == '-') {
                        p = parse_list_number(p + 1, &last);
                        if (!p || last < first)
                                goto bad;
                        if (*p == ':') { /* a-b:used/group, as bitmap_parselist takes it */
                                p = parse_list_number(p + 1, &used);
                                if (!p || *p != '/')
                                        goto bad;
                                p = parse_list_number(p + 1, &group);
                                if (!p || used == 0 || group == 0 || used > group)
                                        goto bad;
                        }
                }
                if (*p == ',' && p[1])
                        p++;
                else if (*p)
                        goto bad;
        }
        return 0;
bad:;
        struct json_quoted q;
        return json_fail(r, path, "invalid list %s (expected e.g. \"0-3,7\")", json_quote(&q, list));
}

int spec_check_absolute(const struct json_reader *r, const struct json_path *path, const char *s)
{
        if (s[0] == '/')
                return 0;
        struct json_quoted q;
        return json_fail(r, path, "%s is not an absolute path", json_quote(&q, s));
}
