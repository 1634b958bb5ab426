/* Removing a container's cgroup: kill what is left, then rmdir it (and its sub-cgroups) in every hierarchy. */
#include "cgroup/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* rmdir every descendant of the directory `fd` (a container may make sub-cgroups), deepest first. */
static int remove_children(int fd, int depth)
{
        if (depth > 64)
                return -ELOOP;
        DIR *dir = husk_opendir_at(fd);
        if (!dir)
                return -errno;
        int ret = 0;
        struct dirent *de;
        while ((de = cg_next_child(dir))) {
                _cleanup_close_ int child = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child >= 0) {
                        int r = remove_children(child, depth + 1);
                        if (r < 0 && ret == 0)
                                ret = r;
                }
                if (unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT && ret == 0)
                        ret = -errno;
        }
        closedir(dir);
        return ret;
}

/* For a busy cgroup's error: the first process still in it, which SIGKILL did not end (or ""). */
static const char *holder(int fd, int e, char *text, size_t size)
{
        char buf[24] = "";
        _cleanup_close_ int procs = e == EBUSY ? openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (procs < 0 || read(procs, buf, sizeof(buf) - 1) <= 0 || buf[0] < '1' || buf[0] > '9')
                return "";
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(text, size, " (process %s is still in it)", buf);
        return text;
}

int husk_cgroup_destroy(struct husk_cgroup *cg, struct husk_error **err)
{
        int r = husk_cgroup_signal_all(cg, SIGKILL, err);
        if (r < 0)
                cg_error_clear(err); /* removal below reports what really matters: a busy cgroup */

        int ret = 0;
        /* One wait for the whole cgroup, not one per hierarchy: what holds one holds them all (a process
         * frozen in someone else's freezer cgroup cannot die until it is thawed). */
        long waited = 0;
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                const char *rel = h->path ? cg_inner_rel(h->path) : ".";
                if (strcmp(rel, ".") == 0)
                        continue;
                if (h->fd < 0) {
                        /* Re-open: husk_cgroup_enter may have dropped it (rootless), or it is already gone. */
                        h->fd = openat(h->mount_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (h->fd < 0)
                                continue;
                }
                /* Processes take a moment to leave after SIGKILL: retry with a short backoff while busy. */
                long delay = 1;
                for (;;) {
                        if (unlinkat(h->mount_fd, rel, AT_REMOVEDIR) == 0 || errno == ENOENT)
                                break;
                        /* Busy: sub-cgroups the container made, or tasks still exiting. */
                        if (errno == EBUSY && remove_children(h->fd, 0) == 0 &&
                            (unlinkat(h->mount_fd, rel, AT_REMOVEDIR) == 0 || errno == ENOENT))
                                break;
                        int e = errno;
                        if (e != EBUSY || waited >= 3000) {
                                char shown[4200], held[64];
                                if (ret == 0)
                                        ret = husk_error_set(err, e, "rmdir `%s`%s",
                                                             cg_display(h, h->path, INT_MAX, shown, sizeof(shown)),
                                                             holder(h->fd, e, held, sizeof(held)));
                                break;
                        }
                        if (waited == 0 || waited >= 200)
                                (void)husk_cgroup_signal_all(cg, SIGKILL, NULL);
                        sleep_ms(delay);
                        waited += delay;
                        delay = delay < 64 ? delay * 2 : 64;
                }
                close(h->fd);
                h->fd = -1;
        }
        return ret;
}
