/* Unit tests for linux/proc: verified procfs access, including the CVE-2019-16884 / CVE-2025-52881 regressions. */
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "helpers.h"
#include "linux/proc.h"

static void test_open_and_read(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        int fd = husk_proc_open("self/status", O_RDONLY, &err);
        assert_true(fd >= 0);
        struct statfs sfs;
        assert_int_equal(fstatfs(fd, &sfs), 0);
        assert_true(sfs.f_type == PROC_SUPER_MAGIC);
        int flags = fcntl(fd, F_GETFD);
        assert_true(flags & FD_CLOEXEC);
        close(fd);

        char buf[65536];
        ssize_t n = husk_proc_read("self/status", buf, sizeof(buf), &err);
        assert_true(n > 0);
        assert_non_null(strstr(buf, "CapBnd:"));

        /* Content that does not fit is an error, never a silent cut. */
        char small[8];
        n = husk_proc_read("self/status", small, sizeof(small), &err);
        assert_true(n < 0);
        assert_int_equal(err->errnum, ENOBUFS);
        husk_error_freep(&err);
}

static void test_rejects_bad_paths(void **state)
{
        (void)state;
        const char *bad[] = {"/etc/passwd", "", "self/../1/status", "..", "sys/../../etc"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct husk_error *err = NULL;
                int fd = husk_proc_open(bad[i], O_RDONLY, &err);
                assert_true(fd < 0);
                assert_non_null(err);
                husk_error_freep(&err);
        }
        /* A magic link is not followed even though the kernel would resolve it. */
        struct husk_error *err = NULL;
        int fd = husk_proc_open("self/root/etc/passwd", O_RDONLY, &err);
        assert_true(fd < 0);
        assert_int_equal(err->errnum, ELOOP);
        husk_error_freep(&err);
}

/* A private mount namespace, so nothing done here reaches the host's mounts. */
static int private_mounts(void)
{
        if (unshare(CLONE_NEWNS) < 0)
                return -1;
        return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static int child_proc_is_tmpfs(void *arg)
{
        (void)arg;
        CHILD_CHECK(private_mounts() == 0, "private mount namespace: %s", strerror(errno));
        CHILD_CHECK(mount("tmpfs", "/proc", "tmpfs", 0, "size=1m") == 0, "mount tmpfs: %s", strerror(errno));
        /* What a hostile container would prepare: a fake attr file where the runtime writes. */
        CHILD_CHECK(mkdir("/proc/self", 0755) == 0 && mkdir("/proc/self/attr", 0755) == 0, "mkdir");
        int fd = open("/proc/self/attr/exec", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        CHILD_CHECK(fd >= 0, "create fake attr: %s", strerror(errno));
        close(fd);

        struct husk_error *err = NULL;
        int r = husk_proc_write("self/attr/exec", "unconfined", &err);
        CHILD_CHECK(r < 0, "write through a tmpfs /proc succeeded");
        CHILD_CHECK(contains(err->msg, "`/proc` is not on procfs"), "error was `%s`", error_text(err));
        husk_error_free(err);
        return 0;
}

static void test_refuses_tmpfs_proc(void **state)
{
        (void)state;
        assert_child_ok(child_proc_is_tmpfs, NULL);
}

static int child_file_over_proc_file(void *arg)
{
        (void)arg;
        CHILD_CHECK(private_mounts() == 0, "private mount namespace: %s", strerror(errno));
        CHILD_CHECK(mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") == 0, "mount tmpfs on /tmp: %s", strerror(errno));
        int fd = open("/tmp/decoy", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        CHILD_CHECK(fd >= 0, "create decoy: %s", strerror(errno));
        close(fd);
        /* CVE-2025-52881's shape: a bind mount over the very procfs file the runtime writes. */
        CHILD_CHECK(mount("/tmp/decoy", "/proc/self/oom_score_adj", NULL, MS_BIND, NULL) == 0, "bind decoy: %s",
                    strerror(errno));
        struct husk_error *err = NULL;
        int r = husk_proc_write("self/oom_score_adj", "100", &err);
        CHILD_CHECK(r < 0, "write through an overmounted procfs file succeeded");
        CHILD_CHECK(err->errnum == EXDEV && contains(err->msg, "a mount covers part of the path"), "error was `%s`",
                    error_text(err));
        husk_error_free(err);

        /* The same with a whole directory covered (e.g. /proc/sys/kernel). */
        CHILD_CHECK(mount("tmpfs", "/proc/sys/kernel", "tmpfs", 0, "size=1m") == 0, "cover sys/kernel: %s",
                    strerror(errno));
        err = NULL;
        r = husk_proc_write("sys/kernel/msgmax", "1", &err);
        CHILD_CHECK(r < 0 && err->errnum == EXDEV, "error was `%s`", error_text(err));
        husk_error_free(err);
        return 0;
}

static void test_refuses_overmounted_file(void **state)
{
        (void)state;
        assert_child_ok(child_file_over_proc_file, NULL);
}

static int child_proc_subdir(void *arg)
{
        (void)arg;
        CHILD_CHECK(private_mounts() == 0, "private mount namespace: %s", strerror(errno));
        /* A procfs directory that is not the root passes a statfs check, not ours. */
        CHILD_CHECK(mount("/proc/1", "/proc", NULL, MS_BIND, NULL) == 0, "bind /proc/1: %s", strerror(errno));
        struct husk_error *err = NULL;
        int fd = husk_proc_open("status", O_RDONLY, &err);
        CHILD_CHECK(fd < 0, "a procfs subdirectory on /proc was accepted");
        CHILD_CHECK(contains(err->msg, "not the root of a procfs mount"), "error was `%s`", error_text(err));
        husk_error_free(err);
        return 0;
}

static void test_refuses_proc_subdir(void **state)
{
        (void)state;
        assert_child_ok(child_proc_subdir, NULL);
}

static int child_write(void *arg)
{
        (void)arg;
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_proc_write("self/oom_score_adj", "123", &err) == 0, "%s", error_text(err));
        char buf[32];
        CHILD_CHECK(husk_proc_read("self/oom_score_adj", buf, sizeof(buf), &err) > 0, "%s", error_text(err));
        CHILD_CHECK(strcmp(buf, "123\n") == 0, "read back `%s`", buf);
        return 0;
}

static void test_write(void **state)
{
        (void)state;
        assert_child_ok(child_write, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_and_read),
                cmocka_unit_test(test_rejects_bad_paths),
                cmocka_unit_test(test_write),
                cmocka_unit_test(test_refuses_tmpfs_proc),
                cmocka_unit_test(test_refuses_overmounted_file),
                cmocka_unit_test(test_refuses_proc_subdir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
