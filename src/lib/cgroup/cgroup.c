/* Layout detection, linux.cgroupsPath resolution, creation, joining and removal of a container's cgroup. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"
#include "util/log.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char *const controller_names[CG_CONTROLLER_COUNT][2] = {
    [CG_CPU] = {"cpu", "cpu"},
    [CG_CPUACCT] = {"cpuacct", NULL},
    [CG_CPUSET] = {"cpuset", "cpuset"},
    [CG_MEMORY] = {"memory", "memory"},
    [CG_DEVICES] = {"devices", NULL},
    [CG_FREEZER] = {"freezer", NULL},
    [CG_BLKIO] = {"blkio", "io"},
    [CG_PIDS] = {"pids", "pids"},
    [CG_HUGETLB] = {"hugetlb", "hugetlb"},
    [CG_NET_CLS] = {"net_cls", NULL},
    [CG_NET_PRIO] = {"net_prio", NULL},
    [CG_PERF_EVENT] = {"perf_event", "perf_event"},
    [CG_RDMA] = {"rdma", "rdma"},
    [CG_MISC] = {"misc", "misc"},
};

const char *cg_controller_name(enum cg_controller c, bool v2)
{
        const char *name = controller_names[c][v2 ? 1 : 0];
        return name ? name : controller_names[c][0];
}

int cg_controller_from_name(const char *name, size_t len, bool v2)
{
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                const char *n = controller_names[c][v2 ? 1 : 0];
                if (n && strlen(n) == len && strncmp(n, name, len) == 0)
                        return c;
        }
        return -1;
}

struct cg_hierarchy *cg_hierarchy_of(struct husk_cgroup *cg, enum cg_controller c)
{
        if (cg->layout == HUSK_CGROUP_V2)
                return cg->unified >= 0 ? &cg->hierarchies[cg->unified] : NULL;
        int i = cg->by_controller[c];
        return i >= 0 ? &cg->hierarchies[i] : NULL;
}

int husk_cgroup_detect_layout(enum husk_cgroup_layout *ret, struct husk_error **err)
{
        struct statfs fs;
        if (statfs(CGROUP_ROOT, &fs) < 0)
                return husk_error_set(err, errno, "statfs `%s`", CGROUP_ROOT);
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = HUSK_CGROUP_V2;
                return 0;
        }
        if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                *ret = HUSK_CGROUP_HYBRID;
        else
                *ret = HUSK_CGROUP_V1;
        return 0;
}

enum husk_cgroup_layout husk_cgroup_layout(const struct husk_cgroup *cg)
{
        return cg->layout;
}

/* ---- paths ---- */

/*
 * Clean a cgroupsPath lexically as runc's CleanPath does: "." and empty components drop, ".." pops but
 * never climbs above the root, so a relative path cannot escape husk's own cgroup either.
 */
static int clean_path(const char *in, char **ret, struct husk_error **err)
{
        _cleanup_free_ char *out = husk_path_clean(in);
        if (!out)
                return husk_error_set(err, ENOMEM, "allocate");
        if (strcmp(out, "/") == 0)
                return husk_error_set(err, EINVAL, "cgroups path `%s` resolves to the cgroup husk runs in", in);
        *ret = TAKE_PTR(out);
        return 0;
}

static char *path_join(const char *base, const char *rel)
{
        char *out = NULL;
        if (strcmp(base, "/") == 0)
                base = "";
        return asprintf(&out, "%s%s", base, rel) < 0 ? NULL : out;
}

static char *path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');
        if (!slash || slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

/* A cgroup path relative to its hierarchy's root, for *at() calls on mount_fd. */
const char *cg_inner_rel(const char *path)
{
        while (*path == '/')
                path++;
        return *path ? path : ".";
}

/* ---- creation ---- */

/* Enable in `fd`'s cgroup.subtree_control every controller the root has, as runc does (all at once). */
static void v2_enable_controllers(int fd, const char *enable)
{
        if (!enable || !*enable || cg_write(fd, "cgroup.subtree_control", enable, NULL) == 0)
                return;
        /* Some may refuse (threaded, rt tasks): enable one by one; a resource needing one reports it later. */
        _cleanup_free_ char *copy = strdup(enable);
        char *save = NULL;
        for (char *tok = copy ? strtok_r(copy, " ", &save) : NULL; tok; tok = strtok_r(NULL, " ", &save))
                (void)cg_write(fd, "cgroup.subtree_control", tok, NULL);
}

/* "/sys/fs/cgroup/memory/husk/web" (the first len bytes of path), for messages. */
const char *cg_display(const struct cg_hierarchy *h, const char *path, int len, char *buf, size_t size)
{
        if (snprintf(buf, size, "%s%s%s%.*s", CGROUP_ROOT, h->mount[0] ? "/" : "", h->mount, len, path) >= (int)size)
                buf[size - 1] = '\0';
        return buf;
}

static int hierarchy_create(struct husk_cgroup *cg, struct cg_hierarchy *h, const char *enable, struct husk_error **err)
{
        char shown[4200];
        bool v2 = h->unified && cg->layout == HUSK_CGROUP_V2;
        bool cpuset = !h->unified && (h->controllers & CG_BIT(CG_CPUSET));
        const char *rel = cg_inner_rel(h->path);

        /* Fast path: one mkdirat when the parent exists. v2 (subtree_control) and cpuset need each level. */
        if (!v2 && !cpuset) {
                int r = mkdirat(h->mount_fd, rel, 0755) < 0 ? -errno : 0;
                if (r == 0)
                        h->created = 1;
                else if (r != -EEXIST && r != -ENOENT)
                        return husk_error_set(err, -r, "mkdir `%s`",
                                              cg_display(h, h->path, INT_MAX, shown, sizeof(shown)));
                if (r != -ENOENT) {
                        h->fd = openat(h->mount_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (h->fd < 0)
                                return husk_error_set(err, errno, "open `%s`",
                                                      cg_display(h, h->path, INT_MAX, shown, sizeof(shown)));
                        return 0;
                }
        }

        int fd = h->mount_fd;
        _cleanup_close_ int owned = -1; /* fd, once it is a directory this walk opened */
        const char *p = h->path;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                char comp[256];
                size_t n = (size_t)(end - p);
                int upto = (int)(end - h->path);
                if (n == 0)
                        break;
                if (n >= sizeof(comp))
                        return husk_error_set(err, ENAMETOOLONG, "cgroup name too long in `%s`", h->path);
                memcpy(comp, p, n);
                comp[n] = '\0';
                if (v2)
                        v2_enable_controllers(fd, enable);
                bool created = false;
                if (mkdirat(fd, comp, 0755) == 0) {
                        created = true;
                        h->created++;
                } else if (errno != EEXIST) {
                        return husk_error_set(err, errno, "mkdir `%s`",
                                              cg_display(h, h->path, upto, shown, sizeof(shown)));
                }
                int child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0)
                        return husk_error_set(err, errno, "open `%s`",
                                              cg_display(h, h->path, upto, shown, sizeof(shown)));
                /* Every level, as runc's cpusetEnsureParent: one made by another with plain mkdir (a pod's) is
                 * empty too, and no task may join below it until filled from above. */
                if (cpuset) {
                        int r = cg_v1_cpuset_inherit(fd, child, created, err);
                        if (r < 0) {
                                close(child);
                                return husk_error_wrap(err, "`%s`", cg_display(h, h->path, upto, shown, sizeof(shown)));
                        }
                }
                if (owned >= 0)
                        close(owned);
                fd = owned = child;
                p = end;
        }
        h->fd = TAKE_FD(owned);
        return 0;
}

/* Remove the directories husk_cgroup_create made in one hierarchy, deepest first. */
static void hierarchy_remove_created(struct husk_cgroup *cg, struct cg_hierarchy *h)
{
        char path[4096];
        if (h->fd >= 0) {
                close(h->fd);
                h->fd = -1;
        }
        snprintf(path, sizeof(path), "%s", h->path);
        for (int i = 0; i < h->created; i++) {
                if (unlinkat(h->mount_fd, cg_inner_rel(path), AT_REMOVEDIR) < 0 && errno != ENOENT)
                        husk_debug("cgroup cleanup: rmdir `%s%s`: %m", h->mount, path);
                char *slash = strrchr(path, '/');
                if (!slash || slash == path)
                        break;
                *slash = '\0';
        }
        h->created = 0;
}

/* Every controller the resources need must be present (and, once created, joined: rootless may drop some). */
static int check_available(struct husk_cgroup *cg, uint32_t need, bool created, struct husk_error **err)
{
        bool v2 = cg->layout == HUSK_CGROUP_V2;
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                if (!(need & CG_BIT(c)))
                        continue;
                struct cg_hierarchy *h = cg_hierarchy_of(cg, (enum cg_controller)c);
                bool present = h && (!v2 || (cg->v2_controllers & CG_BIT(c)));
                if (!present && v2 && h && h->fd >= 0)
                        return cg_v2_controller_missing(h, (enum cg_controller)c, err);
                if (!present)
                        return husk_error_set(err, ENOENT, "cgroup controller `%s` is not available",
                                              cg_controller_name((enum cg_controller)c, v2));
                if (created && h->fd < 0)
                        return husk_error_set(err, EPERM,
                                              "cannot set `%s` limits: the container could not join or create its "
                                              "cgroup",
                                              cg_controller_name((enum cg_controller)c, v2));
        }
        return 0;
}

static int read_v2_controllers(int fd, uint32_t *ret, struct husk_error **err)
{
        char buf[512];
        ssize_t n = cg_read(fd, "cgroup.controllers", buf, sizeof(buf), err);
        if (n < 0)
                return (int)n;
        uint32_t mask = 0;
        char *save = NULL;
        for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                int c = cg_controller_from_name(tok, strlen(tok), true);
                if (c >= 0)
                        mask |= CG_BIT(c);
        }
        *ret = mask;
        return 0;
}

/* Resources plus device rules; rules NULL leaves the device controller alone. */
static int apply_all(struct husk_cgroup *cg, const struct husk_resources *r, const struct cg_device_rules *rules,
                     struct husk_error **err)
{
        bool v2 = cg->layout == HUSK_CGROUP_V2;
        int ret = check_available(cg, cg_resources_controllers(r, v2), true, err);
        if (ret < 0)
                return ret;

        if (rules) {
                struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_DEVICES);
                if (!h)
                        ret = cg->rootless ? 0
                                           : husk_error_set(err, ENOENT,
                                                            "cgroup controller `devices` is not "
                                                            "available");
                else if (h->fd < 0)
                        ret = 0; /* rootless and not joined: runc ignores device errors then */
                else if (v2)
                        ret = cg_devices_bpf_apply(h->fd, rules, err);
                else
                        ret = cg_devices_v1_apply(h->fd, rules, err);
                if (ret < 0) {
                        if (!cg->rootless)
                                return ret;
                        /* RootlessCgroups: device rules are not expected to work. */
                        cg_error_clear(err);
                }
        }

        if (r) {
                ret = v2 ? cg_v2_apply(cg, r, err) : cg_v1_apply(cg, r, err);
                if (ret < 0)
                        return ret;
                if (r->unified.len > 0) {
                        if (cg->unified < 0)
                                return husk_error_set(err, EINVAL,
                                                      "linux.resources.unified needs cgroup v2 (this host has only "
                                                      "cgroup v1)");
                        ret = cg_unified_apply(cg, &r->unified, err);
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

static int build_path_string(struct husk_cgroup *cg, struct husk_error **err)
{
        size_t primary = cg->unified >= 0 && cg->layout == HUSK_CGROUP_V2 ? (size_t)cg->unified : 0;
        if (cg->hierarchies_len == 0)
                return husk_error_set(err, ENOENT, "no cgroup hierarchy found under `%s`", CGROUP_ROOT);
        const char *def = cg->hierarchies[primary].path;
        size_t size = strlen(def) + 1;
        for (size_t i = 0; i < cg->hierarchies_len; i++)
                if (strcmp(cg->hierarchies[i].path, def) != 0)
                        size += strlen(cg->hierarchies[i].mount) + strlen(cg->hierarchies[i].path) + 2;
        char *s = malloc(size);
        if (!s)
                return husk_error_set(err, ENOMEM, "allocate");
        char *p = stpcpy(s, def);
        for (size_t i = 0; i < cg->hierarchies_len; i++)
                if (strcmp(cg->hierarchies[i].path, def) != 0)
                        p += sprintf(p, "\n%s=%s", cg->hierarchies[i].mount, cg->hierarchies[i].path);
        cg->path_string = s;
        cg->display_path = strdup(def);
        return cg->display_path ? 0 : husk_error_set(err, ENOMEM, "allocate");
}

static int cgroup_new(bool rootless, struct husk_cgroup **ret, struct husk_error **err)
{
        struct husk_cgroup *cg = calloc(1, sizeof(*cg));
        if (!cg)
                return husk_error_set(err, ENOMEM, "allocate cgroup");
        cg->rootless = rootless;
        cg->unified = -1;
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++)
                cg->by_controller[c] = -1;
        cg->root_fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg->root_fd < 0) {
                int r = husk_error_set(err, errno, "open `%s`", CGROUP_ROOT);
                free(cg);
                return r;
        }
        *ret = cg;
        int r = husk_cgroup_detect_layout(&cg->layout, err);
        return r;
}

static void own_paths_free(char **own)
{
        if (!own)
                return;
        for (size_t i = 0; i < 32; i++)
                free(own[i]);
        free(own);
}

/*
 * unified keys of the cgroup core interface that set no resource: husk itself places, freezes and kills the
 * container's processes through them (cgroup.freeze would freeze the init before it could report, cgroup.procs
 * move any host process into the container's cgroup, where delete --force kills it).
 */
static const char *const unified_not_resources[] = {"cgroup.procs",  "cgroup.threads",         "cgroup.kill",
                                                    "cgroup.freeze", "cgroup.subtree_control", "cgroup.type"};

bool cg_cpu_in_force(struct husk_cgroup *cg, int64_t *ret_quota, uint64_t *ret_period)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_CPU);
        char quota[64], period[64] = "";
        if (!h || h->fd < 0)
                return false;
        if (h->unified) {
                /* cpu.max: "max 100000" or "50000 100000" */
                char *space;
                if (cg_read(h->fd, "cpu.max", quota, sizeof(quota), NULL) <= 0 || !(space = strchr(quota, ' ')))
                        return false;
                *space = '\0';
                snprintf(period, sizeof(period), "%s", space + 1);
        } else if (cg_read(h->fd, "cpu.cfs_quota_us", quota, sizeof(quota), NULL) <= 0 ||
                   cg_read(h->fd, "cpu.cfs_period_us", period, sizeof(period), NULL) <= 0) {
                return false;
        }
        *ret_quota = strcmp(quota, "max") == 0 ? -1 : strtoll(quota, NULL, 10);
        *ret_period = strtoull(period, NULL, 10);
        return true;
}

/*
 * What husk refuses to write, and what the kernel would refuse only halfway through, checked before anything is
 * written, so that a refused update changes nothing. in_force: the cgroup whose values stand for those r does not
 * give (update), or NULL (create: a new cgroup). field: "config.json: linux.resources" or "linux.resources".
 */
static int check_resources(const struct husk_resources *r, struct husk_cgroup *in_force, const char *field,
                           struct husk_error **err)
{
        if (!r)
                return 0;
        for (size_t i = 0; i < r->unified.len; i++)
                for (size_t j = 0; j < ARRAY_SIZE(unified_not_resources); j++)
                        if (r->unified.items[i].key && strcmp(r->unified.items[i].key, unified_not_resources[j]) == 0)
                                return husk_error_set(err, 0,
                                                      "%s.unified: `%s` is not a resource setting: husk itself "
                                                      "places, freezes and kills the container's processes",
                                                      field, r->unified.items[i].key);
        /* The kernel takes a burst only up to the quota: written first (or last), the other write would fail. */
        const struct husk_cpu *c = &r->cpu;
        if (!c->present || !c->has_burst || c->burst == 0)
                return 0;
        bool quota_given = c->has_quota && c->quota != 0;
        /* Unreadable: 0, the kernel judges then. */
        int64_t quota = -1;
        uint64_t period;
        if (quota_given)
                quota = c->quota;
        else if (in_force && !cg_cpu_in_force(in_force, &quota, &period))
                quota = 0;
        if (quota <= 0 || c->burst <= (uint64_t)quota)
                return 0;
        if (quota_given)
                return husk_error_set(err, 0, "%s.cpu.burst `%" PRIu64 "` is larger than cpu.quota `%" PRId64 "`",
                                      field, c->burst, quota);
        return husk_error_set(err, 0, "%s.cpu.burst `%" PRIu64 "` is larger than the cpu quota in force `%" PRId64 "`",
                              field, c->burst, quota);
}

/*
 * husk_cgroup_create with the path given (a cgroupsPath), or from the spec when given is NULL. placed: the
 * container's process is in the cgroup already (systemd put it in its scope), so an unprivileged caller
 * need not be able to move it there, and, as without cgroupsPath, does without the hierarchies it may
 * not write (hybrid's v1 ones).
 */
static int create_cgroup(const struct husk_spec *spec, const char *given, const char *id, bool rootless, bool placed,
                         const struct husk_cgroup_recorder *recorder, struct husk_cgroup **ret, struct husk_error **err)
{
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        char **own = NULL;
        _cleanup_free_ char *inner = NULL;
        _cleanup_free_ char *enable = NULL;
        struct cg_device_rules rules = {0};
        bool delegation_failed = false;
        int r;

        struct husk_resources res_copy;
        const struct husk_resources *res = cg_resources_for_new(
            spec && spec->has_linux && spec->linux_.resources.present ? &spec->linux_.resources : NULL, &res_copy);
        if (!given)
                given = spec && spec->has_linux ? spec->linux_.cgroups_path : NULL;
        bool explicit_path = given && *given;

        r = check_resources(res, NULL, "config.json: linux.resources", err);
        if (r < 0)
                return r;
        r = cgroup_new(rootless, &cg, err);
        if (r < 0)
                return r;
        cg->explicit_path = explicit_path && !placed;
        cg->needs_cgroup =
            cg_resources_controllers(res, cg->layout == HUSK_CGROUP_V2) != 0 || (res && res->unified.len > 0);
        r = clean_path(explicit_path ? given : id, &inner, err);
        if (r < 0)
                return r;
        bool absolute = explicit_path && given[0] == '/';

        r = cg_discover_hierarchies(cg, &own, err);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                if (absolute) {
                        h->path = strdup(inner);
                } else if (cg->layout == HUSK_CGROUP_V2) {
                        /* runc: the own cgroup has tasks, so controllers cannot be enabled below it; use its parent. */
                        _cleanup_free_ char *parent = path_dirname(own[i]);
                        h->path = parent ? path_join(parent, inner) : NULL;
                } else {
                        h->path = path_join(own[i], inner);
                }
                if (!h->path) {
                        r = husk_error_set(err, ENOMEM, "allocate");
                        goto out;
                }
        }
        r = build_path_string(cg, err);
        if (r < 0)
                goto out;

        /* v1 controllers are known before anything is made: fail early and leave nothing behind. */
        if (cg->layout != HUSK_CGROUP_V2) {
                r = check_available(cg, cg_resources_controllers(res, false), false, err);
                if (r < 0)
                        goto out;
                if (cg->by_controller[CG_DEVICES] < 0 && !rootless) {
                        r = husk_error_set(err, ENOENT, "cgroup controller `devices` is not available");
                        goto out;
                }
        } else {
                char buf[512];
                ssize_t n = cg_read(cg->root_fd, "cgroup.controllers", buf, sizeof(buf), err);
                if (n < 0) {
                        r = (int)n;
                        goto out;
                }
                enable = malloc((size_t)n * 2 + 2);
                if (!enable) {
                        r = husk_error_set(err, ENOMEM, "allocate");
                        goto out;
                }
                char *e = enable, *save = NULL;
                *e = '\0';
                for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
                        e += sprintf(e, "%s+%s", e == enable ? "" : " ", tok);
        }

        /* An init joining a frozen cgroup would hang there (as runc, refused before anything is made). A process
         * systemd placed is in its cgroup already. */
        if (!placed && (r = cg_check_not_frozen(cg, err)) < 0)
                goto out;

        r = cg_device_rules_build(res, true, &rules, err);
        if (r < 0)
                goto out;

        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                bool v2 = cg->layout == HUSK_CGROUP_V2;
                r = hierarchy_create(cg, h, enable, err);
                /* Unprivileged on v2: a refused mkdir, and the move the kernel would refuse later (found now),
                 * get a message that says what is not delegated. Hybrid's cgroup2 hierarchy is optional anyway. */
                if (rootless && v2) {
                        if (r < 0)
                                delegation_failed = cg_is_permission_error(r) && cg_v2_explain_refused_mkdir(h, err);
                        else if (!placed)
                                delegation_failed = (r = cg_v2_check_movable(h, own[i], err)) < 0;
                }
                if (r < 0) {
                        if (rootless && !cg->explicit_path && cg_is_permission_error(r)) {
                                /* runc's rootless cgroups: limits need the cgroup; without them go on without it. */
                                if (v2 && cg->needs_cgroup) {
                                        husk_error_wrap(err, "rootless with linux.resources limits and no "
                                                             "linux.cgroupsPath needs a cgroup it may create");
                                        goto out;
                                }
                                husk_debug("rootless: skipping cgroup `%s` in `%s`: %s", h->path, h->mount,
                                           err && *err ? (*err)->msg : "");
                                cg_error_clear(err);
                                delegation_failed = false;
                                r = 0;
                                hierarchy_remove_created(cg, h);
                                continue;
                        }
                        goto out;
                }
        }
        /* A process systemd placed is in its cgroup already. */
        if (!placed && (r = cg_check_unoccupied(cg, err)) < 0)
                goto out;
        /* Recorded once no one else's processes can be in it (whoever finds the record may kill what is inside),
         * before the limits: a create killed from here on leaves a cgroup that delete --force finds. */
        if (recorder && (r = recorder->record(cg->path_string, recorder->ctx, err)) < 0)
                goto out;
        if (cg->layout == HUSK_CGROUP_V2 && cg->hierarchies[cg->unified].fd >= 0) {
                r = read_v2_controllers(cg->hierarchies[cg->unified].fd, &cg->v2_controllers, err);
                if (r < 0)
                        goto out;
        }

        r = apply_all(cg, res, &rules, err);
        if (r < 0)
                goto out;

        *ret = TAKE_PTR(cg);
out:
        cg_device_rules_free(&rules);
        own_paths_free(own);
        if (r < 0) {
                if (cg)
                        for (size_t i = 0; i < cg->hierarchies_len; i++)
                                hierarchy_remove_created(cg, &cg->hierarchies[i]);
                /* A delegation message starts with the cgroup's path already. */
                if (!delegation_failed)
                        husk_error_wrap(err, "cgroup `%s`",
                                        cg && cg->display_path ? cg->display_path : (inner ? inner : ""));
        }
        return r;
}

int husk_cgroup_create(const struct husk_spec *spec, const char *id, bool rootless,
                       const struct husk_cgroup_recorder *recorder, struct husk_cgroup **ret, struct husk_error **err)
{
        return create_cgroup(spec, NULL, id, rootless, false, recorder, ret, err);
}

int husk_cgroup_create_at(const struct husk_spec *spec, const char *path, bool rootless, struct husk_cgroup **ret,
                          struct husk_error **err)
{
        if (!path || path[0] != '/')
                return husk_error_set(err, EINVAL, "cgroup `%s`: not an absolute path", path ? path : "");
        return create_cgroup(spec, path, NULL, rootless, true, NULL, ret, err);
}

int husk_cgroup_open(const char *path, bool rootless, struct husk_cgroup **ret, struct husk_error **err)
{
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        char **own = NULL;
        int r = cgroup_new(rootless, &cg, err);
        if (r < 0)
                return r;
        r = cg_discover_hierarchies(cg, &own, err);
        own_paths_free(own);
        if (r < 0)
                return r;
        cg->path_string = strdup(path);
        cg->display_path = strndup(path, strcspn(path, "\n"));
        if (!cg->path_string || !cg->display_path)
                return husk_error_set(err, ENOMEM, "allocate");

        /* "<path>" then "\n<mount>=<path>" for hierarchies whose path differs (see husk_cgroup_path). */
        const char *nl = strchr(path, '\n');
        size_t def_len = nl ? (size_t)(nl - path) : strlen(path);
        if (def_len == 0 || path[0] != '/')
                return husk_error_set(err, EINVAL, "invalid cgroup path `%s`", path);
        /* Every override names a hierarchy of this host. */
        for (const char *l = nl; l; l = strchr(l + 1, '\n')) {
                const char *eq = strchr(l + 1, '=');
                const char *e = strchrnul(l + 1, '\n');
                bool known = false;
                for (size_t i = 0; eq && eq < e && i < cg->hierarchies_len; i++)
                        known |= strlen(cg->hierarchies[i].mount) == (size_t)(eq - l - 1) &&
                                 strncmp(cg->hierarchies[i].mount, l + 1, (size_t)(eq - l - 1)) == 0;
                if (!known)
                        return husk_error_set(err, EINVAL, "invalid cgroup path `%s`: unknown hierarchy in `%.*s`",
                                              path, (int)(e - l - 1), l + 1);
        }
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                const char *value = path;
                size_t value_len = def_len;
                size_t mlen = strlen(h->mount);
                for (const char *l = nl; l; l = strchr(l + 1, '\n')) {
                        if (strncmp(l + 1, h->mount, mlen) == 0 && l[1 + mlen] == '=') {
                                value = l + 2 + mlen;
                                const char *e = strchr(value, '\n');
                                value_len = e ? (size_t)(e - value) : strlen(value);
                        }
                }
                h->path = strndup(value, value_len);
                if (!h->path)
                        return husk_error_set(err, ENOMEM, "allocate");
                /* Never the root cgroup (destroy kills what is inside) and never outside the hierarchy. */
                _cleanup_free_ char *clean = NULL;
                if (h->path[0] != '/' || clean_path(h->path, &clean, NULL) < 0 || strcmp(clean, h->path) != 0)
                        return husk_error_set(err, EINVAL, "invalid cgroup path `%s`", h->path);
                h->fd = openat(h->mount_fd, cg_inner_rel(h->path), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (h->fd < 0 && errno != ENOENT && !(rootless && cg_is_permission_error(-errno))) {
                        char shown[4200];
                        return husk_error_set(err, errno, "open `%s`",
                                              cg_display(h, h->path, INT_MAX, shown, sizeof(shown)));
                }
        }
        if (cg->layout == HUSK_CGROUP_V2 && cg->hierarchies[cg->unified].fd >= 0) {
                r = read_v2_controllers(cg->hierarchies[cg->unified].fd, &cg->v2_controllers, err);
                /* ENODEV: removed after the open (systemd collects an emptied scope at any moment): as
                 * absent as one that was never there. */
                if (r == -ENODEV) {
                        cg_error_clear(err);
                        close(cg->hierarchies[cg->unified].fd);
                        cg->hierarchies[cg->unified].fd = -1;
                } else if (r < 0) {
                        return r;
                }
        }
        *ret = TAKE_PTR(cg);
        return 0;
}

const char *husk_cgroup_path(const struct husk_cgroup *cg)
{
        return cg->path_string;
}

int husk_cgroup_clone_fd(const struct husk_cgroup *cg)
{
        return cg->unified < 0 ? -1 : cg->hierarchies[cg->unified].fd;
}

bool husk_cgroup_clone_places_all(const struct husk_cgroup *cg)
{
        return cg->layout == HUSK_CGROUP_V2;
}

bool husk_cgroup_lacks_rt_runtime(struct husk_cgroup *cg)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_CPU);
        uint64_t runtime;
        return h && h->fd >= 0 && cg_read_u64(h->fd, "cpu.rt_runtime_us", &runtime, NULL) == 0 && runtime == 0;
}

bool husk_cgroup_join_optional(const struct husk_cgroup *cg)
{
        return cg->layout != HUSK_CGROUP_V2 || (cg->rootless && !cg->explicit_path && !cg->needs_cgroup);
}

/*
 * Write value to file in every hierarchy (v1 ones only with v1_only). Rootless without an
 * explicit path, a hierarchy we may not join is dropped (its fd closed), as runc's
 * RootlessCgroups does.
 */
static int join_all(struct husk_cgroup *cg, bool v1_only, const struct cg_hierarchy *skip, const char *file,
                    const char *value, struct husk_error **err)
{
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                if (h->fd < 0 || (v1_only && h->unified) || h == skip)
                        continue;
                int r = cg_write(h->fd, file, value, err);
                if (r < 0) {
                        if (cg->rootless && !cg->explicit_path && cg_is_permission_error(r)) {
                                cg_error_clear(err);
                                close(h->fd);
                                h->fd = -1;
                                continue;
                        }
                        return husk_error_wrap(err, "join cgroup `%s/%s%s`", CGROUP_ROOT, h->mount, h->path);
                }
        }
        return 0;
}

int husk_cgroup_enter_self(struct husk_cgroup *cg, int *ret_memory_fd, struct husk_error **err)
{
        struct cg_hierarchy *later = NULL;
        if (ret_memory_fd) {
                *ret_memory_fd = -1;
                struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_MEMORY);
                if (h && !h->unified && h->fd >= 0 && h->controllers == CG_BIT(CG_MEMORY)) {
                        int fd = openat(h->fd, "tasks", O_WRONLY | O_CLOEXEC);
                        if (fd < 0 && !(cg->rootless && !cg->explicit_path && cg_is_permission_error(-errno)))
                                return husk_error_set(err, errno, "join cgroup `%s/%s%s`", CGROUP_ROOT, h->mount,
                                                      h->path);
                        if (fd < 0) { /* dropped, as join_all drops a hierarchy we may not join */
                                close(h->fd);
                                h->fd = -1;
                        }
                        later = h;
                        *ret_memory_fd = fd;
                }
        }
        /* "0" in `tasks` moves only the calling thread: the kernel then skips the global
         * threadgroup lock and its RCU grace period, which cgroup.procs always pays. */
        int r = join_all(cg, true, later, "tasks", "0", err);
        if (r < 0 && ret_memory_fd && *ret_memory_fd >= 0) {
                close(*ret_memory_fd);
                *ret_memory_fd = -1;
        }
        return r;
}

int husk_cgroup_enter_memory(int *fd, struct husk_error **err)
{
        if (*fd < 0)
                return 0;
        ssize_t n = write(*fd, "0", 1);
        int saved = errno;
        close(*fd);
        *fd = -1;
        if (n != 1)
                return husk_error_set(err, n < 0 ? saved : EIO, "join the memory cgroup");
        return 0;
}

int husk_cgroup_enter(struct husk_cgroup *cg, pid_t pid, struct husk_error **err)
{
        char value[24];
        snprintf(value, sizeof(value), "%d", (int)pid);
        return join_all(cg, false, NULL, "cgroup.procs", value, err);
}

int husk_cgroup_member_lines(const struct husk_cgroup *cg, char **ret, struct husk_error **err)
{
        const char *text = cg->self_lines ? cg->self_lines : "";
        size_t extra = 0;
        for (size_t i = 0; i < cg->hierarchies_len; i++)
                extra += strlen(cg->hierarchies[i].path ? cg->hierarchies[i].path : "");
        char *out = malloc(strlen(text) + extra + 2);
        if (!out)
                return husk_error_set(err, ENOMEM, "allocate");
        char *o = out;
        int index = 0;
        for (const char *line = text; *line; index++) {
                size_t len = strcspn(line, "\n");
                const struct cg_hierarchy *in = NULL;
                for (size_t i = 0; i < cg->hierarchies_len; i++)
                        if (cg->hierarchies[i].line == index && cg->hierarchies[i].fd >= 0 && cg->hierarchies[i].path)
                                in = &cg->hierarchies[i];
                /* "<id>:<controllers>:<path>": the path of a cgroup joined is the container's. */
                const char *c1 = memchr(line, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
                if (in && c2)
                        o += sprintf(o, "%.*s%s\n", (int)(c2 + 1 - line), line, in->path);
                else
                        o += sprintf(o, "%.*s\n", (int)len, line);
                line += len + (line[len] == '\n');
        }
        *o = '\0';
        *ret = out;
        return 0;
}

int husk_cgroup_apply(struct husk_cgroup *cg, const struct husk_resources *resources, struct husk_error **err)
{
        struct cg_device_rules rules = {0};
        bool with_devices = resources && resources->devices_len > 0;
        if (with_devices) {
                int r = cg_device_rules_build(resources, false, &rules, err);
                if (r < 0)
                        return r;
        }
        int r = apply_all(cg, resources, with_devices ? &rules : NULL, err);
        cg_device_rules_free(&rules);
        if (r < 0)
                return husk_error_wrap(err, "cgroup `%s`", cg->display_path);
        return 0;
}

/* Present on this host and, for a cgroup opened again, open (rootless may have been left out of one). */
static bool controller_usable(struct husk_cgroup *cg, enum cg_controller c)
{
        struct cg_hierarchy *h = cg_hierarchy_of(cg, c);
        bool v2 = cg->layout == HUSK_CGROUP_V2;
        return h && h->fd >= 0 && (!v2 || (cg->v2_controllers & CG_BIT(c)));
}

int husk_cgroup_update(struct husk_cgroup *cg, const struct husk_resources *resources, struct husk_error **err)
{
        if (!resources)
                return husk_cgroup_apply(cg, NULL, err);
        int ret = check_resources(resources, cg, "linux.resources", err);
        if (ret < 0)
                return ret;
        bool v2 = cg->layout == HUSK_CGROUP_V2;
        struct husk_resources r = *resources;
        uint32_t need = cg_resources_controllers(&r, v2);
        for (int c = 0; c < CG_CONTROLLER_COUNT; c++) {
                if (!(need & CG_BIT(c)) || controller_usable(cg, (enum cg_controller)c))
                        continue;
                struct husk_resources without = r;
                const char *fields = cg_resources_drop_beyond_runc_update(&without, (enum cg_controller)c);
                /* What runc's update does write (a memory limit, say) still fails on the missing controller. */
                if (!fields || (cg_resources_controllers(&without, v2) & CG_BIT(c)))
                        continue;
                husk_warn("update: skipping %s: cgroup controller `%s` is not available", fields,
                          cg_controller_name((enum cg_controller)c, v2));
                r = without;
        }
        return husk_cgroup_apply(cg, &r, err);
}

void husk_cgroup_free(struct husk_cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                if (cg->hierarchies[i].fd >= 0)
                        close(cg->hierarchies[i].fd);
                if (cg->hierarchies[i].mount_fd >= 0)
                        close(cg->hierarchies[i].mount_fd);
                free(cg->hierarchies[i].mount);
                free(cg->hierarchies[i].path);
        }
        free(cg->hierarchies);
        if (cg->root_fd >= 0)
                close(cg->root_fd);
        free(cg->self_lines);
        free(cg->path_string);
        free(cg->display_path);
        free(cg);
}

void husk_cgroup_freep(struct husk_cgroup **cg)
{
        husk_cgroup_free(*cg);
        *cg = NULL;
}

/* Does a "cpu,cpuacct" hierarchy mount name hold one of the comma-separated controllers? */
/* Whether a v1 hierarchy mounted as `mount` ("cpu,cpuacct", "systemd") holds one of the comma-separated
 * controllers ctrls ("cpu", "name=systemd"). */
static bool mount_has_controller(const char *mount, const char *ctrls, size_t ctrls_len)
{
        for (const char *c = ctrls; c < ctrls + ctrls_len;) {
                size_t n = strcspn(c, ",");
                if (n > (size_t)(ctrls + ctrls_len - c))
                        n = (size_t)(ctrls + ctrls_len - c);
                const char *name = n > 5 && strncmp(c, "name=", 5) == 0 ? c + 5 : c;
                size_t name_len = n - (size_t)(name - c);
                for (const char *m = mount; *m;) {
                        size_t k = strcspn(m, ",");
                        if (k == name_len && strncmp(m, name, name_len) == 0)
                                return true;
                        m += k + (m[k] == ',');
                }
                c += n + 1;
        }
        return false;
}

/* Every controller a CTRL[,CTRL]:PATH names is one of the container's v1 hierarchies: a typo would leave the
 * process in the container's own cgroup without a word (runc: "unknown controller"). */
static int check_sub_controllers(const struct husk_cgroup *cg, char *const *subs, struct husk_error **err)
{
        for (char *const *s = subs; s && *s; s++) {
                const char *colon = strchr(*s, ':');
                if (!colon || cg->layout == HUSK_CGROUP_V2)
                        continue;
                for (const char *c = *s; c < colon; c += strcspn(c, ",:") + 1) {
                        size_t n = strcspn(c, ",:");
                        bool found = false;
                        for (size_t i = 0; n && !found && i < cg->hierarchies_len; i++)
                                found =
                                    !cg->hierarchies[i].unified && mount_has_controller(cg->hierarchies[i].mount, c, n);
                        if (!found)
                                return husk_error_set(err, 0,
                                                      "exec --cgroup: `%s`: the container has no cgroup "
                                                      "controller `%.*s`",
                                                      *s, (int)n, c);
                }
        }
        return 0;
}

int husk_cgroup_enter_sub(struct husk_cgroup *cg, pid_t pid, char *const *subs, struct husk_error **err)
{
        char value[24];
        snprintf(value, sizeof(value), "%d", (int)pid);
        int r = check_sub_controllers(cg, subs, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                if (h->fd < 0)
                        continue;
                /* The last --cgroup naming this hierarchy (or naming none) wins, as in runc. */
                const char *sub = NULL;
                for (char *const *s = subs; s && *s; s++) {
                        const char *colon = strchr(*s, ':');
                        if (!colon)
                                sub = *s;
                        else if (!h->unified && mount_has_controller(h->mount, *s, (size_t)(colon - *s)))
                                sub = colon + 1;
                        else if (h->unified && cg->layout == HUSK_CGROUP_V2)
                                return husk_error_set(err, 0, "exec --cgroup: `%s`: controllers cannot be named "
                                                              "on cgroup v2", *s);
                }
                int fd = h->fd;
                _cleanup_close_ int sub_fd = -1;
                while (sub && *sub == '/') /* "/" is the container's cgroup itself */
                        sub++;
                if (sub && *sub) {
                        struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
                        sub_fd = (int)syscall(SYS_openat2, h->fd, sub, &how, sizeof(how));
                        /* RESOLVE_BENEATH says EXDEV for a path that climbs out, RESOLVE_NO_SYMLINKS ELOOP. */
                        if (sub_fd < 0 && (errno == EXDEV || errno == ELOOP))
                                return husk_error_set(err, 0, "exec --cgroup: bad sub cgroup path `%s`: it leads out of "
                                                              "the container's cgroup `%s/%s%s`, or through a symlink",
                                                      sub, CGROUP_ROOT, h->mount, h->path);
                        if (sub_fd < 0)
                                return husk_error_set(err, errno, "exec --cgroup: `%s` in `%s/%s%s`", sub, CGROUP_ROOT,
                                                      h->mount, h->path);
                        fd = sub_fd;
                }
                r = cg_write(fd, "cgroup.procs", value, err);
                if (r < 0)
                        return husk_error_wrap(err, "join cgroup `%s/%s%s%s%s`", CGROUP_ROOT, h->mount, h->path,
                                               sub && *sub ? "/" : "", sub ? sub : "");
        }
        return 0;
}
