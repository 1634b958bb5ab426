/* Freezing and thawing: v1 freezer.state (polled until FROZEN), v2 cgroup.freeze (cgroup.events frozen). */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/timestamp.h"

#define FREEZE_TIMEOUT_MS 5000

static void sleep_us(long us)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = us * 1000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* v2: cgroup.events says "frozen 1" once every task has stopped; the file signals POLLPRI on change. */
static int v2_set(int dirfd, bool frozen, struct husk_error **err)
{
        int r = cg_write(dirfd, "cgroup.freeze", frozen ? "1" : "0", err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "open `cgroup.events`");
        long deadline = husk_monotonic_ms() + FREEZE_TIMEOUT_MS;
        for (;;) {
                char buf[256];
                ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return husk_error_set(err, errno, "read `cgroup.events`");
                buf[n] = '\0';
                const char *line = strstr(buf, "frozen ");
                /* Kernels before 5.2 have no "frozen" key; the write itself is all there is then. */
                if (!line || (line[7] == '1') == frozen)
                        return 0;
                long left = deadline - husk_monotonic_ms();
                if (left <= 0)
                        return husk_error_set(err, ETIMEDOUT, "wait for `cgroup.events` to say `frozen %d`",
                                              frozen ? 1 : 0);
                struct pollfd pfd = {.fd = fd, .events = POLLPRI};
                /* Poll in short slices as well: a change between the read and poll() is not lost that way. */
                if (poll(&pfd, 1, left < 50 ? (int)left : 50) < 0 && errno != EINTR)
                        return husk_error_set(err, errno, "poll `cgroup.events`");
        }
}

/* v1: FREEZING can last (tasks in uninterruptible sleep); re-writing FROZEN and, now and then, thawing
 * and starting over gets it unstuck, as runc does. */
static int v1_set(int dirfd, bool frozen, struct husk_error **err)
{
        if (!frozen)
                return cg_write(dirfd, "freezer.state", "THAWED", err);
        long deadline = husk_monotonic_ms() + FREEZE_TIMEOUT_MS;
        long delay_us = 100;
        for (unsigned i = 0;; i++) {
                if (i % 25 == 24)
                        (void)cg_write(dirfd, "freezer.state", "THAWED", NULL);
                int r = cg_write(dirfd, "freezer.state", "FROZEN", err);
                if (r < 0)
                        return r;
                char state[32];
                ssize_t n = cg_read(dirfd, "freezer.state", state, sizeof(state), err);
                if (n < 0)
                        return (int)n;
                if (strcmp(state, "FROZEN") == 0)
                        return 0;
                if (husk_monotonic_ms() >= deadline) {
                        (void)cg_write(dirfd, "freezer.state", "THAWED", NULL);
                        return husk_error_set(err, EBUSY, "freeze: `freezer.state` still `%s` after %d ms", state,
                                              FREEZE_TIMEOUT_MS);
                }
                sleep_us(delay_us);
                if (delay_us < 10000)
                        delay_us *= 2;
        }
}

int cg_freezer_set(struct husk_cgroup *cg, bool frozen, struct husk_error **err)
{
        if (cg->layout == HUSK_CGROUP_V2) {
                int fd = cg->unified >= 0 ? cg->hierarchies[cg->unified].fd : -1;
                if (fd < 0)
                        return husk_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->display_path);
                return v2_set(fd, frozen, err);
        }
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_FREEZER);
        if (!h)
                return husk_error_set(err, ENOENT, "cgroup controller `freezer` is not available");
        if (h->fd < 0)
                return husk_error_set(err, ENOENT, "cgroup `%s` does not exist in `freezer`", h->path);
        return v1_set(h->fd, frozen, err);
}

/*
 * Whether the cgroup directory `fd` freezes what joins it: v1's freezer.state (which includes a frozen ancestor)
 * is not THAWED, or cgroup2's cgroup.freeze (its own request only) is 1. `state` gets the file's text; a
 * file the kernel lacks (no freezer, cgroup2 before 5.2) or a directory gone meanwhile reads as thawed.
 */
static int dir_freezes(int fd, bool unified, char *state, size_t size, bool *ret, struct husk_error **err)
{
        const char *file = unified ? "cgroup.freeze" : "freezer.state";
        ssize_t n = cg_read(fd, file, state, size, err);
        if (n == -ENOENT || n == -ENODEV || cg_is_permission_error((int)n)) {
                cg_error_clear(err);
                *ret = false;
                return 0;
        }
        if (n < 0)
                return (int)n;
        *ret = unified ? strcmp(state, "1") == 0 : strcmp(state, "THAWED") != 0;
        return 0;
}

int cg_check_not_frozen(struct husk_cgroup *cg, struct husk_error **err)
{
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                if (!h->unified && !(h->controllers & CG_BIT(CG_FREEZER)))
                        continue;
                _cleanup_free_ char *path = strdup(h->path);
                if (!path)
                        return husk_error_set(err, ENOMEM, "allocate");
                /* From the cgroup up: on v1 the deepest that exists tells (its state has its ancestors'); cgroup2's
                 * cgroup.freeze is each one's own request, so every ancestor is asked. The root never freezes. */
                for (bool leaf = true; strcmp(cg_inner_rel(path), ".") != 0; leaf = false) {
                        _cleanup_close_ int fd =
                            openat(h->mount_fd, cg_inner_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (fd >= 0) {
                                char state[64];
                                bool frozen = false;
                                int r = dir_freezes(fd, h->unified, state, sizeof(state), &frozen, err);
                                if (r < 0) {
                                        char shown[4200];
                                        return husk_error_wrap(err, "`%s`",
                                                               cg_display(h, path, INT_MAX, shown, sizeof(shown)));
                                }
                                if (frozen) {
                                        char shown[4200], self[8] = "";
                                        /* v1 shows an ancestor's freeze in a child's state: say which it is. */
                                        bool inherited =
                                            !h->unified &&
                                            cg_read(fd, "freezer.self_freezing", self, sizeof(self), NULL) > 0 &&
                                            strcmp(self, "0") == 0;
                                        return husk_error_set(err, 0,
                                                              "container's cgroup unexpectedly frozen: `%s` of "
                                                              "`%s`%s is `%s`%s; thaw it first",
                                                              h->unified ? "cgroup.freeze" : "freezer.state",
                                                              cg_display(h, path, INT_MAX, shown, sizeof(shown)),
                                                              leaf ? "" : " (an ancestor)", state,
                                                              inherited ? " (frozen by an ancestor)" : "");
                                }
                                if (!h->unified)
                                        break;
                        } else if (errno != ENOENT && !cg_is_permission_error(-errno)) {
                                char shown[4200];
                                return husk_error_set(err, errno, "open `%s`",
                                                      cg_display(h, path, INT_MAX, shown, sizeof(shown)));
                        }
                        char *slash = strrchr(path, '/');
                        if (!slash)
                                break;
                        slash[slash == path ? 1 : 0] = '\0';
                }
        }
        return 0;
}

int husk_cgroup_freeze(struct husk_cgroup *cg, bool frozen, struct husk_error **err)
{
        int r = cg_freezer_set(cg, frozen, err);
        if (r < 0)
                return husk_error_wrap(err, "%s cgroup `%s`", frozen ? "freeze" : "thaw", cg->display_path);
        return 0;
}

int husk_cgroup_is_frozen(struct husk_cgroup *cg, bool *ret, struct husk_error **err)
{
        char buf[256];
        ssize_t n;
        if (cg->layout == HUSK_CGROUP_V2) {
                int fd = cg->unified >= 0 ? cg->hierarchies[cg->unified].fd : -1;
                if (fd < 0)
                        return husk_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->display_path);
                uint64_t v;
                int r = cg_read_key_u64(fd, "cgroup.events", "frozen", &v, err);
                if (r == -ENOENT && !(err && *err)) {
                        /* No "frozen" key (before 5.2): the requested state is all there is. */
                        r = cg_read_u64(fd, "cgroup.freeze", &v, err);
                }
                if (r < 0)
                        return r;
                *ret = v == 1;
                return 0;
        }
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_FREEZER);
        if (!h || h->fd < 0) {
                *ret = false;
                return 0;
        }
        n = cg_read(h->fd, "freezer.state", buf, sizeof(buf), err);
        if (n < 0)
                return (int)n;
        *ret = strcmp(buf, "FROZEN") == 0;
        return 0;
}

/* Open `rel` beneath the hierarchy mounted at /sys/fs/cgroup/<mount> (or the v2 root when mount is NULL). */
static int open_beneath(const char *mount, const char *rel, const char *file)
{
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s%s", mount ? "/" : "", mount ? mount : "") >= (int)sizeof(dir))
                return -ENAMETOOLONG;
        _cleanup_close_ int root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        char path[PATH_MAX];
        while (*rel == '/')
                rel++;
        if (snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", file) >= (int)sizeof(path))
                return -ENAMETOOLONG;
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
        int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

int husk_cgroup_path_is_frozen(const char *path, bool *ret)
{
        *ret = false;
        enum husk_cgroup_layout layout;
        if (husk_cgroup_detect_layout(&layout, NULL) < 0)
                return -ENOENT;
        /* The recorded path is "<path>" plus "\n<mount>=<path>" lines where a hierarchy differs. */
        size_t def_len = strcspn(path, "\n");
        char own[PATH_MAX];
        const char *override = strstr(path, "\nfreezer=");
        const char *value = layout == HUSK_CGROUP_V2 || !override ? path : override + strlen("\nfreezer=");
        size_t len = value == path ? def_len : strcspn(value, "\n");
        if (len >= sizeof(own))
                return -ENAMETOOLONG;
        memcpy(own, value, len);
        own[len] = '\0';
        char buf[512];
        _cleanup_close_ int fd = layout == HUSK_CGROUP_V2 ? open_beneath(NULL, own, "cgroup.events")
                                                          : open_beneath("freezer", own, "freezer.state");
        if (fd < 0)
                return fd;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        *ret = layout == HUSK_CGROUP_V2 ? strstr(buf, "frozen 1") != NULL : strncmp(buf, "FROZEN", 6) == 0;
        return 0;
}

char *husk_cgroup_freezer_dir(struct husk_cgroup *cg)
{
        const struct cg_hierarchy *h = NULL;
        if (cg->layout == HUSK_CGROUP_V2)
                h = cg->unified >= 0 ? &cg->hierarchies[cg->unified] : NULL;
        else
                h = cg_hierarchy_of(cg, CG_FREEZER);
        if (!h || h->fd < 0)
                return NULL;
        char buf[4200];
        return strdup(cg_display(h, h->path, INT_MAX, buf, sizeof(buf)));
}
