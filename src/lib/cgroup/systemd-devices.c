/* The device rules of a container as properties of its unit: DevicePolicy and DeviceAllow (systemd-internal.h). */
#include "cgroup/systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup-internal.h"
#include "cgroup/systemd-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

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
        systemd_property(w, "DeviceAllow", "a(ss)");
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
int systemd_device_properties(struct husk_dbus_writer *w, const struct husk_resources *res, bool v2, unsigned version,
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
        systemd_property(w, "DevicePolicy", "s");
        husk_dbus_put_string(w, allow_all ? "auto" : "strict");
        property_device_allow(w, items, len, version);
        return 0;
}
