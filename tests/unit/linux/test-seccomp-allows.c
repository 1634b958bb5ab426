/*
 * husk_seccomp_filter_allows and _errno: what protect.c asks of a compiled filter before it lets the init exec through
 * the trampoline. Real profiles compiled by libseccomp; "allowed" only when no argument it was not told
 * (nor the instruction pointer) can change the answer. (No SCMP_ACT_LOG or NOTIFY rules: libseccomp asks
 * the kernel about those, and valgrind, which runs this test too, knows no seccomp(2).)
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "linux/seccomp-filter.h"
#include "spec/spec.h"

static struct husk_seccomp_filter *compile(const char *seccomp_json)
{
        char config[4096];
        int n =
            snprintf(config, sizeof(config), "{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": %s}}", seccomp_json);
        assert_true(n > 0 && (size_t)n < sizeof(config));
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse(config, (size_t)n, "config.json", &spec, &err), 0);
        struct husk_seccomp_filter *filter = NULL;
        if (husk_seccomp_compile(&spec->linux_.seccomp, &filter, &err) < 0)
                fail_msg("compile: %s", husk_error_format(err));
        husk_spec_free(spec);
        return filter;
}

static const uint64_t no_args[6] = {0};
static const uint64_t execveat_args[6] = {[4] = AT_EMPTY_PATH};
static const uint64_t setfd_args[6] = {[1] = F_SETFD, [2] = FD_CLOEXEC};

/* What the filter answers for the trampoline's calls (container/protect.c): execveat, fcntl, write. */
static void assert_trampoline_calls(const struct husk_seccomp_filter *f, bool execveat, bool fcntl, bool write)
{
        assert_int_equal(husk_seccomp_filter_allows(f, SYS_execveat, execveat_args, 1U << 4), execveat);
        assert_int_equal(husk_seccomp_filter_allows(f, SYS_fcntl, setfd_args, 1U << 1 | 1U << 2), fcntl);
        assert_int_equal(husk_seccomp_filter_allows(f, SYS_write, no_args, 0), write);
}

static void test_allow_default_with_denied_execveat(void **state)
{
        (void)state;
        struct husk_seccomp_filter *f =
            compile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"execveat\"], "
                    "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}");
        assert_trampoline_calls(f, false, true, true);
        husk_seccomp_filter_freep(&f);
}

static void test_deny_default_lists_what_it_allows(void **state)
{
        (void)state;
        struct husk_seccomp_filter *f =
            compile("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"execve\", \"execveat\", "
                    "\"write\", \"fcntl\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
        assert_trampoline_calls(f, true, true, true);
        assert_false(husk_seccomp_filter_allows(f, SYS_read, no_args, 0));
        husk_seccomp_filter_freep(&f);
}

/* A rule on an argument the caller knows is evaluated; one on an argument it does not know is refused. */
static void test_argument_rules(void **state)
{
        (void)state;
        struct husk_seccomp_filter *f = compile(
            "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
            "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 2, "
            "\"op\": \"SCMP_CMP_LE\"}]},"
            "{\"names\": [\"fcntl\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 1, \"value\": 2, "
            "\"op\": \"SCMP_CMP_EQ\"}]},"
            "{\"names\": [\"execveat\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 4, \"value\": 256, "
            "\"op\": \"SCMP_CMP_MASKED_EQ\", \"valueTwo\": 0}]}]}");
        /* write's fd is not known: stdout would pass, the sync socket would not. */
        assert_false(husk_seccomp_filter_allows(f, SYS_write, no_args, 0));
        assert_true(husk_seccomp_filter_allows(f, SYS_fcntl, setfd_args, 1U << 1 | 1U << 2));
        const uint64_t getfd_args[6] = {[1] = F_GETFD};
        assert_false(husk_seccomp_filter_allows(f, SYS_fcntl, getfd_args, 1U << 1 | 1U << 2));
        /* AT_EMPTY_PATH without AT_SYMLINK_NOFOLLOW (0x100) passes the mask. */
        assert_true(husk_seccomp_filter_allows(f, SYS_execveat, execveat_args, 1U << 4));
        const uint64_t nofollow[6] = {[4] = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW};
        assert_false(husk_seccomp_filter_allows(f, SYS_execveat, nofollow, 1U << 4));
        husk_seccomp_filter_freep(&f);
}

/* husk_seccomp_filter_errno: the errno of an ERRNO action, 0 for any other action or an answer that depends on
 * an argument not known. */
static void test_errno_of_a_refusal(void **state)
{
        (void)state;
        struct husk_seccomp_filter *f = compile(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
            "{\"names\": [\"sendmsg\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
            "{\"names\": [\"writev\"], \"action\": \"SCMP_ACT_KILL\"},"
            "{\"names\": [\"write\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"args\": [{\"index\": 0, "
            "\"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}");
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_sendmsg, no_args, 0), 13);
        assert_false(husk_seccomp_filter_allows(f, SYS_sendmsg, no_args, 0));
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_writev, no_args, 0), 0);
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_read, no_args, 0), 0);
        /* write's fd decides: unknown, no answer; known, the rule's. */
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_write, no_args, 0), 0);
        const uint64_t fd2[6] = {[0] = 2};
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_write, fd2, 1U << 0), 1);
        assert_int_equal(husk_seccomp_filter_errno(f, SYS_write, no_args, 1U << 0), 0);
        husk_seccomp_filter_freep(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_allow_default_with_denied_execveat),
            cmocka_unit_test(test_deny_default_lists_what_it_allows),
            cmocka_unit_test(test_argument_rules),
            cmocka_unit_test(test_errno_of_a_refusal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
