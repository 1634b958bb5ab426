/* `cgroup` and `cgroup2` entries of spec.mounts: the container's own hierarchies, as runc shows them. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"

/*
 * The choice, as runc 1.1 on cgroupfs:
 * - `cgroup2`, or `cgroup` on a pure v2 host: mount cgroup2 (with a cgroup namespace its
 *   root is the container's cgroup). Where the kernel refuses (EPERM, EBUSY: a user
 *   namespace without a cgroup namespace), bind the container's cgroup2 directory instead.
 * - `cgroup` on a v1 or hybrid host: a tmpfs (mode 755) at the destination and one
 *   directory per v1 hierarchy listed in /proc/self/cgroup (as it reads once the init is in all
 *   its cgroups: it joins the memory one last, see init.c), named as on the host
 *   (`cpu,cpuacct`, `systemd` for name=systemd). Not the hybrid host's cgroup2, as with runc:
 *   systemd in the container would take a `unified` there, read-only, for a hybrid layout of its
 *   own and fail to make its cgroups in it (ask for a `cgroup2` mount to see that hierarchy). With a
 *   cgroup namespace each gets a fresh cgroupfs mount (rooted at the container's cgroup);
 *   without one, a bind of the host's /sys/fs/cgroup/<hierarchy>/<container path>, so the
 *   container never sees its siblings. Comounted controllers get symlinks (`cpu` ->
 *   `cpu,cpuacct`). The tmpfs is made read-only last when the mount asks for `ro`.
 * Host hierarchies are found at the systemd convention /sys/fs/cgroup/<name> rather than
 * by scanning mountinfo; a hierarchy that is not there is skipped.
 */

#define CGROUP_ROOT "/sys/fs/cgroup"
/* runc's defaults for cgroup mounts: no device nodes, no setuid, no binaries. */
#define CGROUP_DEFAULT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

struct own_cgroup {
        char *controllers; /* "cpu,cpuacct", "name=systemd"; "" for the cgroup2 line */
        char *path;        /* the process's cgroup in that hierarchy */
        bool v2;
};

struct own_cgroups {
        char *text; /* /proc/self/cgroup; the entries point into it */
        struct own_cgroup items[64];
        size_t len;
        bool v1; /* at least one v1 hierarchy */
};

static void own_cgroups_done(struct own_cgroups *c)
{
        free(c->text);
}

static int read_proc_cgroup(char **ret)
{
        _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *text = malloc(cap);
        if (!text)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        char *grown = realloc(text, cap * 2);
                        if (!grown)
                                return -ENOMEM;
                        text = grown;
                        cap *= 2;
                }
                ssize_t n = read(fd, text + len, cap - len - 1);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        text[len] = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}

/* given: the text of husk_rootfs_config.cgroup_lines; NULL: read /proc/self/cgroup. */
static int read_own_cgroups(const char *given, struct own_cgroups *ret)
{
        _cleanup_free_ char *text = NULL;
        if (!given) {
                int r = read_proc_cgroup(&text);
                if (r < 0)
                        return r;
        } else if (!(text = strdup(given))) {
                return -ENOMEM;
        }

        *ret = (struct own_cgroups){0};
        for (char *line = text, *next; *line && ret->len < ARRAY_SIZE(ret->items); line = next) {
                next = line + strcspn(line, "\n");
                if (*next)
                        *next++ = '\0';
                /* "<hierarchy id>:<controllers>:<path>"; the path may itself hold ':'. */
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c1 = *c2 = '\0';
                struct own_cgroup *e = &ret->items[ret->len++];
                e->controllers = c1 + 1;
                e->path = c2 + 1;
                e->v2 = strcmp(line, "0") == 0 && !*e->controllers;
                if (!e->v2)
                        ret->v1 = true;
        }
        ret->text = TAKE_PTR(text);
        return 0;
}

static bool has_cgroup_namespace(const struct husk_spec *spec)
{
        for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
                if (spec->linux_.namespaces[i].type == HUSK_NS_CGROUP)
                        return true;
        return false;
}

/* `cgroup2` onto the destination, or the bind of our own cgroup2 directory where that is refused. */
static int mount_cgroup2(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd,
                         const struct own_cgroups *own, struct husk_error **err)
{
        struct husk_mount fs = *m;
        fs.type = (char *)"cgroup2";
        if (!fs.source || strcmp(fs.source, "cgroup") == 0)
                fs.source = (char *)"cgroup2";
        _cleanup_error_ struct husk_error *mount_err = NULL;
        int r = husk_mount_fs(cfg, &fs, root_fd, NULL, &mount_err);
        if (r != -EPERM && r != -EBUSY) {
                if (r < 0 && err && !*err)
                        *err = TAKE_PTR(mount_err);
                return r;
        }
        const char *path = "/";
        for (size_t i = 0; i < own->len; i++)
                if (own->items[i].v2)
                        path = own->items[i].path;
        _cleanup_free_ char *source = NULL;
        if (asprintf(&source, "%s%s", own->v1 ? CGROUP_ROOT "/unified" : CGROUP_ROOT, path) < 0)
                return husk_error_set(err, ENOMEM, "mount `cgroup2` on `%s`", m->destination);
        husk_debug("mount cgroup2 on %s refused (%s), binding %s", m->destination, strerror(-r), source);
        fs.flags |= CGROUP_DEFAULT_FLAGS;
        return husk_mount_bind(cfg, &fs, root_fd, source, true, err);
}

/*
 * One v1 hierarchy under the tmpfs: a cgroupfs of its own, or a bind of our cgroup on the host.
 * The tmpfs is ours and fresh, so names in it are used directly; the flags of the binds are
 * set once for the whole tree by the caller.
 */
static int mount_hierarchy(int tmpfs_fd, const struct own_cgroup *e, unsigned long flags, bool cgroupns)
{
        const char *dir = e->controllers;
        if (strncmp(dir, "name=", 5) == 0 && !strchr(dir, ','))
                dir += 5;
        if (!*dir || strchr(dir, '/') || strcmp(dir, "..") == 0 || strcmp(dir, ".") == 0)
                return 0;

        char host[4096];
        int n = snprintf(host, sizeof(host), "%s/%s%s", CGROUP_ROOT, dir, cgroupns ? "" : e->path);
        if (n < 0 || (size_t)n >= sizeof(host))
                return -ENAMETOOLONG;
        _cleanup_close_ int tree = -1;
        if (!cgroupns) {
                tree = husk_mount_clone_path(host, true);
                if (tree == -ENOENT)
                        return 0; /* not at /sys/fs/cgroup/<name> on this host */
                if (tree < 0)
                        return tree;
        }

        if (mkdirat(tmpfs_fd, dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        int r;
        if (cgroupns) {
                char target[64 + NAME_MAX];
                snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", tmpfs_fd, dir);
                r = mount("cgroup", target, "cgroup", flags, e->controllers) < 0 ? -errno : 0;
        } else {
                r = move_mount(tree, "", tmpfs_fd, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
        }
        if (r < 0)
                return r;

        /* Comounted controllers are reachable under each name, as on the host. */
        if (strchr(dir, ',')) {
                _cleanup_free_ char *names = strdup(dir);
                if (!names)
                        return -ENOMEM;
                char *save = NULL;
                for (char *c = strtok_r(names, ",", &save); c; c = strtok_r(NULL, ",", &save))
                        if (strncmp(c, "name=", 5) != 0 && symlinkat(dir, tmpfs_fd, c) < 0 && errno != EEXIST)
                                return -errno;
        }
        return 0;
}

static int mount_cgroup_v1(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd,
                           const struct own_cgroups *own, struct husk_error **err)
{
        unsigned long flags = (m->flags & ~OPERATION_FLAGS) | CGROUP_DEFAULT_FLAGS;
        bool cgroupns = has_cgroup_namespace(cfg->spec);

        _cleanup_close_ int tmpfs = husk_mount_fs_create("tmpfs", "tmpfs", flags & ~MS_RDONLY, "mode=755", err);
        if (tmpfs < 0) {
                husk_error_wrap(err, "mount `cgroup` on `%s`", m->destination);
                return tmpfs;
        }
        _cleanup_close_ int dst = husk_path_mkdir_all_in_root(root_fd, m->destination, 0755, err);
        if (dst < 0) {
                husk_error_wrap(err, "mount `cgroup` on `%s`", m->destination);
                return dst;
        }
        int r = husk_mount_attach(tmpfs, dst);
        if (r < 0)
                return husk_error_set(err, -r, "mount `cgroup` on `%s`", m->destination);

        for (size_t i = 0; i < own->len; i++) {
                /* The hybrid host's cgroup2 is not shown (see the top of this file). */
                if (own->items[i].v2)
                        continue;
                r = mount_hierarchy(tmpfs, &own->items[i], flags, cgroupns);
                if (r < 0)
                        return husk_error_set(err, -r, "mount `cgroup` on `%s`: hierarchy `%s`", m->destination,
                                              own->items[i].controllers);
        }
        /* ro and the rest, for the tmpfs and every hierarchy on it, in one call. */
        struct mount_attr a = husk_mount_attr_from_flags(flags, 0);
        r = husk_mount_setattr(tmpfs, true, a.attr_set, a.attr_clr, 0);
        if (r == 0 && m->propagation != HUSK_PROPAGATION_NONE)
                r = husk_mount_setattr(tmpfs, m->propagation_recursive, 0, 0, husk_propagation_flag(m->propagation));
        if (r < 0)
                return husk_error_set(err, -r, "mount `cgroup` on `%s`", m->destination);
        return 0;
}

int husk_mount_cgroup(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd,
                      struct husk_error **err)
{
        struct own_cgroups own = {0};
        int r = read_own_cgroups(cfg->cgroup_lines, &own);
        if (r < 0)
                return husk_error_set(err, -r, "mount `%s` on `%s`: read `/proc/self/cgroup`", m->type, m->destination);
        if (strcmp(m->type, "cgroup2") == 0 || !own.v1)
                r = mount_cgroup2(cfg, m, root_fd, &own, err);
        else
                r = mount_cgroup_v1(cfg, m, root_fd, &own, err);
        own_cgroups_done(&own);
        return r;
}
