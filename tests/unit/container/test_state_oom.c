/*
 * Allocation failures while reading a container's state.json: failing each of husk's allocations in turn
 * gives -ENOMEM and no state, never a state missing its hooks' arguments or its bundle, a crash or a leak.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/state.h"
#include "util/error.h"
#include "../../lib/fail-alloc.h"

/*
 * Linked with -Wl,--wrap= for malloc, calloc, realloc and strdup: the calls of husk's code land here.
 * jansson keeps the real allocator (json_set_alloc_funcs below): the test is about the state reader.
 */
FAIL_ALLOC_WRAPPERS
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);

char *__wrap_strdup(const char *s)
{
        return fail_now() ? NULL : __real_strdup(s);
}

#if defined(__SANITIZE_ADDRESS__)
#define CHECK_HEAP 0 /* LeakSanitizer checks at exit instead */
#else
#define CHECK_HEAP 1
#endif

static const char state_json[] =
    "{\"ociVersion\":\"1.2.0\",\"id\":\"box\",\"pid\":4242,\"pidStartTime\":77,"
    "\"bundle\":\"/srv/bundle\",\"rootfs\":\"/srv/bundle/rootfs\",\"created\":\"2026-11-28T01:00:00Z\","
    "\"owner\":0,\"cgroupPath\":\"/husk/box\",\"sessionKeyring\":\"_ses.box\","
    "\"annotations\":{\"org.example/a\":\"1\",\"org.example/b\":\"two\"},"
    "\"poststart\":[{\"path\":\"/bin/hook\",\"args\":[\"hook\",\"started\"],\"env\":[\"A=1\"]}],"
    "\"poststop\":[{\"path\":\"/bin/stop\",\"args\":[\"stop\",\"-v\",\"--all\"],\"env\":[\"B=2\",\"C=3\"],"
    "\"timeout\":5}]}";

static int make_state_dir(char *root, size_t size)
{
        snprintf(root, size, "/tmp/husk-state-oom.XXXXXX");
        assert_non_null(mkdtemp(root));
        char path[256];
        snprintf(path, sizeof(path), "%s/box", root);
        assert_int_equal(mkdir(path, 0700), 0);
        int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dirfd >= 0);
        int fd = openat(dirfd, HUSK_STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, state_json, strlen(state_json)), (ssize_t)strlen(state_json));
        close(fd);
        return dirfd;
}

static void remove_state_dir(const char *root, int dirfd)
{
        char path[256];
        unlinkat(dirfd, HUSK_STATE_FILE, 0);
        close(dirfd);
        snprintf(path, sizeof(path), "%s/box", root);
        rmdir(path);
        rmdir(root);
}

static void assert_whole(const struct husk_state *s)
{
        assert_string_equal(s->id, "box");
        assert_int_equal(s->pid, 4242);
        assert_string_equal(s->bundle, "/srv/bundle");
        assert_string_equal(s->cgroup_path, "/husk/box");
        assert_int_equal(s->annotations.len, 2);
        assert_int_equal(s->poststart.len, 1);
        assert_string_equal(s->poststart.items[0].args[1], "started");
        assert_int_equal(s->poststop.len, 1);
        assert_string_equal(s->poststop.items[0].path, "/bin/stop");
        assert_string_equal(s->poststop.items[0].args[2], "--all");
        assert_null(s->poststop.items[0].args[3]);
        assert_string_equal(s->poststop.items[0].env[1], "C=3");
        assert_int_equal(s->poststop.items[0].timeout, 5);
}

/* The state directory of one test, removed by the teardown even when an assertion failed. */
struct state_dir {
        char root[64];
        int dirfd;
};

static int setup_dir(void **state)
{
        static struct state_dir dir;
        dir.dirfd = make_state_dir(dir.root, sizeof(dir.root));
        *state = &dir;
        return 0;
}

static int teardown_dir(void **state)
{
        struct state_dir *dir = *state;
        remove_state_dir(dir->root, dir->dirfd);
        return 0;
}

static void test_each_allocation_fails_whole(void **state)
{
        int dirfd = ((struct state_dir *)*state)->dirfd;
        /* Once whole and once failed first, so that what glibc sets up on first use is not counted. */
        for (long n = -1; n <= 0; n++) {
                struct husk_state *s = NULL;
                struct husk_error *err = NULL;
                countdown = n;
                husk_state_read(dirfd, "box", &s, &err);
                countdown = -1;
                husk_state_free(s);
                husk_error_free(err);
        }
        for (long n = 0;; n++) {
                size_t before = mallinfo2().uordblks;
                struct husk_state *s = NULL;
                struct husk_error *err = NULL;
                failed = false;
                countdown = n;
                int r = husk_state_read(dirfd, "box", &s, &err);
                countdown = -1;
                if (!failed) {
                        assert_int_equal(r, 0);
                        assert_whole(s);
                        husk_state_free(s);
                        husk_error_free(err);
                        assert_true(n > 20); /* every string of the state was copied, and each copy was failed */
                        break;
                }
                if (r == 0) {
                        print_error("allocation %ld failed, yet the read succeeded\n", n);
                        fail();
                }
                assert_int_equal(r, -ENOMEM);
                if (err)
                        assert_int_equal(err->errnum, ENOMEM);
                assert_null(s);
                husk_error_free(err);
                if (CHECK_HEAP && mallinfo2().uordblks != before) {
                        print_error("allocation %ld failed: %zd bytes leaked\n", n,
                                    (ssize_t)(mallinfo2().uordblks - before));
                        fail();
                }
        }
}

int main(void)
{
        json_set_alloc_funcs(__real_malloc, free);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_each_allocation_fails_whole, setup_dir, teardown_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
