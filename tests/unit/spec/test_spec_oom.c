/* Allocation failures: failing each allocation of a parse in turn gives an error, never a crash or a leak. */
#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#include "spec_test.h"
#include "../../lib/fail-alloc.h"

/*
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: the calls of husk code (statically
 * linked) land here. jansson, a shared library, keeps the real ones: its failures are not injected
 * because jansson 2.14 does not survive them (json_loadb can crash, and lex_save silently drops a
 * character of a token when its buffer cannot grow). The heap comparison still covers its objects.
 */
FAIL_ALLOC_WRAPPERS

#if defined(__SANITIZE_ADDRESS__)
#define CHECK_HEAP 0 /* LeakSanitizer checks at exit instead */
#else
#define CHECK_HEAP 1
#endif

static size_t heap_in_use(void)
{
        return mallinfo2().uordblks;
}

typedef int (*parse_fn)(const char *text, size_t len, void **ret, struct husk_error **err);
typedef void (*free_fn)(void *p);

static int parse_spec(const char *text, size_t len, void **ret, struct husk_error **err)
{
        return parse_all(text, len, NULL, (struct husk_spec **)ret, err);
}

/* The same through husk_spec_parse_with, whose hook knows the rules or not. */
static int parse_spec_known(const char *text, size_t len, void **ret, struct husk_error **err)
{
        return parse_all_with(text, len, NULL, &(struct rules_hook){.known = true}, (struct husk_spec **)ret, err);
}

static int parse_spec_unknown(const char *text, size_t len, void **ret, struct husk_error **err)
{
        return parse_all_with(text, len, NULL, &(struct rules_hook){.known = false}, (struct husk_spec **)ret, err);
}

static int parse_process(const char *text, size_t len, void **ret, struct husk_error **err)
{
        return husk_process_parse(text, len, NULL, (struct husk_process **)ret, err);
}

static void free_spec(void *p)
{
        husk_spec_free(p);
}

static void free_process(void *p)
{
        husk_process_free(p);
}

/* Fail allocation 0, 1, 2, ... until a parse needs no more than were allowed. */
static void fail_each_allocation(const char *text, size_t len, parse_fn parse, free_fn free_result, int expected_rc)
{
        for (long n = 0;; n++) {
                size_t before = heap_in_use();
                void *result = NULL;
                struct husk_error *err = NULL;
                failed = false;
                countdown = n;
                int r = parse(text, len, &result, &err);
                countdown = -1;
                if (!failed) {
                        assert_int_equal(r, expected_rc);
                        if (r == 0)
                                free_result(result);
                        husk_error_free(err);
                        assert_true(n > 10); /* the loop did fail some allocations */
                        return;
                }
                if (r == 0) {
                        print_error("allocation %ld failed, yet the parse succeeded\n", n);
                        fail();
                }
                if (err) {
                        assert_int_equal(r, -ENOMEM);
                        assert_int_equal(err->errnum, ENOMEM);
                } else {
                        /* the failed allocation was the error itself: the code still says what went wrong */
                        assert_true(r == -EINVAL || r == -ENOMEM);
                }
                assert_null(result);
                husk_error_free(err);
                if (CHECK_HEAP && heap_in_use() != before) {
                        print_error("allocation %ld failed: %zd bytes leaked\n", n, (ssize_t)(heap_in_use() - before));
                        fail();
                }
        }
}

static void test_full_config(void **state)
{
        size_t len;
        char *text = read_data("full.json", &len);
        fail_each_allocation(text, len, parse_spec, free_spec, 0);
        free(text);
}

static void test_podman_seccomp(void **state)
{
        size_t len;
        char *text = read_data("podman-seccomp.json", &len);
        fail_each_allocation(text, len, parse_spec, free_spec, 0);
        /* rules passed over, then vouched for or parsed again */
        fail_each_allocation(text, len, parse_spec_known, free_spec, 0);
        fail_each_allocation(text, len, parse_spec_unknown, free_spec, 0);
        free(text);
}

/* fail_each_allocation on a data file with its first `find` overwritten by `bad` (as long). */
static void fail_each_allocation_broken(const char *name, const char *find, const char *bad, parse_fn parse)
{
        size_t len;
        char *text = read_data(name, &len);
        char *at = strstr(text, find);
        assert_non_null(at);
        assert_int_equal(strlen(bad), strlen(find));
        memcpy(at, bad, strlen(bad));
        fail_each_allocation(text, len, parse, free_spec, -EINVAL);
        free(text);
}

/* A syntax error in the rules, found only when the document is read again. */
static void test_rules_syntax_error(void **state)
{
        fail_each_allocation_broken("podman-seccomp.json", "\"accept4\",", "\"accept4\" ", parse_spec_unknown);
}

/* An error late in the document frees everything parsed before it, also when allocations fail. */
static void test_late_error(void **state)
{
        fail_each_allocation_broken("full.json", "\"MPOL_INTERLEAVE\"", "\"MPOL_INTERLEAVX\"", parse_spec);
}

static void test_process(void **state)
{
        const char *text =
            "{\"cwd\":\"/\",\"args\":[\"a\",\"b\"],\"env\":[\"A=1\"],\"user\":{\"additionalGids\":[1,2]},"
            "\"rlimits\":[{\"type\":\"RLIMIT_AS\",\"soft\":1,\"hard\":18446744073709551615}],"
            "\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"1\"},\"apparmorProfile\":\"p\"}";
        fail_each_allocation(text, strlen(text), parse_process, free_process, 0);
}

static int setup(void **state)
{
        /* let glibc make its one-time allocations (stdio, locale) before the heap is compared */
        static const char bad[] = "{\"ociVersion\":\"1.0.0\",\"process\":{\"cwd\":1}}";
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        husk_spec_parse(bad, sizeof(bad) - 1, NULL, &spec, &err);
        husk_error_free(err);
        err = NULL;
        husk_error_set(&err, ENOMEM, "warm up");
        husk_error_free(err);
        return 0;
}

int main(int argc, char **argv)
{
        /* mallinfo2 counts chunks cached in glibc's tcache as in use: run without the tcache */
        if (CHECK_HEAP && !getenv("HUSK_TEST_NO_TCACHE")) {
                setenv("HUSK_TEST_NO_TCACHE", "1", 1);
                setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
                execv("/proc/self/exe", argv);
                perror("execv /proc/self/exe");
                return 1;
        }
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_full_config),
            cmocka_unit_test(test_podman_seccomp),
            cmocka_unit_test(test_late_error),
            cmocka_unit_test(test_rules_syntax_error),
            cmocka_unit_test(test_process),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
