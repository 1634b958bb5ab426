/* What a running container's cgroup offers the front ends: update, pause/resume, its pids, stats and OOM events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "container/container.h"
#include "spec/spec.h"
#include "util/error.h"

/*
 * `update`: write what is set in resources to the container's cgroup (husk_cgroup_update: zero/absent
 * values leave the current setting alone, and fields runc's update ignores are skipped with a warning
 * where their controller is missing). Device rules in resources are ignored: update never
 * changes them, as with runc (a rule list without create's defaults would cut the container off its
 * /dev). rdt, when not NULL and carrying an L3 or MB schema, is written
 * to the container's resctrl group (named after the container, as runc does on update). The
 * container must exist and not be stopped: "container not running" otherwise. Nothing is recorded
 * in state.json: every reader (events, ps, the shim) reads the cgroup files themselves.
 */
int husk_container_update(const struct husk_runtime *rt, const char *id, const struct husk_resources *resources,
                          const struct husk_intel_rdt *rdt, struct husk_error **err);

/*
 * `pause` freezes every process of a running container ("container not running" otherwise; runc
 * also pauses created ones, see resources.c); `resume` thaws a frozen one ("container not paused"
 * otherwise). Both wait until the kernel reports the new state.
 */
int husk_container_pause(const struct husk_runtime *rt, const char *id, struct husk_error **err);
int husk_container_resume(const struct husk_runtime *rt, const char *id, struct husk_error **err);

/*
 * Host pids of every process in the container's cgroup (and its sub-cgroups), unsorted; an empty
 * list (NULL, 0) when the container is stopped and its cgroup is empty or gone. *ret is freed by
 * the caller.
 */
int husk_container_pids(const struct husk_runtime *rt, const char *id, pid_t **ret, size_t *ret_len,
                        struct husk_error **err);

/* One snapshot of the cgroup statistics of a created, running or paused container; free with
 * husk_cgroup_stats_done. "container `id` is not running" for a stopped one (as runc's events). */
int husk_container_stats(const struct husk_runtime *rt, const char *id, struct husk_cgroup_stats *ret,
                         struct husk_error **err);

/*
 * `events`: a watch on one container, open until it stops. husk_container_watch_wait blocks for at
 * most timeout_ms and reports the first of: the OOM killer struck in the container's cgroup since
 * the watch was opened: one HUSK_WATCH_OOM per OOM kill, the container's init exited (reported once
 * every OOM kill counted before it has been reported), or the timeout. No threads: it polls a pidfd
 * of the init and the cgroup's OOM notifier (cgroup/oom-notify.h), so it sleeps until one of them
 * speaks, or for a short re-check just after a v1 OOM signal.
 */
enum husk_watch_event {
        HUSK_WATCH_TIMEOUT = 0,
        HUSK_WATCH_OOM,
        HUSK_WATCH_STOPPED,
};

struct husk_container_watch;

int husk_container_watch_open(const struct husk_runtime *rt, const char *id, struct husk_container_watch **ret,
                              struct husk_error **err);
int husk_container_watch_wait(struct husk_container_watch *w, int timeout_ms, enum husk_watch_event *ret,
                              struct husk_error **err);
int husk_container_watch_stats(struct husk_container_watch *w, struct husk_cgroup_stats *ret, struct husk_error **err);
void husk_container_watch_free(struct husk_container_watch *w);
void husk_container_watch_freep(struct husk_container_watch **w);
