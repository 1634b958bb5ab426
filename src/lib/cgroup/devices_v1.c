/* cgroup v1 device controller: the rule list written to devices.deny / devices.allow. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool all_access(const char *access)
{
        return strchr(access, 'r') && strchr(access, 'w') && strchr(access, 'm');
}

static void format_rule(char type, const struct husk_device_cgroup_rule *rule, char *buf, size_t size)
{
        char major[24] = "*", minor[24] = "*";
        if (rule->major >= 0 && type != 'a')
                snprintf(major, sizeof(major), "%" PRId64, rule->major);
        if (rule->minor >= 0 && type != 'a')
                snprintf(minor, sizeof(minor), "%" PRId64, rule->minor);
        snprintf(buf, size, "%c %s:%s %s", type, major, minor, rule->access);
}

static int write_rule(int fd, const char *file, const char *value, struct husk_error **err)
{
        ssize_t n = write(fd, value, strlen(value));
        if (n < 0)
                return husk_error_set(err, errno, "write `%s` = `%s`", file, value);
        return 0;
}

int cg_devices_v1_apply(int dirfd, const struct cg_device_rules *rules, struct husk_error **err)
{
        /* Each write is one rule, so one open per file serves them all. */
        _cleanup_close_ int allow = openat(dirfd, "devices.allow", O_WRONLY | O_CLOEXEC);
        if (allow < 0)
                return husk_error_set(err, errno, "open `devices.allow`");
        _cleanup_close_ int deny = openat(dirfd, "devices.deny", O_WRONLY | O_CLOEXEC);
        if (deny < 0)
                return husk_error_set(err, errno, "open `devices.deny`");

        /* Start from deny-all, as runc does, so the list reads the same on v1 and in the v2 BPF program. */
        int r = write_rule(deny, "devices.deny", "a", err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rules->len; i++) {
                const struct husk_device_cgroup_rule *rule = &rules->items[i];
                /* The kernel reads "a" as all devices with all access: a partial one becomes c and b rules. */
                const char *types = rule->type != 'a'          ? (char[]){rule->type, '\0'}
                                    : all_access(rule->access) ? "a"
                                                               : "cb";
                for (const char *t = types; *t; t++) {
                        char value[64];
                        format_rule(*t, rule, value, sizeof(value));
                        r = rule->allow ? write_rule(allow, "devices.allow", value, err)
                                        : write_rule(deny, "devices.deny", value, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
