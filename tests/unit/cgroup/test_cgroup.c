/* cgroup library against the real kernel: resources read back, joining, freezing, OOM, destroy, failures. */
#include "cgroup-test.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>

#include "util/syscalls.h"

static bool v2(void)
{
        return test_layout() == HUSK_CGROUP_V2;
}

static void test_detect_layout(void **state)
{
        (void)state;
        enum husk_cgroup_layout layout = test_layout();
        if (test_is_mounted("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
                assert_int_equal(layout, HUSK_CGROUP_V2);
        else if (test_is_mounted("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
                assert_int_equal(layout, HUSK_CGROUP_HYBRID);
        else
                assert_int_equal(layout, HUSK_CGROUP_V1);
}

static void test_memory(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "mem"));
        struct husk_memory *m = &spec.linux_.resources.memory;
        bool has_swap = v2() ? true : test_v1_has("memory") && test_read("memory", "", "memory.memsw.limit_in_bytes");
        *m = (struct husk_memory){.present = true,
                                  .has_limit = true,
                                  .limit = 64 << 20,
                                  .has_reservation = true,
                                  .reservation = 32 << 20,
                                  .has_swappiness = true,
                                  .swappiness = 30};
        if (has_swap) {
                m->has_swap = true;
                m->swap = 128 << 20;
        }
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "mem", false, NULL, &cg, &err), &err);
        assert_string_equal(husk_cgroup_path(cg), path);

        if (v2()) {
                assert_string_equal(test_read("", path, "memory.max"), "67108864");
                assert_string_equal(test_read("", path, "memory.low"), "33554432");
                /* memory+swap 128M with memory 64M: 64M of swap. */
                assert_string_equal(test_read("", path, "memory.swap.max"), "67108864");
        } else {
                assert_string_equal(test_read("memory", path, "memory.limit_in_bytes"), "67108864");
                assert_string_equal(test_read("memory", path, "memory.soft_limit_in_bytes"), "33554432");
                assert_string_equal(test_read("memory", path, "memory.swappiness"), "30");
                if (has_swap)
                        assert_string_equal(test_read("memory", path, "memory.memsw.limit_in_bytes"), "134217728");
        }

        /* update: raising both needs swap first on v1, lowering both memory first; either order must work. */
        struct husk_resources up = {.present = true};
        up.memory = (struct husk_memory){.present = true, .has_limit = true, .limit = 256 << 20};
        if (has_swap) {
                up.memory.has_swap = true;
                up.memory.swap = 512 << 20;
        }
        test_check(husk_cgroup_apply(cg, &up, &err), &err);
        assert_string_equal(test_read(v2() ? "" : "memory", path, v2() ? "memory.max" : "memory.limit_in_bytes"),
                            "268435456");
        up.memory.limit = 16 << 20;
        up.memory.swap = 32 << 20;
        test_check(husk_cgroup_apply(cg, &up, &err), &err);
        assert_string_equal(test_read(v2() ? "" : "memory", path, v2() ? "memory.max" : "memory.limit_in_bytes"),
                            "16777216");
        if (has_swap)
                assert_string_equal(
                    test_read(v2() ? "" : "memory", path, v2() ? "memory.swap.max" : "memory.memsw.limit_in_bytes"),
                    v2() ? "16777216" : "33554432");

        /* swap below the memory limit is refused with the reason. */
        if (has_swap) {
                up.memory.swap = 8 << 20;
                assert_true(husk_cgroup_apply(cg, &up, &err) < 0);
                assert_non_null(err);
                husk_error_freep(&err);
        }

        test_check(husk_cgroup_destroy(cg, &err), &err);
        assert_false(test_anything_left(path));
}

static void test_cpu(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "cpu"));
        spec.linux_.resources.cpu = (struct husk_cpu){.present = true,
                                                      .has_shares = true,
                                                      .shares = 512,
                                                      .has_quota = true,
                                                      .quota = 50000,
                                                      .has_period = true,
                                                      .period = 100000,
                                                      .cpus = "0",
                                                      .mems = "0"};
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "cpu", false, NULL, &cg, &err), &err);
        if (v2()) {
                /* 10^((81 + 1125 - 126) / 612) = 58.2, rounded up (runc 1.3.2's conversion). */
                assert_string_equal(test_read("", path, "cpu.weight"), "59");
                assert_string_equal(test_read("", path, "cpu.max"), "50000 100000");
                assert_string_equal(test_read("", path, "cpuset.cpus"), "0");
                assert_string_equal(test_read("", path, "cpuset.mems"), "0");
        } else {
                assert_string_equal(test_read("cpu", path, "cpu.shares"), "512");
                assert_string_equal(test_read("cpu", path, "cpu.cfs_quota_us"), "50000");
                assert_string_equal(test_read("cpu", path, "cpu.cfs_period_us"), "100000");
                assert_string_equal(test_read("cpuset", path, "cpuset.cpus"), "0");
                assert_string_equal(test_read("cpuset", path, "cpuset.mems"), "0");
        }

        /* update: a smaller period with a quota (v1 may refuse the period first: retried after the quota). */
        struct husk_resources up = {.present = true};
        up.cpu =
            (struct husk_cpu){.present = true, .has_quota = true, .quota = 20000, .has_period = true, .period = 40000};
        test_check(husk_cgroup_apply(cg, &up, &err), &err);
        if (v2())
                assert_string_equal(test_read("", path, "cpu.max"), "20000 40000");
        else
                assert_string_equal(test_read("cpu", path, "cpu.cfs_period_us"), "40000");
        test_check(husk_cgroup_destroy(cg, &err), &err);
        assert_false(test_anything_left(path));
}

/* A cpuset created without cpus/mems still accepts a task (v1 inherits them from the parent). */
static int child_exit_zero(void *arg)
{
        (void)arg;
        return 0;
}

static void test_cpuset_inherited(void **state)
{
        (void)state;
        char path[160], nested[200];
        struct husk_spec spec;
        test_new_path(path, sizeof(path), "cpuset");
        snprintf(nested, sizeof(nested), "%s/a/b", path);
        test_spec_init(&spec, nested);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err), &err);
        if (!v2()) {
                const char *cpus = test_read("cpuset", "", "cpuset.cpus");
                char *root_cpus = strdup(cpus);
                assert_string_equal(test_read("cpuset", nested, "cpuset.cpus"), root_cpus);
                free(root_cpus);
                assert_string_not_equal(test_read("cpuset", nested, "cpuset.mems"), "");
        }
        struct test_child child = test_spawn(child_exit_zero, NULL);
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);
        int status = test_wait(child.pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        test_check(husk_cgroup_destroy(cg, &err), &err);
        assert_false(test_dir_exists("cpuset", nested));
}

static void test_pids(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "pids"));
        spec.linux_.resources.has_pids_limit = true;
        spec.linux_.resources.pids_limit = 42;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "pids", false, NULL, &cg, &err), &err);
        assert_string_equal(test_read("pids", path, "pids.max"), "42");
        struct husk_resources up = {.present = true, .has_pids_limit = true, .pids_limit = -1};
        test_check(husk_cgroup_apply(cg, &up, &err), &err);
        assert_string_equal(test_read("pids", path, "pids.max"), "max");
        test_check(husk_cgroup_destroy(cg, &err), &err);
}

/* The first real disk (not loop, ram, zram), for io throttling; 0 when there is none. */
static bool find_disk(unsigned *major, unsigned *minor)
{
        DIR *d = opendir("/sys/block");
        struct dirent *de;
        bool found = false;
        while (d && !found && (de = readdir(d))) {
                if (de->d_name[0] == '.' || !strncmp(de->d_name, "loop", 4) || !strncmp(de->d_name, "ram", 3) ||
                    !strncmp(de->d_name, "zram", 4))
                        continue;
                char file[300];
                snprintf(file, sizeof(file), "/sys/block/%s/dev", de->d_name);
                FILE *f = fopen(file, "re");
                if (f && fscanf(f, "%u:%u", major, minor) == 2)
                        found = true;
                if (f)
                        fclose(f);
        }
        if (d)
                closedir(d);
        return found;
}

static void test_blkio(void **state)
{
        (void)state;
        unsigned major, minor;
        if (!find_disk(&major, &minor))
                skip();
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "blkio"));
        struct husk_throttle_device rbps = {.major = major, .minor = minor, .rate = 1048576};
        spec.linux_.resources.block_io =
            (struct husk_block_io){.present = true, .throttle_read_bps = {.items = &rbps, .len = 1}};
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "blkio", false, NULL, &cg, &err), &err);
        char expect[64];
        if (v2()) {
                snprintf(expect, sizeof(expect), "%u:%u rbps=1048576 wbps=max riops=max wiops=max", major, minor);
                assert_string_equal(test_read("", path, "io.max"), expect);
        } else {
                snprintf(expect, sizeof(expect), "%u:%u 1048576", major, minor);
                assert_string_equal(test_read("blkio", path, "blkio.throttle.read_bps_device"), expect);
        }
        test_check(husk_cgroup_destroy(cg, &err), &err);

        /* A weight: written where the kernel has a weight file; otherwise the error names the file. */
        test_spec_init(&spec, test_new_path(path, sizeof(path), "blkio-weight"));
        spec.linux_.resources.block_io = (struct husk_block_io){.present = true, .has_weight = true, .weight = 500};
        struct husk_cgroup *cg2 = NULL;
        int r = husk_cgroup_create(&spec, "blkio", false, NULL, &cg2, &err);
        if (r == 0) {
                const char *w =
                    v2() ? test_read("", path, "io.bfq.weight") : test_read("blkio", path, "blkio.bfq.weight");
                if (!w)
                        w = v2() ? test_read("", path, "io.weight") : test_read("blkio", path, "blkio.weight");
                assert_non_null(w);
                /* bfq takes 500 as is; io.weight gets 1 + (500 - 10) * 9999 / 990 = 4950. */
                assert_true(strstr(w, "500") || strstr(w, "4950"));
                test_check(husk_cgroup_destroy(cg2, &err), &err);
                husk_cgroup_free(cg2);
        } else {
                assert_non_null(err);
                assert_non_null(strstr(err->msg, v2() ? "io.weight" : "blkio.weight"));
                assert_int_equal(err->errnum, ENOENT);
                assert_false(test_anything_left(path));
        }
}

static int child_pause(void *arg)
{
        (void)arg;
        for (;;)
                pause();
        return 0;
}

static void test_enter_and_destroy(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "enter"));
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "enter", false, NULL, &cg, &err), &err);
        /* A cgroup2 cgroup for CLONE_INTO_CGROUP exists on v2 and hybrid hosts, not on pure v1. */
        if (test_layout() == HUSK_CGROUP_V1)
                assert_int_equal(husk_cgroup_clone_fd(cg), -1);
        else
                assert_true(husk_cgroup_clone_fd(cg) >= 0);
        assert_int_equal(husk_cgroup_clone_places_all(cg), v2());

        struct test_child child = test_spawn(child_pause, NULL);
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);

        /* Every hierarchy husk knows lists the child in the test cgroup. */
        char file[64], buf[4096];
        snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)child.pid);
        FILE *f = fopen(file, "re");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        int lines = 0, in_test = 0;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                lines++;
                char *path_part = strchr(strchr(line, ':') + 1, ':') + 1;
                if (strcmp(path_part, path) == 0)
                        in_test++;
                else
                        print_message("not in the test cgroup: %s\n", line);
        }
        if (v2()) {
                assert_int_equal(in_test, 1);
        } else {
                /* All mounted v1 hierarchies and (hybrid) the unified one. */
                assert_true(test_v1_has("memory") && test_v1_has("pids"));
                assert_int_equal(in_test, lines);
        }

        pid_t *pids = NULL;
        size_t len = 0;
        test_check(husk_cgroup_pids(cg, &pids, &len, &err), &err);
        assert_int_equal(len, 1);
        assert_int_equal(pids[0], child.pid);
        free(pids);

        /* destroy kills what is left and removes every directory, sub-cgroups included. */
        char sub[256];
        test_dir(sub, sizeof(sub), "memory", path);
        strcat(sub, "/nested");
        assert_int_equal(mkdir(sub, 0755), 0);
        test_check(husk_cgroup_destroy(cg, &err), &err);
        int status = test_wait(child.pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        assert_false(test_anything_left(path));

        /* Again, and through a re-opened handle: a cgroup already gone is fine. */
        test_check(husk_cgroup_destroy(cg, &err), &err);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *again = NULL;
        test_check(husk_cgroup_open(path, false, &again, &err), &err);
        test_check(husk_cgroup_destroy(again, &err), &err);
}

/* /proc/self/cgroup into buf; false when unreadable. */
static bool read_own_cgroups(char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return false;
        size_t n = fread(buf, 1, size - 1, f);
        fclose(f);
        buf[n] = '\0';
        return true;
}

/*
 * Whether each line of /proc/self/cgroup names want, except the v1 memory line when memory_out: that
 * one must name another cgroup. 0 when so, else the child's exit status for the failure.
 */
static int check_own_cgroups(const char *want, bool memory_out)
{
        size_t want_len = strcspn(want, "\n");
        char buf[4096];
        if (!read_own_cgroups(buf, sizeof(buf)))
                return 3;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
                /* name=systemd and the like are hierarchies husk does not manage unless mounted. */
                char *controllers = strchr(line, ':') + 1;
                char *path_part = strchr(controllers, ':') + 1;
                bool in = strlen(path_part) == want_len && strncmp(path_part, want, want_len) == 0;
                bool memory = strncmp(controllers, "memory:", 7) == 0;
                if (in == (memory && memory_out))
                        return memory ? 5 : 4;
        }
        return 0;
}

struct enter_self_case {
        struct husk_cgroup *cg;
        bool defer_memory;
};

/* In a child of clone3 into the cgroup2 cgroup: join the v1 ones, then check /proc/self/cgroup. */
static int child_enter_self(void *arg)
{
        const struct enter_self_case *c = arg;
        struct husk_error *err = NULL;
        int memory_fd = -1;
        if (husk_cgroup_enter_self(c->cg, c->defer_memory ? &memory_fd : NULL, &err) < 0)
                return 2;
        const char *want = husk_cgroup_path(c->cg);
        /* Deferred: a v1 memory hierarchy waits for husk_cgroup_enter_memory. */
        bool v1_memory = access("/sys/fs/cgroup/memory/tasks", F_OK) == 0;
        if (c->defer_memory && (memory_fd >= 0) != v1_memory)
                return 6;
        int r = check_own_cgroups(want, memory_fd >= 0);
        if (r != 0)
                return r;
        /* What /proc/self/cgroup will read, said before the memory cgroup is joined. */
        char *lines = NULL;
        if (husk_cgroup_member_lines(c->cg, &lines, &err) < 0)
                return 8;
        if (husk_cgroup_enter_memory(&memory_fd, &err) < 0 || memory_fd != -1)
                return 7;
        char buf[4096];
        if (!read_own_cgroups(buf, sizeof(buf)))
                return 3;
        if (strcmp(buf, lines) != 0)
                return 9;
        free(lines);
        return check_own_cgroups(want, false);
}

/* husk_cgroup_enter_self joins every v1 hierarchy (tasks, no grace period); clone3 the cgroup2 one.
 * With a memory fd asked for, the v1 memory hierarchy is joined only by husk_cgroup_enter_memory. */
static void enter_self(bool defer_memory)
{
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "self"));
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "self", false, NULL, &cg, &err), &err);
        struct husk_clone_args args = {.exit_signal = SIGCHLD};
        int fd = husk_cgroup_clone_fd(cg);
        if (fd >= 0) {
                args.flags = CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)fd;
        }
        pid_t pid = husk_clone3(&args);
        if (pid == 0)
                _exit(child_enter_self(&(struct enter_self_case){cg, defer_memory}));
        if (pid < 0 && errno == ENOSYS) {
                test_check(husk_cgroup_destroy(cg, &err), &err);
                husk_cgroup_freep(&cg); /* skip() longjmps past the cleanup attributes */
                skip();                 /* no clone3: valgrind 3.19 */
        }
        assert_true(pid > 0);
        int status = test_wait(pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        test_check(husk_cgroup_destroy(cg, &err), &err);
        assert_false(test_anything_left(path));
}

static void test_enter_self(void **state)
{
        (void)state;
        enter_self(false);
}

static void test_enter_self_memory_last(void **state)
{
        (void)state;
        enter_self(true);
}

/* Some hierarchies already removed by someone else: destroy still removes the rest. */
static void test_destroy_partial(void **state)
{
        (void)state;
        if (v2())
                skip();
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "partial"));
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "partial", false, NULL, &cg, &err), &err);
        char dir[256];
        test_dir(dir, sizeof(dir), "memory", path);
        assert_int_equal(rmdir(dir), 0);
        test_dir(dir, sizeof(dir), "cpu", path);
        assert_int_equal(rmdir(dir), 0);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *opened = NULL;
        test_check(husk_cgroup_open(husk_cgroup_path(cg), false, &opened, &err), &err);
        test_check(husk_cgroup_destroy(opened, &err), &err);
        assert_false(test_anything_left(path));
}

struct counter {
        _Atomic unsigned long value;
};

static int child_count(void *arg)
{
        struct counter *c = arg;
        for (;;)
                atomic_fetch_add(&c->value, 1);
        return 0;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static void test_freeze(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "freeze"));
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "freeze", false, NULL, &cg, &err), &err);

        struct counter *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(c != MAP_FAILED);
        struct test_child child = test_spawn(child_count, c);
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);
        while (atomic_load(&c->value) == 0)
                sleep_ms(1);

        bool frozen = true;
        test_check(husk_cgroup_is_frozen(cg, &frozen, &err), &err);
        assert_false(frozen);
        test_check(husk_cgroup_freeze(cg, true, &err), &err);
        test_check(husk_cgroup_is_frozen(cg, &frozen, &err), &err);
        assert_true(frozen);
        if (v2())
                assert_non_null(strstr(test_read("", path, "cgroup.events"), "frozen 1"));
        else
                assert_string_equal(test_read("freezer", path, "freezer.state"), "FROZEN");
        unsigned long before = atomic_load(&c->value);
        sleep_ms(50);
        assert_int_equal(atomic_load(&c->value), before);

        test_check(husk_cgroup_freeze(cg, false, &err), &err);
        test_check(husk_cgroup_is_frozen(cg, &frozen, &err), &err);
        assert_false(frozen);
        for (int i = 0; i < 1000 && atomic_load(&c->value) == before; i++)
                sleep_ms(1);
        assert_true(atomic_load(&c->value) > before);

        /* destroy of a frozen cgroup works too. */
        test_check(husk_cgroup_freeze(cg, true, &err), &err);
        test_check(husk_cgroup_destroy(cg, &err), &err);
        int status = test_wait(child.pid);
        assert_true(WIFSIGNALED(status));
        assert_false(test_anything_left(path));
        munmap(c, sizeof(*c));
}

static int child_allocate(void *arg)
{
        size_t size = (size_t)(uintptr_t)arg;
        char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return 2;
        for (size_t i = 0; i < size; i += 4096)
                p[i] = 1;
        return 0;
}

static void test_oom(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "oom"));
        struct husk_memory *m = &spec.linux_.resources.memory;
        *m = (struct husk_memory){.present = true, .has_limit = true, .limit = 16 << 20};
        /* No swap either, or the child would swap instead of dying. */
        if (v2() || test_read("memory", "", "memory.memsw.limit_in_bytes")) {
                m->has_swap = true;
                m->swap = 16 << 20;
        }
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "oom", false, NULL, &cg, &err), &err);
        if (v2())
                assert_string_equal(test_read("", path, "memory.swap.max"), "0");

        bool killed = true;
        test_check(husk_cgroup_oom_killed(cg, &killed, &err), &err);
        assert_false(killed);

        struct test_child child = test_spawn(child_allocate, (void *)(uintptr_t)(128u << 20));
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);
        int status = test_wait(child.pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        test_check(husk_cgroup_oom_killed(cg, &killed, &err), &err);
        assert_true(killed);
        test_check(husk_cgroup_destroy(cg, &err), &err);
}

static void test_stats(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "stats"));
        spec.linux_.resources.memory = (struct husk_memory){.present = true, .has_limit = true, .limit = 256 << 20};
        spec.linux_.resources.has_pids_limit = true;
        spec.linux_.resources.pids_limit = 100;
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "stats", false, NULL, &cg, &err), &err);
        struct test_child child = test_spawn(child_pause, NULL);
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);
        /* Let the child run into pause(), touching some memory on the way. */
        sleep_ms(20);
        struct husk_cgroup_stats stats;
        test_check(husk_cgroup_stats(cg, &stats, &err), &err);
        assert_int_equal(stats.memory.limit, 256u << 20);
        assert_true(stats.memory.usage > 0);
        assert_true(stats.memory.raw_len > 0);
        assert_int_equal(stats.pids.current, 1);
        assert_int_equal(stats.pids.limit, 100);
        assert_true(stats.cpu.total_ns > 0);
        husk_cgroup_stats_done(&stats);
        test_check(husk_cgroup_destroy(cg, &err), &err);
        test_wait(child.pid);
}

/* A controller the host lacks is named, and nothing is created. */
static void test_unavailable_controller(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        _cleanup_error_ struct husk_error *err = NULL;
        struct husk_cgroup *cg = NULL;

        if (!v2() && !test_v1_has("hugetlb")) {
                struct husk_hugepage_limit limit = {.page_size = "2MB", .limit = 1 << 21};
                test_spec_init(&spec, test_new_path(path, sizeof(path), "hugetlb"));
                spec.linux_.resources.hugepage_limits = &limit;
                spec.linux_.resources.hugepage_limits_len = 1;
                assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
                assert_null(cg);
                assert_non_null(strstr(err->msg, "cgroup controller `hugetlb` is not available"));
                assert_false(test_anything_left(path));
                husk_error_freep(&err);
        }
        if (v2() || !test_v1_has("net_cls")) {
                test_spec_init(&spec, test_new_path(path, sizeof(path), "netcls"));
                spec.linux_.resources.network =
                    (struct husk_network_resources){.present = true, .has_class_id = true, .class_id = 0x100001};
                assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
                assert_null(cg);
                assert_non_null(strstr(err->msg, "cgroup controller `net_cls` is not available"));
                assert_false(test_anything_left(path));
        }
}

/* A write that fails after others succeeded: the error names file and value, and nothing is left. */
static void test_failure_midway(void **state)
{
        (void)state;
        char path[160], nested[200];
        struct husk_spec spec;
        test_new_path(path, sizeof(path), "midway");
        snprintf(nested, sizeof(nested), "%s/deeper/leaf", path);
        test_spec_init(&spec, nested);
        spec.linux_.resources.memory = (struct husk_memory){.present = true, .has_limit = true, .limit = 64 << 20};
        /* A quota below the kernel's 1ms minimum is EINVAL. */
        spec.linux_.resources.cpu = (struct husk_cpu){.present = true, .has_quota = true, .quota = 500};
        _cleanup_error_ struct husk_error *err = NULL;
        struct husk_cgroup *cg = NULL;
        assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
        assert_null(cg);
        assert_int_equal(err->errnum, EINVAL);
        print_message("error: %s\n", err->msg);
        assert_non_null(strstr(err->msg, v2() ? "write `cpu.max` = `500 100000`" : "write `cpu.cfs_quota_us` = `500`"));
        assert_non_null(strstr(err->msg, nested));
        /* The intermediate directories husk made are gone too. */
        assert_false(test_anything_left(path));
}

/* cgroupsPath is cleaned lexically and cannot climb out with "..". */
static void test_path_cleaning(void **state)
{
        (void)state;
        char path[128], messy[256], want[200];
        test_new_path(path, sizeof(path), "clean");
        snprintf(messy, sizeof(messy), "/../..%s/./a//b/../c/", path);
        snprintf(want, sizeof(want), "%s/a/c", path);
        struct husk_spec spec;
        test_spec_init(&spec, messy);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err), &err);
        assert_string_equal(husk_cgroup_path(cg), want);
        assert_true(test_dir_exists("memory", want));
        test_check(husk_cgroup_destroy(cg, &err), &err);

        test_spec_init(&spec, "/a/../..");
        husk_cgroup_free(cg);
        cg = NULL;
        assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
        assert_non_null(strstr(err->msg, "resolves to"));
        husk_error_freep(&err);

        /* A recorded path is never the root cgroup (destroy would kill everything) nor outside it. */
        static const char *const bad[] = {"/", "", "relative", "/a/../b", "/a\nmemory=/", "/a\nmemory=/../x"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_true(husk_cgroup_open(bad[i], false, &cg, &err) < 0);
                assert_null(cg);
                husk_error_freep(&err);
        }
}

/* Own cgroup of this process in hierarchy `ctrl` ("" for the cgroup2 line). */
static void own_cgroup(const char *ctrl, char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[1024];
        buf[0] = '\0';
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                bool match = ctrl[0] ? strstr(c1 + 1, ctrl) != NULL : c1[1] == '\0';
                if (match)
                        snprintf(buf, size, "%s", c2 + 1);
        }
        if (f)
                fclose(f);
}

/* No cgroupsPath: runc's default, "<id>" relative to husk's own cgroup (its parent on pure v2). */
static void test_relative_default(void **state)
{
        (void)state;
        char id[128];
        snprintf(id, sizeof(id), "%s-%u-rel", test_prefix + 1, ++test_counter);
        struct husk_spec spec;
        test_spec_init(&spec, NULL);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, id, false, NULL, &cg, &err), &err);
        print_message("path: %s\n", husk_cgroup_path(cg));

        char own[512], expect[800];
        own_cgroup(v2() ? "" : "memory", own, sizeof(own));
        if (v2()) {
                char *slash = strrchr(own, '/');
                if (slash)
                        slash[slash == own ? 1 : 0] = '\0';
        }
        snprintf(expect, sizeof(expect), "%s/%s", strcmp(own, "/") == 0 ? "" : own, id);
        assert_true(test_dir_exists("memory", expect));

        /* Re-open from the recorded path and remove: every per-hierarchy path must round-trip. */
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *opened = NULL;
        test_check(husk_cgroup_open(husk_cgroup_path(cg), false, &opened, &err), &err);
        test_check(husk_cgroup_destroy(opened, &err), &err);
        assert_false(test_dir_exists("memory", expect));
        if (!v2()) {
                own_cgroup("pids", own, sizeof(own));
                snprintf(expect, sizeof(expect), "%s/%s", strcmp(own, "/") == 0 ? "" : own, id);
                assert_false(test_dir_exists("pids", expect));
        }
}

static void test_unified(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "unified"));
        struct husk_kv kv = {.key = "cgroup.max.descendants", .value = "5"};
        spec.linux_.resources.unified = (struct husk_kv_list){.items = &kv, .len = 1};
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        int r = husk_cgroup_create(&spec, "x", false, NULL, &cg, &err);
        if (test_layout() == HUSK_CGROUP_V1) {
                assert_true(r < 0);
                return;
        }
        test_check(r, &err);
        assert_string_equal(test_read("unified", path, "cgroup.max.descendants"), "5");
        test_check(husk_cgroup_destroy(cg, &err), &err);

        /* Keys cannot name other directories. */
        kv.key = "../cgroup.procs";
        husk_cgroup_free(cg);
        cg = NULL;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "unified-bad"));
        spec.linux_.resources.unified = (struct husk_kv_list){.items = &kv, .len = 1};
        assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
        assert_non_null(strstr(err->msg, "invalid key"));
        assert_false(test_anything_left(path));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_detect_layout, test_cleanup),
            cmocka_unit_test_teardown(test_memory, test_cleanup),
            cmocka_unit_test_teardown(test_cpu, test_cleanup),
            cmocka_unit_test_teardown(test_cpuset_inherited, test_cleanup),
            cmocka_unit_test_teardown(test_pids, test_cleanup),
            cmocka_unit_test_teardown(test_blkio, test_cleanup),
            cmocka_unit_test_teardown(test_enter_and_destroy, test_cleanup),
            cmocka_unit_test_teardown(test_enter_self, test_cleanup),
            cmocka_unit_test_teardown(test_enter_self_memory_last, test_cleanup),
            cmocka_unit_test_teardown(test_destroy_partial, test_cleanup),
            cmocka_unit_test_teardown(test_freeze, test_cleanup),
            cmocka_unit_test_teardown(test_oom, test_cleanup),
            cmocka_unit_test_teardown(test_stats, test_cleanup),
            cmocka_unit_test_teardown(test_unavailable_controller, test_cleanup),
            cmocka_unit_test_teardown(test_failure_midway, test_cleanup),
            cmocka_unit_test_teardown(test_path_cleaning, test_cleanup),
            cmocka_unit_test_teardown(test_relative_default, test_cleanup),
            cmocka_unit_test_teardown(test_unified, test_cleanup),
        };
        return cmocka_run_group_tests_name("cgroup", tests, test_global_setup, test_cleanup);
}
