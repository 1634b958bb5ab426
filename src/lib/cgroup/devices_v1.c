/* cgroup v1 device controller: the rule list written to devices.deny / devices.allow. */
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

/* The name of a child cgroup of dirfd, or NULL. */
static char *first_child(int dirfd)
{
        DIR *d = husk_opendir_at(dirfd);
        if (!d)
                return NULL;
        struct dirent *e = cg_next_child(d);
        char *name = e ? strdup(e->d_name) : NULL;
        closedir(d);
        return name;
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
        if (write(deny, "a", 1) < 0) {
                int errnum = errno;
                /* The kernel refuses to narrow a cgroup that has children (a pod's or a build's parent named
                 * as the container's own cgroup): say so, the errno alone says nothing. */
                _cleanup_free_ char *child = errnum == EINVAL ? first_child(dirfd) : NULL;
                if (child)
                        return husk_error_set(err, errnum,
                                              "write `devices.deny` = `a`: cgroup v1 refuses to narrow the device "
                                              "rules of a cgroup that has child cgroups (`%s`): give the container "
                                              "a cgroup of its own (linux.cgroupsPath)",
                                              child);
                return husk_error_set(err, errnum, "write `devices.deny` = `a`");
        }
        int r;
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
