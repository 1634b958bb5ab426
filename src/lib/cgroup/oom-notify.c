/* OOM kill notification for one cgroup: v1 eventfd on memory.oom_control, v2 inotify on memory.events. */
#include "cgroup/oom-notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup-internal.h"
#include "util/cleanup.h"
#include "util/timestamp.h"

/* Without a notification fd, how often the counter is re-read. */
#define OOM_POLL_MS 100
/* After a v1 signal the kill is counted a moment later (the victim is chosen after the signal): re-read
 * this often, for this long. */
#define OOM_RECHECK_MS 20
#define OOM_RECHECK_WINDOW_MS 1000

enum oom_mode {
        OOM_NONE,    /* no memory controller: nothing to report */
        OOM_EVENTFD, /* v1 cgroup.event_control */
        OOM_INOTIFY, /* v2 memory.events */
        OOM_POLL,    /* counter only */
};

struct husk_cgroup_oom_notifier {
        enum oom_mode mode;
        int dirfd;      /* the memory cgroup directory (our own dup) */
        int fd;         /* eventfd or inotify fd; -1 in the other modes and once the cgroup is gone */
        int control_fd; /* v1: memory.oom_control, open while the eventfd is registered on it */
        const char *file;
        bool counted;  /* the kernel has the oom_kill counter; else v1 signals are counted */
        uint64_t last; /* the counter at the last read */
        long recheck_until_ms;
};

void husk_cgroup_oom_notifier_free(struct husk_cgroup_oom_notifier *n)
{
        if (!n)
                return;
        /* Closing the eventfd unregisters it from the cgroup. */
        if (n->fd >= 0)
                close(n->fd);
        if (n->control_fd >= 0)
                close(n->control_fd);
        if (n->dirfd >= 0)
                close(n->dirfd);
        free(n);
}

void husk_cgroup_oom_notifier_freep(struct husk_cgroup_oom_notifier **n)
{
        husk_cgroup_oom_notifier_free(*n);
        *n = NULL;
}

/* The oom_kill counter: 0 with *ret; -ENOENT without an error when the file has no such key (v1 before
 * 4.13); an error (ENOENT too, when the cgroup is gone) otherwise. */
static int read_counter(struct husk_cgroup_oom_notifier *n, uint64_t *ret, struct husk_error **err)
{
        return cg_read_key_u64(n->dirfd, n->file, "oom_kill", ret, err);
}

static int register_eventfd(struct husk_cgroup_oom_notifier *n, struct husk_error **err)
{
        n->control_fd = openat(n->dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (n->control_fd < 0)
                return husk_error_set(err, errno, "open `memory.oom_control`");
        n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (n->fd < 0)
                return husk_error_set(err, errno, "eventfd");
        return cg_writef(n->dirfd, "cgroup.event_control", err, "%d %d", n->fd, n->control_fd);
}

static int register_inotify(struct husk_cgroup_oom_notifier *n, struct husk_error **err)
{
        n->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (n->fd < 0)
                return husk_error_set(err, errno, "inotify_init1");
        /* inotify takes a path: reach the file through our directory fd, never by re-walking a name. */
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d/memory.events", n->dirfd);
        if (inotify_add_watch(n->fd, path, IN_MODIFY) < 0)
                return husk_error_set(err, errno, "watch `memory.events`");
        return 0;
}

int husk_cgroup_oom_notifier_open(struct husk_cgroup *cg, struct husk_cgroup_oom_notifier **ret,
                                  struct husk_error **err)
{
        _cleanup_(husk_cgroup_oom_notifier_freep) struct husk_cgroup_oom_notifier *n = calloc(1, sizeof(*n));
        if (!n)
                return husk_error_set(err, ENOMEM, "allocate");
        n->dirfd = n->fd = n->control_fd = -1;
        n->mode = OOM_NONE;

        struct cg_hierarchy *h = cg_hierarchy_of(cg, CG_MEMORY);
        if (!h || h->fd < 0) {
                *ret = TAKE_PTR(n);
                return 0;
        }
        n->dirfd = fcntl(h->fd, F_DUPFD_CLOEXEC, 3);
        if (n->dirfd < 0)
                return husk_error_set(err, errno, "cgroup `%s`: oom notifier", cg->display_path);
        bool v2 = h->unified;
        n->file = v2 ? "memory.events" : "memory.oom_control";

        _cleanup_error_ struct husk_error *local = NULL;
        int r = read_counter(n, &n->last, &local);
        if (r == -ENOENT && !local) {
                n->counted = false; /* v1 before 4.13: count the kernel's signals */
        } else if (r == -ENOENT) {
                /* v2 cgroup without the memory controller enabled: no OOM is attributed to it */
                *ret = TAKE_PTR(n);
                return 0;
        } else if (r < 0) {
                *err = TAKE_PTR(local);
                return husk_error_wrap(err, "cgroup `%s`: oom notifier", cg->display_path);
        } else {
                n->counted = true;
        }

        r = v2 ? register_inotify(n, &local) : register_eventfd(n, &local);
        if (r < 0 && n->counted && cg_is_permission_error(r)) {
                /* e.g. rootless on v1: the counter is still readable */
                if (n->fd >= 0)
                        close(n->fd);
                n->fd = -1;
                n->mode = OOM_POLL;
        } else if (r < 0) {
                *err = TAKE_PTR(local);
                return husk_error_wrap(err, "cgroup `%s`: oom notifier", cg->display_path);
        } else {
                n->mode = v2 ? OOM_INOTIFY : OOM_EVENTFD;
        }
        if (n->control_fd >= 0 && n->mode != OOM_EVENTFD) {
                close(n->control_fd);
                n->control_fd = -1;
        }
        *ret = TAKE_PTR(n);
        return 0;
}

int husk_cgroup_oom_notifier_fd(const struct husk_cgroup_oom_notifier *n)
{
        return n->fd;
}

int husk_cgroup_oom_notifier_timeout(const struct husk_cgroup_oom_notifier *n)
{
        switch (n->mode) {
        case OOM_POLL:
                return OOM_POLL_MS;
        case OOM_EVENTFD: {
                long left = n->recheck_until_ms - husk_monotonic_ms();
                if (n->fd < 0 || left <= 0)
                        return -1;
                return left < OOM_RECHECK_MS ? (int)left : OOM_RECHECK_MS;
        }
        case OOM_NONE:
        case OOM_INOTIFY:
                break;
        }
        return -1;
}

/* Empty the notification fd; returns the number of v1 signals (inotify: 1 when anything was queued). */
static uint64_t drain(struct husk_cgroup_oom_notifier *n)
{
        uint64_t signals = 0;
        if (n->fd < 0)
                return 0;
        if (n->mode == OOM_EVENTFD) {
                uint64_t count;
                while (read(n->fd, &count, sizeof(count)) == (ssize_t)sizeof(count))
                        signals += count;
                return signals;
        }
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t len = read(n->fd, buf, sizeof(buf));
                if (len <= 0)
                        break;
                signals = 1;
        }
        return signals;
}

/* The cgroup was removed: the fd will never speak again, so stop offering it. */
static void cgroup_gone(struct husk_cgroup_oom_notifier *n)
{
        if (n->fd >= 0)
                close(n->fd);
        n->fd = -1;
        n->mode = OOM_NONE;
}

int husk_cgroup_oom_notifier_read(struct husk_cgroup_oom_notifier *n, uint64_t *ret_kills, struct husk_error **err)
{
        *ret_kills = 0;
        if (n->mode == OOM_NONE)
                return 0;
        uint64_t signals = drain(n);
        if (!n->counted) {
                /* The kernel signals once more when the cgroup is removed: that one is no OOM. */
                if (signals > 0 && !cg_file_exists(n->dirfd, "cgroup.event_control")) {
                        cgroup_gone(n);
                        return 0;
                }
                *ret_kills = signals;
                return 0;
        }
        uint64_t now = 0;
        _cleanup_error_ struct husk_error *local = NULL;
        int r = read_counter(n, &now, &local);
        if (r == -ENOENT) {
                cgroup_gone(n);
                return 0;
        }
        if (r < 0) {
                *err = TAKE_PTR(local);
                return husk_error_wrap(err, "oom notifier");
        }
        if (signals > 0 && n->mode == OOM_EVENTFD)
                n->recheck_until_ms = husk_monotonic_ms() + OOM_RECHECK_WINDOW_MS;
        *ret_kills = now > n->last ? now - n->last : 0;
        n->last = now;
        return 0;
}
