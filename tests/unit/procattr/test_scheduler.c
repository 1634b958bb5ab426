/* Unit tests for linux/scheduler: scheduler attributes, I/O priority and exec CPU affinity, read back from the kernel. */
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "linux/scheduler.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3

struct sched_attr_v0 {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
};

static int child_batch_nice(void *arg)
{
        (void)arg;
        struct husk_process p = {
                .scheduler = {.present = true, .policy = SCHED_BATCH, .nice = 7},
                .io_priority = {.present = true, .ioprio_class = IOPRIO_CLASS_BE, .priority = 6},
        };
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_sched_apply(&p, &err) == 0, "%s", error_text(err));
        struct sched_attr_v0 attr = {0};
        CHILD_CHECK(syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) == 0, "sched_getattr: %s", strerror(errno));
        CHILD_CHECK(attr.sched_policy == SCHED_BATCH, "policy %u", attr.sched_policy);
        CHILD_CHECK(attr.sched_nice == 7, "nice %d", attr.sched_nice);
        long ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
        CHILD_CHECK(ioprio == ((IOPRIO_CLASS_BE << 13) | 6), "ioprio 0x%lx", ioprio);
        return 0;
}

static void test_batch_nice_ioprio(void **state)
{
        (void)state;
        assert_child_ok(child_batch_nice, NULL);
}

static int child_fifo(void *arg)
{
        (void)arg;
        struct husk_process p = {
                .scheduler = {.present = true, .policy = SCHED_FIFO, .priority = 3},
                .io_priority = {.present = true, .ioprio_class = IOPRIO_CLASS_IDLE, .priority = 0},
        };
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_sched_apply(&p, &err) == 0, "%s", error_text(err));
        struct sched_attr_v0 attr = {0};
        CHILD_CHECK(syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) == 0, "sched_getattr: %s", strerror(errno));
        CHILD_CHECK(attr.sched_policy == SCHED_FIFO && attr.sched_priority == 3, "policy %u priority %u",
                    attr.sched_policy, attr.sched_priority);
        long ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
        CHILD_CHECK(ioprio >> 13 == IOPRIO_CLASS_IDLE, "ioprio 0x%lx", ioprio);
        return 0;
}

static void test_fifo_priority(void **state)
{
        (void)state;
        assert_child_ok(child_fifo, NULL);
}

static void test_errors(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        struct husk_process p = {.io_priority = {.present = true, .ioprio_class = 9, .priority = 0}};
        assert_true(husk_sched_apply(&p, &err) < 0);
        assert_true(contains(err->msg, "process.ioPriority.class: 9"));
        husk_error_freep(&err);

        /* SCHED_OTHER takes no static priority: the kernel's EINVAL comes back with the values. */
        struct husk_process q = {.scheduler = {.present = true, .policy = SCHED_OTHER, .priority = 5}};
        assert_true(husk_sched_apply(&q, &err) < 0);
        assert_int_equal(err->errnum, EINVAL);
        assert_true(contains(err->msg, "process.scheduler: sched_setattr (policy 0, nice 0, priority 5"));
        husk_error_freep(&err);

        struct husk_process r = {.exec_cpu_affinity = {.initial = "0-"}};
        assert_true(husk_cpu_affinity_initial(&r, &err) < 0);
        assert_true(contains(err->msg, "process.execCPUAffinity.initial: `0-` is not a list like `0-3,7`"));
        husk_error_freep(&err);
}

static int cpu_count_set(cpu_set_t *set)
{
        return CPU_COUNT(set);
}

static int child_affinity(void *arg)
{
        (void)arg;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        char last[32];
        snprintf(last, sizeof(last), "%ld", ncpu - 1);
        struct husk_process p = {.exec_cpu_affinity = {.initial = "0"}};
        struct husk_error *err = NULL;
        cpu_set_t set;

        CHILD_CHECK(husk_cpu_affinity_initial(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity");
        CHILD_CHECK(cpu_count_set(&set) == 1 && CPU_ISSET(0, &set), "initial affinity is not {0}");

        /* No final: the transient initial mask is undone (all CPUs the cgroup allows). */
        CHILD_CHECK(husk_cpu_affinity_final(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity");
        CHILD_CHECK(cpu_count_set(&set) == ncpu, "after reset %d CPUs, expected %ld", cpu_count_set(&set), ncpu);

        p.exec_cpu_affinity.final = last;
        CHILD_CHECK(husk_cpu_affinity_final(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity");
        CHILD_CHECK(cpu_count_set(&set) == 1 && CPU_ISSET(ncpu - 1, &set), "final affinity is not {%s}", last);
        return 0;
}

static void test_cpu_affinity(void **state)
{
        (void)state;
        assert_child_ok(child_affinity, NULL);
}

/* Neither initial nor final: the mask husk's caller gave it (taskset) is replaced by all CPUs, once. */
static int child_inherited_reset(void *arg)
{
        (void)arg;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        struct husk_process p = {0};
        struct husk_error *err = NULL;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        CHILD_CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "setaffinity {0}");
        CHILD_CHECK(husk_sched_apply(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(husk_cpu_affinity_initial(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity");
        CHILD_CHECK(cpu_count_set(&set) == ncpu, "after reset %d CPUs, expected %ld", cpu_count_set(&set), ncpu);
        /* final has nothing to undo */
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        CHILD_CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "setaffinity {0}");
        CHILD_CHECK(husk_cpu_affinity_final(&p, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "getaffinity");
        CHILD_CHECK(cpu_count_set(&set) == 1, "final changed the affinity with nothing set");
        return 0;
}

static void test_nothing_set_resets_inherited(void **state)
{
        (void)state;
        assert_child_ok(child_inherited_reset, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_batch_nice_ioprio),
            cmocka_unit_test(test_fifo_priority),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_cpu_affinity),
            cmocka_unit_test(test_nothing_set_resets_inherited),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
