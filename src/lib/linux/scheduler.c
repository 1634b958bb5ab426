/* Scheduling of the container process: process.scheduler, process.ioPriority and process.execCPUAffinity. */
#include "linux/scheduler.h"

#include <errno.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/idlist.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Far above any NR_CPUS; bounds what a config can make us allocate. */
#define MAX_CPU_ID (1u << 16)

/* struct sched_attr of sched_setattr(2): glibc 2.36 lacks it and <linux/sched/types.h> clashes with <sched.h>. */
struct husk_sched_attr {
        uint32_t size;
        uint32_t sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime;
        uint64_t sched_deadline;
        uint64_t sched_period;
};

static int apply_scheduler(const struct husk_scheduler *s, struct husk_error **err)
{
        struct husk_sched_attr attr = {
                .size = sizeof(attr),
                .sched_policy = (uint32_t)s->policy,
                .sched_flags = s->flags,
                .sched_nice = s->nice,
                .sched_priority = (uint32_t)s->priority,
                .sched_runtime = s->runtime,
                .sched_deadline = s->deadline,
                .sched_period = s->period,
        };
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
                return husk_error_set(err, errno,
                                      "process.scheduler: sched_setattr (policy %d, nice %d, priority %d, flags 0x%llx)",
                                      s->policy, s->nice, s->priority, (unsigned long long)s->flags);
        return 0;
}

static int apply_io_priority(const struct husk_io_priority *io, struct husk_error **err)
{
        if (io->ioprio_class < IOPRIO_CLASS_RT || io->ioprio_class > IOPRIO_CLASS_IDLE)
                return husk_error_set(err, 0, "process.ioPriority.class: %d is not IOPRIO_CLASS_RT, _BE or _IDLE",
                                      io->ioprio_class);
        if (io->priority < 0 || io->priority > 7)
                return husk_error_set(err, 0, "process.ioPriority.priority: %d is out of range (0-7)", io->priority);
        int value = IOPRIO_PRIO_VALUE(io->ioprio_class, io->priority);
        if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
                return husk_error_set(err, errno, "process.ioPriority: ioprio_set (class %d, priority %d)",
                                      io->ioprio_class, io->priority);
        return 0;
}

int husk_sched_apply(const struct husk_process *p, struct husk_error **err)
{
        if (p->scheduler.present) {
                int r = apply_scheduler(&p->scheduler, err);
                if (r < 0)
                        return r;
        }
        if (p->io_priority.present) {
                int r = apply_io_priority(&p->io_priority, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_affinity(const char *list, const char *what, struct husk_error **err)
{
        _cleanup_free_ unsigned long *bits = NULL;
        size_t nbits;
        int r = husk_idlist_parse(list, MAX_CPU_ID, what, &bits, &nbits, err);
        if (r < 0)
                return r;
        if (nbits == 0)
                return husk_error_set(err, 0, "%s: the CPU list is empty", what);
        /* The bitmap is a valid cpu_set_t of this many bytes: bit n of the long array is CPU n. */
        size_t bytes = (nbits + 8 * sizeof(unsigned long) - 1) / (8 * sizeof(unsigned long)) * sizeof(unsigned long);
        if (sched_setaffinity(0, bytes, (cpu_set_t *)bits) < 0)
                return husk_error_set(err, errno, "%s: sched_setaffinity `%s`", what, list);
        return 0;
}

static bool is_set(const char *s)
{
        return s && s[strspn(s, " \t\n")] != '\0';
}

/* Every CPU any kernel can have (NR_CPUS is at most 8192); the kernel reads the first cpumask_size() bytes. A
 * mask any shorter would leave out the CPUs above it (runc's 1024-bit one did). */
#define RESET_CPUS 8192
static const unsigned long all_cpus[RESET_CPUS / (8 * sizeof(unsigned long))] = {
    [0 ... RESET_CPUS / (8 * sizeof(unsigned long)) - 1] = ~0UL};

static int reset_affinity(void)
{
        return sched_setaffinity(0, sizeof(all_cpus), (const cpu_set_t *)all_cpus);
}

int husk_cpu_affinity_initial(const struct husk_process *p, struct husk_error **err)
{
        if (is_set(p->exec_cpu_affinity.initial))
                return set_affinity(p->exec_cpu_affinity.initial, "process.execCPUAffinity.initial", err);
        if (is_set(p->exec_cpu_affinity.final))
                return 0;
        /* Neither given: the mask husk's caller had (taskset, systemd's CPUAffinity=) is not the container's. */
        if (reset_affinity() < 0)
                husk_warn("could not reset the CPU affinity inherited from husk's caller: %s", strerror(errno));
        return 0;
}

int husk_cpu_affinity_final(const struct husk_process *p, struct husk_error **err)
{
        if (is_set(p->exec_cpu_affinity.final))
                return set_affinity(p->exec_cpu_affinity.final, "process.execCPUAffinity.final", err);
        if (!is_set(p->exec_cpu_affinity.initial))
                return 0;
        /* Undo the transient initial mask. */
        if (reset_affinity() < 0)
                return husk_error_set(err, errno,
                                      "process.execCPUAffinity: reset the CPU affinity after the initial one");
        return 0;
}
