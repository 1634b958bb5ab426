/*
 * The effective device-cgroup rule list: the spec's rules, then runc's default allowed devices. Not the nodes of
 * linux.devices, as in runc: a config lists a node there and allows it in linux.resources.devices (podman, Docker
 * and containerd write both), and one that denies it must stay denied.
 */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/*
 * What runc 1.1 always allows after the spec's rules, so a container without explicit rules still has the
 * standard /dev nodes: mknod of anything, null, random, full, tty, zero, urandom, ptys, ptmx and tun.
 * Not the host's console (c 5:1), which crun also allows: no container has that node (/dev/console is
 * the container's own pty when it has a terminal), so the rule only served a process that makes one
 * with mknod to reach the host's console.
 */
static const struct husk_device_cgroup_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},    {true, 'b', -1, -1, "m"}, {true, 'c', 1, 3, "rwm"},    {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 7, "rwm"},    {true, 'c', 5, 0, "rwm"}, {true, 'c', 1, 5, "rwm"},    {true, 'c', 1, 9, "rwm"},
    {true, 'c', 136, -1, "rwm"}, {true, 'c', 5, 2, "rwm"}, {true, 'c', 10, 200, "rwm"},
};

static int rule_check(const struct husk_device_cgroup_rule *rule, size_t index, struct husk_error **err)
{
        if (rule->type != 'a' && rule->type != 'b' && rule->type != 'c')
                return husk_error_set(err, EINVAL, "linux.resources.devices[%zu]: invalid type `%c`", index,
                                      rule->type ? rule->type : '?');
        for (const char *a = rule->access; *a; a++)
                if (*a != 'r' && *a != 'w' && *a != 'm')
                        return husk_error_set(err, EINVAL, "linux.resources.devices[%zu]: invalid access `%s`", index,
                                              rule->access);
        if (rule->major < -1 || rule->minor < -1 || rule->major > UINT32_MAX || rule->minor > UINT32_MAX)
                return husk_error_set(err, EINVAL, "linux.resources.devices[%zu]: invalid major/minor", index);
        return 0;
}

int cg_device_rules_build(const struct husk_resources *r, bool with_defaults, struct cg_device_rules *ret,
                          struct husk_error **err)
{
        size_t spec_len = r ? r->devices_len : 0;
        size_t cap = spec_len + (with_defaults ? ARRAY_SIZE(default_rules) : 0);
        struct husk_device_cgroup_rule *items = calloc(cap ? cap : 1, sizeof(*items));
        if (!items)
                return husk_error_set(err, ENOMEM, "allocate device rules");
        size_t n = 0;
        for (size_t i = 0; i < spec_len; i++) {
                int rc = rule_check(&r->devices[i], i, err);
                if (rc < 0) {
                        free(items);
                        return rc;
                }
                items[n] = r->devices[i];
                if (items[n].access[0] == '\0')
                        memcpy(items[n].access, "rwm", 4);
                n++;
        }
        if (with_defaults)
                for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
                        items[n++] = default_rules[i];
        *ret = (struct cg_device_rules){.items = items, .len = n, .spec_len = spec_len};
        return 0;
}

void cg_device_rules_free(struct cg_device_rules *rules)
{
        free(rules->items);
        *rules = (struct cg_device_rules){0};
}
