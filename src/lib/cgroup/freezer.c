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

/* v2, after the write to cgroup.freeze: cgroup.events says "frozen 1" once every task has stopped; the file
 * signals POLLPRI on change. */
static int v2_wait(int dirfd, bool frozen, struct husk_error **err)
{
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

/* v1: whether the freezer cgroup `fd` froze itself rather than through an ancestor (a kernel without
 * freezer.self_freezing cannot tell: yes then). */
static bool v1_self_freezing(int fd)
{
        char self[8] = "";
        return cg_read(fd, "freezer.self_freezing", self, sizeof(self), NULL) <= 0 || strcmp(self, "0") != 0;
}

/* Cut the last component off a cgroup path ("/a/b" to "/a", "/a" to "/"). */
static void path_up(char *path)
{
        char *slash = strrchr(path, '/');
        if (slash)
                slash[slash == path ? 1 : 0] = '\0';
        else
                path[0] = '\0';
}

static int frozen_error(const struct cg_hierarchy *h, const char *lead, const char *path, bool ancestor,
                        const char *state, const char *note, struct husk_error **err)
{
        char shown[4200];
        return husk_error_set(
            err, 0, "%s: `%s` of `%s`%s is `%s`%s; thaw it first", lead, h->unified ? "cgroup.freeze" : "freezer.state",
            cg_display(h, path, INT_MAX, shown, sizeof(shown)), ancestor ? " (an ancestor)" : "", state, note);
}

/*
 * An error `lead: <file> of <dir> is <state>; thaw it first` naming the cgroup whose freeze holds h's cgroup (or,
 * with ancestors_only, one of its ancestors: the cgroup's own freeze aside) frozen. On v1 the deepest that exists
 * tells whether anything does (its freezer.state has its ancestors'), and the one that froze it is the nearest
 * with freezer.self_freezing 1; cgroup2's cgroup.freeze is each one's own request, so every level is asked. The
 * root never freezes.
 */
static int hierarchy_check_thawed(const struct cg_hierarchy *h, bool ancestors_only, const char *lead,
                                  struct husk_error **err)
{
        _cleanup_free_ char *path = strdup(h->path);
        if (!path)
                return husk_error_set(err, ENOMEM, "allocate");
        bool own = !ancestors_only;
        if (ancestors_only)
                path_up(path);
        /* v1, once a frozen directory is found whose freeze is inherited: it and its state, for want of better */
        _cleanup_free_ char *inherited = NULL;
        char inherited_state[64] = "";
        for (; path[0] && strcmp(cg_inner_rel(path), ".") != 0; path_up(path), own = false) {
                _cleanup_close_ int fd =
                    openat(h->mount_fd, cg_inner_rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0) {
                        if (errno != ENOENT && !cg_is_permission_error(-errno)) {
                                char shown[4200];
                                return husk_error_set(err, errno, "open `%s`",
                                                      cg_display(h, path, INT_MAX, shown, sizeof(shown)));
                        }
                        continue;
                }
                char state[64];
                bool frozen = false;
                int r = dir_freezes(fd, h->unified, state, sizeof(state), &frozen, err);
                if (r < 0) {
                        char shown[4200];
                        return husk_error_wrap(err, "`%s`", cg_display(h, path, INT_MAX, shown, sizeof(shown)));
                }
                if (frozen && (h->unified || v1_self_freezing(fd)))
                        return frozen_error(h, lead, path, !own, state, "", err);
                if (h->unified)
                        continue;
                if (!frozen && !inherited)
                        return 0;
                if (frozen && !inherited) {
                        inherited = strdup(path);
                        if (!inherited)
                                return husk_error_set(err, ENOMEM, "allocate");
                        snprintf(inherited_state, sizeof(inherited_state), "%s", state);
                }
        }
        /* The ancestor that froze it is out of sight (above a cgroup namespace's root, say). */
        if (inherited)
                return frozen_error(h, lead, inherited, strcmp(inherited, h->path) != 0, inherited_state,
                                    " (frozen by an ancestor)", err);
        return 0;
}

/* hierarchy_check_thawed for every hierarchy that freezes: the v1 freezer one and cgroup2's. */
static int check_thawed(struct husk_cgroup *cg, bool ancestors_only, const char *lead, struct husk_error **err)
{
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                const struct cg_hierarchy *h = &cg->hierarchies[i];
                if (!h->unified && !(h->controllers & CG_BIT(CG_FREEZER)))
                        continue;
                int r = hierarchy_check_thawed(h, ancestors_only, lead, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cg_check_not_frozen(struct husk_cgroup *cg, struct husk_error **err)
{
        return check_thawed(cg, false, "container's cgroup unexpectedly frozen", err);
}

int husk_cgroup_check_ancestors_thawed(struct husk_cgroup *cg, struct husk_error **err)
{
        return check_thawed(cg, true, "container's cgroup frozen from outside", err);
}

/* Freeze or thaw; with `explain`, a thaw that an ancestor's freeze outlasts (the write alone succeeds then) is an
 * error that names it. */
static int freezer_set(struct husk_cgroup *cg, bool frozen, bool explain, struct husk_error **err)
{
        const char *still = "container's cgroup still frozen";
        int r;
        if (cg->layout == HUSK_CGROUP_V2) {
                int fd = cg->unified >= 0 ? cg->hierarchies[cg->unified].fd : -1;
                if (fd < 0)
                        return husk_error_set(err, ENOENT, "cgroup `%s` does not exist", cg->display_path);
                r = cg_write(fd, "cgroup.freeze", frozen ? "1" : "0", err);
                /* Asked before the wait, which would only run out. */
                if (r == 0 && !frozen && explain)
                        r = check_thawed(cg, false, still, err);
                return r < 0 ? r : v2_wait(fd, frozen, err);
        }
        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_FREEZER);
        if (!h)
                return husk_error_set(err, ENOENT, "cgroup controller `freezer` is not available");
        if (h->fd < 0)
                return husk_error_set(err, ENOENT, "cgroup `%s` does not exist in `freezer`", h->path);
        r = v1_set(h->fd, frozen, err);
        if (r == 0 && !frozen && explain)
                r = check_thawed(cg, false, still, err);
        return r;
}

int cg_freezer_set(struct husk_cgroup *cg, bool frozen, struct husk_error **err)
{
        return freezer_set(cg, frozen, false, err);
}

int husk_cgroup_freeze(struct husk_cgroup *cg, bool frozen, struct husk_error **err)
{
        int r = freezer_set(cg, frozen, true, err);
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
        /* FREEZING: frozen soon (someone's pause at work), or thawed again by the pause that gave up. */
        *ret = strcmp(buf, "FROZEN") == 0 || strcmp(buf, "FREEZING") == 0;
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
        /* FREEZING is a pause at work, which runc's state waits out: paused is its likely end, and cheap to say. */
        *ret = layout == HUSK_CGROUP_V2 ? strstr(buf, "frozen 1") != NULL
                                        : strncmp(buf, "FROZEN", 6) == 0 || strncmp(buf, "FREEZING", 8) == 0;
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
