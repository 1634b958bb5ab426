/* OOM kills in a container's cgroup as they happen: a pollable fd and the kernel's per-cgroup kill counter. */
#pragma once

#include <stdint.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

/*
 * One notifier per watcher, no threads. The kill count comes from the kernel's oom_kill counter
 * (v1 memory.oom_control, kernel 4.13+; v2 memory.events, which includes sub-cgroups), so N kills are
 * N, however the notifications coalesce. What wakes the caller:
 *   v1 (and hybrid hosts, where memory is a v1 controller): an eventfd registered on
 *      memory.oom_control through cgroup.event_control. The kernel signals it when the cgroup enters
 *      OOM, before the victim is counted, so for a short while after a signal the notifier asks to be
 *      re-read (husk_cgroup_oom_notifier_timeout). Kernels without the counter count signals instead.
 *   v2: inotify IN_MODIFY on memory.events (the kernel notifies after updating the counters).
 * Where neither can be set up (no permission to write cgroup.event_control) the counter is polled.
 * A cgroup without a memory controller gives a notifier that never reports a kill.
 */
struct husk_cgroup_oom_notifier;

/* Start counting from now: kills before this call are not reported. */
int husk_cgroup_oom_notifier_open(struct husk_cgroup *cg, struct husk_cgroup_oom_notifier **ret,
                                  struct husk_error **err);

/* The fd to poll for POLLIN, or -1 when there is none (then only the timeout wakes the caller). */
int husk_cgroup_oom_notifier_fd(const struct husk_cgroup_oom_notifier *n);

/*
 * The longest the caller may wait (ms) before calling husk_cgroup_oom_notifier_read even when the fd
 * stays quiet: -1 when the fd alone is enough, else a short re-check interval (just after a v1 signal,
 * or always when polling).
 */
int husk_cgroup_oom_notifier_timeout(const struct husk_cgroup_oom_notifier *n);

/*
 * Drain the fd and set *ret_kills to the OOM kills since the last call (or open). Never blocks. Once
 * the cgroup is gone it reports 0 and the fd stays quiet.
 */
int husk_cgroup_oom_notifier_read(struct husk_cgroup_oom_notifier *n, uint64_t *ret_kills, struct husk_error **err);

void husk_cgroup_oom_notifier_free(struct husk_cgroup_oom_notifier *n);
void husk_cgroup_oom_notifier_freep(struct husk_cgroup_oom_notifier **n);
