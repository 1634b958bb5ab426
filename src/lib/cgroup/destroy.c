/* Removing a container's cgroup: kill what is left, then rmdir it (and its sub-cgroups) in every hierarchy. */
#include "cgroup/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

/* SIGKILL the processes in the cgroup `fd` itself (not in its sub-cgroups), but husk. */
static void kill_members(int fd)
{
        _cleanup_close_ int procs = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_fclose_ FILE *f = procs >= 0 ? fdopen(procs, "r") : NULL;
        if (!f)
                return;
        TAKE_FD(procs);
        pid_t self = getpid();
        int pid;
        while (fscanf(f, "%d", &pid) == 1)
                if (pid > 0 && pid != self)
                        kill(pid, SIGKILL);
}

/* rmdir the sub-cgroups of `fd` that can go; open the first that cannot yet. Its fd, or -ENOENT when none is
 * left (*had_children says whether there was any), or another -errno. */
static int first_busy_child(int fd, bool *had_children)
{
        DIR *dir = husk_opendir_at(fd);
        if (!dir)
                return -errno;
        int ret = -ENOENT;
        struct dirent *de;
        while (ret == -ENOENT && (de = cg_next_child(dir))) {
                *had_children = true;
                if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT)
                        continue;
                if (errno != EBUSY && errno != ENOTEMPTY) {
                        ret = -errno;
                        break;
                }
                ret = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (ret < 0)
                        ret = -errno; /* -ENOENT (removed meanwhile): on to the next */
        }
        closedir(dir);
        return ret;
}

/*
 * rmdir every descendant of the busy cgroup `top`, deepest first, killing what is in each cgroup it passes. A
 * container with its own cgroup namespace and a writable cgroup mount makes them, as deep as it likes (v1 has no
 * cgroup.max.depth): so no recursion and no fd per level, and the kill does not count on the pid list of
 * husk_cgroup_signal_all, which holds one per level. Each child that rmdir refuses is stepped into; a directory
 * with no child left is stepped out of by "..", which leads back where the walk came from (a cgroup cannot move
 * to another parent). -EBUSY for a cgroup that has no child but still processes: the caller waits for them.
 */
static int remove_children(int top)
{
        _cleanup_close_ int cur = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return -errno;
        kill_members(cur);
        size_t depth = 0;
        for (;;) {
                bool had_children = false;
                int child = first_busy_child(cur, &had_children);
                if (child >= 0) {
                        close(cur);
                        cur = child;
                        depth++;
                        kill_members(cur);
                        continue;
                }
                if (child != -ENOENT)
                        return child;
                if (depth == 0)
                        return 0;
                if (!had_children)
                        return -EBUSY;
                int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0)
                        return -errno;
                close(cur);
                cur = parent;
                depth--;
        }
}

/* The sub-cgroup of `fd` with the smallest inode number above `after`, its name in `name`; false when there is
 * none. In inode order a walk resumes a directory it came back to without having kept it open. */
static bool next_child_after(int fd, ino_t after, char name[static NAME_MAX + 1], ino_t *ret_ino)
{
        DIR *dir = husk_opendir_at(fd);
        if (!dir)
                return false;
        bool found = false;
        struct dirent *de;
        while ((de = cg_next_child(dir)))
                if (de->d_ino > after && (!found || de->d_ino < *ret_ino)) {
                        found = true;
                        *ret_ino = de->d_ino;
                        snprintf(name, NAME_MAX + 1, "%s", de->d_name);
                }
        closedir(dir);
        return found;
}

/*
 * SIGKILL what is in each sub-cgroup of the v1 freezer cgroup `top`, then thaw it, parents first. As deep as the
 * container likes, so like remove_children without recursion and without an fd per level: ".." leads back up,
 * and the child it came from, found again by its inode, says where to go on.
 */
static void kill_thaw_descendants(int top)
{
        int cur = top;
        size_t depth = 0;
        ino_t after = 0;
        char name[NAME_MAX + 1];
        for (;;) {
                ino_t ino = 0;
                if (next_child_after(cur, after, name, &ino)) {
                        after = ino;
                        int child = openat(cur, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (child < 0)
                                continue; /* removed meanwhile: on to the next */
                        if (depth > 0)
                                close(cur);
                        cur = child;
                        depth++;
                        after = 0;
                        /* Killed before the thaw: what it wakes only dies. */
                        kill_members(cur);
                        (void)cg_write(cur, "freezer.state", "THAWED", NULL);
                        continue;
                }
                if (depth == 0)
                        return;
                struct stat st;
                int parent = -1;
                if (fstat(cur, &st) == 0)
                        parent = depth == 1 ? top : openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(cur);
                if (parent < 0)
                        return;
                cur = parent;
                depth--;
                after = st.st_ino;
        }
}

void husk_cgroup_kill_thaw_descendants(struct husk_cgroup *cg)
{
        struct cg_hierarchy *h = cg->layout == HUSK_CGROUP_V2 ? NULL : cg_hierarchy_of(cg, CG_FREEZER);
        if (h && h->fd >= 0)
                kill_thaw_descendants(h->fd);
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
        bool thawed = false;
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
                        int e = errno;
                        if (e == EBUSY) {
                                /* Perhaps a task (killed above) in a sub-cgroup that froze itself: until thawed it
                                 * holds every hierarchy. Once is enough: nothing is left to freeze one again. */
                                if (!thawed) {
                                        husk_cgroup_kill_thaw_descendants(cg);
                                        thawed = true;
                                }
                                int removed = remove_children(h->fd);
                                if (removed == 0 && (unlinkat(h->mount_fd, rel, AT_REMOVEDIR) == 0 || errno == ENOENT))
                                        break;
                                e = removed < 0 ? -removed : errno;
                        }
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
