/* The cgroup hierarchies mounted under /sys/fs/cgroup and husk's own cgroup in each, from /proc/self/cgroup. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"

static struct cg_hierarchy *hierarchy_add(struct husk_cgroup *cg, const char *mount, size_t mount_len,
                                          struct husk_error **err)
{
        struct cg_hierarchy *n = realloc(cg->hierarchies, (cg->hierarchies_len + 1) * sizeof(*n));
        if (!n) {
                husk_error_set(err, ENOMEM, "allocate cgroup hierarchies");
                return NULL;
        }
        cg->hierarchies = n;
        struct cg_hierarchy *h = &n[cg->hierarchies_len];
        *h = (struct cg_hierarchy){.fd = -1, .mount_fd = -1, .line = -1};
        h->mount = strndup(mount, mount_len);
        if (!h->mount) {
                husk_error_set(err, ENOMEM, "allocate cgroup hierarchies");
                return NULL;
        }
        cg->hierarchies_len++;
        return h;
}

/* The hierarchy's root directory when it is mounted there with the expected type, else -1. */
static int open_mount(int root_fd, const char *dir, bool v2)
{
        int fd = openat(root_fd, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct statfs fs;
        if (fd < 0)
                return -1;
        if (fstatfs(fd, &fs) < 0 || fs.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC)) {
                close(fd);
                return -1;
        }
        return fd;
}

/*
 * One v1 line of /proc/self/cgroup ("4:memory:/x", "2:cpu,cpuacct:/", "9:name=systemd:/"): find where it is
 * mounted under /sys/fs/cgroup. Named hierarchies other than systemd are not husk's business.
 */
static int add_v1_hierarchy(struct husk_cgroup *cg, const char *ctrls, size_t ctrls_len, const char *own,
                            char **own_paths, struct husk_error **err)
{
        uint32_t mask = 0;
        char candidates[4][128];
        size_t ncand = 0;

        if (ctrls_len >= sizeof(candidates[0]))
                return 0;
        if (ctrls_len == strlen("name=systemd") && strncmp(ctrls, "name=systemd", ctrls_len) == 0) {
                snprintf(candidates[ncand++], sizeof(candidates[0]), "systemd");
        } else {
                snprintf(candidates[ncand++], sizeof(candidates[0]), "%.*s", (int)ctrls_len, ctrls);
                for (const char *p = ctrls; p < ctrls + ctrls_len;) {
                        const char *comma = memchr(p, ',', (size_t)(ctrls + ctrls_len - p));
                        size_t len = comma ? (size_t)(comma - p) : (size_t)(ctrls + ctrls_len - p);
                        int c = cg_controller_from_name(p, len, false);
                        if (c >= 0)
                                mask |= CG_BIT(c);
                        if (comma && ncand < ARRAY_SIZE(candidates))
                                snprintf(candidates[ncand++], sizeof(candidates[0]), "%.*s", (int)len, p);
                        p = comma ? comma + 1 : ctrls + ctrls_len;
                }
                if (mask == 0)
                        return 0;
        }

        for (size_t i = 0; i < ncand; i++) {
                _cleanup_close_ int mount_fd = open_mount(cg->root_fd, candidates[i], false);
                if (mount_fd < 0)
                        continue;
                struct cg_hierarchy *h = hierarchy_add(cg, candidates[i], strlen(candidates[i]), err);
                if (!h)
                        return -ENOMEM;
                h->mount_fd = TAKE_FD(mount_fd);
                h->controllers = mask;
                for (int c = 0; c < CG_CONTROLLER_COUNT; c++)
                        if (mask & CG_BIT(c))
                                cg->by_controller[c] = (int)(cg->hierarchies_len - 1);
                own_paths[cg->hierarchies_len - 1] = strdup(own);
                return own_paths[cg->hierarchies_len - 1] ? 0 : husk_error_set(err, ENOMEM, "allocate");
        }
        return 0; /* listed but not mounted where husk looks: treated as unavailable */
}

/* One small read of /proc/self/cgroup: it also tells which v1 hierarchies exist. */
int cg_discover_hierarchies(struct husk_cgroup *cg, char ***ret_own, struct husk_error **err)
{
        char buf[8192];
        int index = 0;
        ssize_t n = cg_read(AT_FDCWD, "/proc/self/cgroup", buf, sizeof(buf), err);
        if (n < 0)
                return (int)n;

        char **own = calloc(32, sizeof(char *));
        if (!own)
                return husk_error_set(err, ENOMEM, "allocate");
        *ret_own = own;
        cg->self_lines = strdup(buf);
        if (!cg->self_lines)
                return husk_error_set(err, ENOMEM, "allocate");

        for (char *line = buf; line && *line; index++) {
                size_t before = cg->hierarchies_len;
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || cg->hierarchies_len >= 31) {
                        line = next;
                        continue;
                }
                const char *path = c2 + 1;
                bool v2_line = c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
                if (v2_line) {
                        if (cg->layout != HUSK_CGROUP_V1) {
                                const char *mount = cg->layout == HUSK_CGROUP_V2 ? "" : "unified";
                                _cleanup_close_ int mount_fd = open_mount(cg->root_fd, mount, true);
                                if (mount_fd >= 0) {
                                        struct cg_hierarchy *h = hierarchy_add(cg, mount, strlen(mount), err);
                                        if (!h)
                                                return -ENOMEM;
                                        h->mount_fd = TAKE_FD(mount_fd);
                                        h->unified = true;
                                        cg->unified = (int)(cg->hierarchies_len - 1);
                                        own[cg->hierarchies_len - 1] = strdup(path);
                                        if (!own[cg->hierarchies_len - 1])
                                                return husk_error_set(err, ENOMEM, "allocate");
                                }
                        }
                } else if (cg->layout != HUSK_CGROUP_V2) {
                        int r = add_v1_hierarchy(cg, c1 + 1, (size_t)(c2 - c1 - 1), path, own, err);
                        if (r < 0)
                                return r;
                }
                if (cg->hierarchies_len > before)
                        cg->hierarchies[before].line = index;
                line = next;
        }
        if (cg->layout == HUSK_CGROUP_V2 && cg->unified < 0)
                return husk_error_set(err, ENOENT, "no cgroup2 line in `/proc/self/cgroup`");
        return 0;
}
