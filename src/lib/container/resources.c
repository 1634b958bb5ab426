/* update, pause/resume, ps, stats and OOM events: the container operations that work on its cgroup. */
#include "container/resources.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/oom-notify.h"
#include "container/lifecycle.h"
#include "linux/intelrdt.h"
#include "util/cleanup.h"
#include "util/timestamp.h"
#include "util/syscalls.h"

/* The container's state dir (locked when asked) and its state with the derived status. */
static int open_container(const struct husk_runtime *rt, const char *id, bool lock, int *ret_dirfd,
                          struct husk_state **ret_state, struct husk_error **err)
{
        return husk_state_load(husk_runtime_root(rt), id, lock, ret_dirfd, ret_state, err);
}

static bool is_alive(const struct husk_state *s)
{
        return s->status == HUSK_STATUS_CREATED || s->status == HUSK_STATUS_RUNNING || s->status == HUSK_STATUS_PAUSED;
}

static int open_cgroup(const struct husk_state *s, struct husk_cgroup **ret, struct husk_error **err)
{
        if (!s->cgroup_path)
                return husk_error_set(err, 0, "container `%s` has no cgroup", s->id);
        return husk_cgroup_open(s->cgroup_path, s->rootless, ret, err);
}

/*
 * The container's state (dir locked when asked) and its open cgroup, for operations that need a
 * live container: `not_running` is the error text, NULL for "container `id` is not running".
 */
static int open_live_cgroup(const struct husk_runtime *rt, const char *id, bool lock, const char *not_running,
                            int *ret_dirfd, struct husk_state **ret_state, struct husk_cgroup **ret_cg,
                            struct husk_error **err)
{
        int r = open_container(rt, id, lock, ret_dirfd, ret_state, err);
        if (r < 0)
                return r;
        if (!is_alive(*ret_state))
                return not_running ? husk_error_set(err, 0, "%s", not_running)
                                   : husk_error_set(err, 0, "container `%s` is not running", id);
        return open_cgroup(*ret_state, ret_cg, err);
}

int husk_container_update(const struct husk_runtime *rt, const char *id, const struct husk_resources *resources,
                          const struct husk_intel_rdt *rdt, struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        int r = open_live_cgroup(rt, id, true, "container not running", &dirfd, &state, &cg, err);
        if (r < 0)
                return r;
        if (resources) {
                /* Device rules stay as create made them (runc's update skips them too). */
                struct husk_resources update = *resources;
                update.devices = NULL;
                update.devices_len = 0;
                /* A pids.limit of 0 is "not given" to runc's update (as --pids-limit 0), not "unlimited". */
                if (update.has_pids_limit && update.pids_limit == 0)
                        update.has_pids_limit = false;
                /* systemd first, so that its own writes do not undo the exact values cgroupfs gets. */
                if (state->systemd_unit) {
                        r = husk_systemd_set_resources(state->systemd_unit, state->rootless, &update, cg, err);
                        if (r < 0)
                                return r;
                }
                r = husk_cgroup_update(cg, &update, err);
                if (r < 0)
                        return r;
        }
        if (rdt && (rdt->l3_cache_schema || rdt->mem_bw_schema)) {
                r = husk_intel_rdt_apply(rdt, id, state->pid, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int husk_container_pause(const struct husk_runtime *rt, const char *id, struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = open_container(rt, id, true, &dirfd, &state, err);
        if (r < 0)
                return r;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        /* Paused already: by its own freeze, "not running" as runc says; by an ancestor cgroup's (which runc
         * does not see), what keeps it so is named, as neither pause nor resume can change it. */
        if (state->status == HUSK_STATUS_PAUSED) {
                _cleanup_error_ struct husk_error *local = NULL;
                if (open_cgroup(state, &cg, &local) == 0 && (r = husk_cgroup_check_ancestors_thawed(cg, err)) < 0)
                        return r;
                return husk_error_set(err, 0, "container not running");
        }
        /* As runc: created containers can be paused too (their status then reads "paused"). */
        if (state->status != HUSK_STATUS_RUNNING && state->status != HUSK_STATUS_CREATED)
                return husk_error_set(err, 0, "container not running");
        r = open_cgroup(state, &cg, err);
        if (r < 0)
                return r;
        return husk_cgroup_freeze(cg, true, err);
}

int husk_container_resume(const struct husk_runtime *rt, const char *id, struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = open_container(rt, id, true, &dirfd, &state, err);
        if (r < 0)
                return r;
        /* The status is the freezer's word (husk_state_refresh asks it first): a frozen created container is
         * paused too, and resumes to created. */
        if (state->status != HUSK_STATUS_PAUSED)
                return husk_error_set(err, 0, "container not paused");
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        r = open_cgroup(state, &cg, err);
        if (r < 0)
                return r;
        /* Fails, naming the ancestor, when an ancestor cgroup's freeze keeps it frozen after its own is lifted. */
        return husk_cgroup_freeze(cg, false, err);
}

int husk_container_pids(const struct husk_runtime *rt, const char *id, pid_t **ret, size_t *ret_len,
                        struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = open_container(rt, id, false, &dirfd, &state, err);
        if (r < 0)
                return r;
        *ret = NULL;
        *ret_len = 0;
        if (!state->cgroup_path)
                return is_alive(state) ? husk_error_set(err, 0, "container `%s` has no cgroup", id) : 0;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *local = NULL;
        r = husk_cgroup_open(state->cgroup_path, state->rootless, &cg, &local);
        if (r == 0)
                r = husk_cgroup_pids(cg, ret, ret_len, &local);
        /* A stopped container whose cgroup is already gone has no processes (runc prints null then). */
        if (r < 0 && !is_alive(state) && local && local->errnum == ENOENT)
                return 0;
        if (r < 0)
                *err = TAKE_PTR(local);
        return r;
}

int husk_container_stats(const struct husk_runtime *rt, const char *id, struct husk_cgroup_stats *ret,
                         struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        int r = open_live_cgroup(rt, id, false, NULL, &dirfd, &state, &cg, err);
        if (r < 0)
                return r;
        return husk_cgroup_stats(cg, ret, err);
}

/* ---- events ---- */

struct husk_container_watch {
        char *id;
        struct husk_cgroup *cgroup;
        struct husk_cgroup_oom_notifier *oom;
        int pidfd;            /* the init; readable once it has exited */
        uint64_t oom_pending; /* OOM kills counted but not reported yet (one event each) */
        bool exited;
};

void husk_container_watch_free(struct husk_container_watch *w)
{
        if (!w)
                return;
        if (w->pidfd >= 0)
                close(w->pidfd);
        husk_cgroup_oom_notifier_free(w->oom);
        husk_cgroup_free(w->cgroup);
        free(w->id);
        free(w);
}

void husk_container_watch_freep(struct husk_container_watch **w)
{
        husk_container_watch_free(*w);
        *w = NULL;
}

int husk_container_watch_open(const struct husk_runtime *rt, const char *id, struct husk_container_watch **ret,
                              struct husk_error **err)
{
        _cleanup_(husk_container_watch_freep) struct husk_container_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return husk_error_set(err, ENOMEM, "allocate");
        w->pidfd = -1;
        if (!(w->id = strdup(id)))
                return husk_error_set(err, ENOMEM, "allocate");
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = open_live_cgroup(rt, id, false, NULL, &dirfd, &state, &w->cgroup, err);
        if (r < 0)
                return r;
        /* A pid reused since the refresh is not the init. */
        w->pidfd = husk_state_init_pidfd(state);
        if (w->pidfd < 0)
                return husk_error_set(err, 0, "container `%s` is not running", id);
        /* Only OOM kills from now on are events. */
        r = husk_cgroup_oom_notifier_open(w->cgroup, &w->oom, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(w);
        return 0;
}

int husk_container_watch_wait(struct husk_container_watch *w, int timeout_ms, enum husk_watch_event *ret,
                              struct husk_error **err)
{
        long deadline = husk_monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                /* OOM first: an init killed by the OOM killer gets its oom event before "stopped". */
                if (w->oom_pending == 0) {
                        int r = husk_cgroup_oom_notifier_read(w->oom, &w->oom_pending, err);
                        if (r < 0)
                                return r;
                }
                if (w->oom_pending > 0) {
                        w->oom_pending--;
                        *ret = HUSK_WATCH_OOM;
                        return 0;
                }
                if (w->exited) {
                        *ret = HUSK_WATCH_STOPPED;
                        return 0;
                }
                long left = deadline - husk_monotonic_ms();
                if (left <= 0) {
                        *ret = HUSK_WATCH_TIMEOUT;
                        return 0;
                }
                int recheck = husk_cgroup_oom_notifier_timeout(w->oom);
                struct pollfd pfds[2] = {{.fd = w->pidfd, .events = POLLIN},
                                         {.fd = husk_cgroup_oom_notifier_fd(w->oom), .events = POLLIN}};
                int n = poll(pfds, pfds[1].fd >= 0 ? 2 : 1, recheck >= 0 && recheck < left ? recheck : (int)left);
                if (n < 0 && errno != EINTR)
                        return husk_error_set(err, errno, "wait for container `%s`", w->id);
                if (n > 0 && pfds[0].revents)
                        w->exited = true; /* one more pass reads the OOM counter */
        }
}

int husk_container_watch_stats(struct husk_container_watch *w, struct husk_cgroup_stats *ret, struct husk_error **err)
{
        return husk_cgroup_stats(w->cgroup, ret, err);
}
