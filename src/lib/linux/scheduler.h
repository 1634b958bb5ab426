/* Scheduling of the container process: process.scheduler, process.ioPriority and process.execCPUAffinity. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * In the container process before execve: process.scheduler with sched_setattr(2) (policy,
 * flags, nice, priority, runtime, deadline, period as given) and process.ioPriority with
 * ioprio_set(IOPRIO_WHO_PROCESS). Absent fields change nothing. Inherited by the exec'd program.
 */
int husk_sched_apply(const struct husk_process *p, struct husk_error **err);

/*
 * process.execCPUAffinity (runtime-spec: for processes joining an existing container, i.e.
 * `exec`; husk applies it to the init too, as runc does):
 *  - initial: the affinity of the runtime's process that is about to join the container's
 *    cgroup, applied before it joins (so the move happens on those CPUs);
 *  - final: the affinity after it has joined the cgroup, applied before execve. When final is
 *    absent but initial was given, the transient initial affinity is undone by asking for all
 *    CPUs (the kernel keeps what the cgroup's cpuset allows): kernels >= 6.2 otherwise keep
 *    the initial mask across the cgroup move.
 * When neither is set, husk_cpu_affinity_initial asks for all CPUs too, so the container does
 * not inherit the affinity of husk's caller (as runc since its fix #4858 of 2025, crun since
 * 1.9.2): since 6.2 a mask set with sched_setaffinity survives moves into other cpusets,
 * intersected with each. The kernel remembers the all-CPUs request, so joining the container's
 * cpuset afterwards narrows the process to exactly that cpuset. A failure there is only logged
 * (the inherited mask stays).
 */
int husk_cpu_affinity_initial(const struct husk_process *p, struct husk_error **err);
int husk_cpu_affinity_final(const struct husk_process *p, struct husk_error **err);
