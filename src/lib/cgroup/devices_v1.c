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

/*
 * The rules are read as on v2 (devices_bpf.c): a later rule overrides an earlier one for the devices and
 * access it names. v1 keeps a default (allow or deny all) and exceptions to it, and removes access from an
 * exception only when a rule names exactly its devices: a rule that would take access from part of an
 * exception ("deny c 10:237" after "allow c 10:*") cannot be written, and the kernel would ignore it
 * silently. So the rules are played here first: the default and exceptions they come to are what is
 * written, or the rule v1 cannot express is refused, naming it (as runc does).
 */
struct v1_exception {
        char type; /* 'c' or 'b' */
        int64_t major, minor;
        unsigned access; /* bits of ACCESS_NAMES */
};

static const char ACCESS_NAMES[] = "rwm";
#define ACCESS_ALL 7u

struct v1_state {
        bool allow_all;
        struct v1_exception *items;
        size_t len;
};

static unsigned access_bits(const char *access)
{
        unsigned bits = 0;
        for (const char *a = access; *a; a++)
                bits |= 1u << (strchr(ACCESS_NAMES, *a) - ACCESS_NAMES);
        return bits ? bits : ACCESS_ALL;
}

/* Whether the devices of a include all of b's; whether they share any. */
static bool covers(const struct v1_exception *a, const struct v1_exception *b)
{
        return a->type == b->type && (a->major < 0 || a->major == b->major) && (a->minor < 0 || a->minor == b->minor);
}

static bool overlaps(const struct v1_exception *a, const struct v1_exception *b)
{
        return a->type == b->type && (a->major < 0 || b->major < 0 || a->major == b->major) &&
               (a->minor < 0 || b->minor < 0 || a->minor == b->minor);
}

static void format_rule(const struct v1_exception *e, char *buf, size_t size)
{
        char major[24] = "*", minor[24] = "*", access[4] = "";
        if (e->major >= 0)
                snprintf(major, sizeof(major), "%" PRId64, e->major);
        if (e->minor >= 0)
                snprintf(minor, sizeof(minor), "%" PRId64, e->minor);
        for (size_t i = 0, n = 0; i < 3; i++)
                if (e->access & (1u << i))
                        access[n++] = ACCESS_NAMES[i];
        snprintf(buf, size, "%c %s:%s %s", e->type, major, minor, access);
}

static int refuse(const struct cg_device_rules *rules, size_t index, const struct v1_exception *rule,
                  const struct v1_exception *in, struct husk_error **err)
{
        char what[64], where[64];
        format_rule(rule, what, sizeof(what));
        format_rule(in, where, sizeof(where));
        const struct husk_device_cgroup_rule *r = &rules->items[index];
        if (index < rules->spec_len)
                return husk_error_set(err, 0,
                                      "linux.resources.devices[%zu]: cgroup v1 cannot %s `%s` inside `%s`, which an "
                                      "earlier rule %s: name the devices of that rule one by one",
                                      index, r->allow ? "allow" : "deny", what, where, r->allow ? "denied" : "allowed");
        return husk_error_set(err, 0,
                              "linux.resources.devices: cgroup v1 cannot allow husk's default `%s` (as runc does) "
                              "inside `%s`, which the config denies: name the denied devices one by one",
                              what, where);
}

/* Play one rule (a or b: its c and b halves one at a time) on the state. */
static int play(struct v1_state *st, const struct cg_device_rules *rules, size_t index, const struct v1_exception *rule,
                struct husk_error **err)
{
        bool allow = rules->items[index].allow;
        if (allow != st->allow_all) {
                /* An exception more, or more access for one that names the same devices. */
                for (size_t i = 0; i < st->len; i++)
                        if (st->items[i].type == rule->type && st->items[i].major == rule->major &&
                            st->items[i].minor == rule->minor) {
                                st->items[i].access |= rule->access;
                                return 0;
                        }
                st->items[st->len++] = *rule;
                return 0;
        }
        /* Back to the default for these devices: only whole exceptions can lose access. */
        for (size_t i = 0; i < st->len; i++) {
                struct v1_exception *e = &st->items[i];
                if (!(e->access & rule->access) || !overlaps(e, rule))
                        continue;
                if (!covers(rule, e))
                        return refuse(rules, index, rule, e, err);
                e->access &= ~rule->access;
        }
        size_t kept = 0;
        for (size_t i = 0; i < st->len; i++)
                if (st->items[i].access)
                        st->items[kept++] = st->items[i];
        st->len = kept;
        return 0;
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

/* The default and the exceptions the rules come to; an error names a rule v1 cannot express. */
static int play_all(const struct cg_device_rules *rules, struct v1_state *st, struct husk_error **err)
{
        for (size_t i = 0; i < rules->len; i++) {
                const struct husk_device_cgroup_rule *rule = &rules->items[i];
                unsigned access = access_bits(rule->access);
                /* The kernel reads "a" as every device with every access: the default changes, the exceptions go. */
                if (rule->type == 'a' && access == ACCESS_ALL) {
                        st->allow_all = rule->allow;
                        st->len = 0;
                        continue;
                }
                for (const char *t = rule->type == 'a' ? "cb" : (char[]){rule->type, '\0'}; *t; t++) {
                        struct v1_exception e = {*t, rule->type == 'a' ? -1 : rule->major,
                                                 rule->type == 'a' ? -1 : rule->minor, access};
                        int r = play(st, rules, i, &e, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int cg_devices_v1_apply(int dirfd, const struct cg_device_rules *rules, struct husk_error **err)
{
        /* Played before anything is written: a refused list leaves the cgroup's rules as they were. At most
         * two exceptions a rule (an "a" rule with partial access is a c and a b rule). */
        _cleanup_free_ struct v1_exception *items = calloc(rules->len * 2 + 1, sizeof(*items));
        if (!items)
                return husk_error_set(err, ENOMEM, "device rules");
        struct v1_state st = {.allow_all = false, .items = items};
        int r = play_all(rules, &st, err);
        if (r < 0)
                return r;

        /* Each write is one rule, so one open per file serves them all. */
        _cleanup_close_ int allow = openat(dirfd, "devices.allow", O_WRONLY | O_CLOEXEC);
        if (allow < 0)
                return husk_error_set(err, errno, "open `devices.allow`");
        _cleanup_close_ int deny = openat(dirfd, "devices.deny", O_WRONLY | O_CLOEXEC);
        if (deny < 0)
                return husk_error_set(err, errno, "open `devices.deny`");

        /* From deny-all first, as runc does (allow-all after it, where the rules come to that). */
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
        if (st.allow_all && write(allow, "a", 1) < 0)
                return husk_error_set(err, errno, "write `devices.allow` = `a`");
        for (size_t i = 0; i < st.len; i++) {
                char value[64];
                format_rule(&st.items[i], value, sizeof(value));
                r = st.allow_all ? write_rule(deny, "devices.deny", value, err)
                                 : write_rule(allow, "devices.allow", value, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
