/* Unit tests for linux/seccomp-filter: compile, ENOSYS stub, cache, install, actions, argument operators, notify. */
#include <fcntl.h>
#include <jansson.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <dirent.h>
#include <seccomp.h>
#include <time.h>

#include "helpers.h"
#include "../../lib/bpf-run.h"
#include "../../lib/tmpdir-fixture.h"
#include "linux/seccomp-filter.h"
#include "linux/seccomp-internal.h"
#include "spec/spec.h"
#include "util/cleanup.h"

/* valgrind cannot load seccomp filters (ENOSYS): tests that load one skip there, and only there. */
static bool under_valgrind(void)
{
        const char *preload = getenv("LD_PRELOAD");
        return preload && strstr(preload, "vgpreload") != NULL;
}

#define SKIP_IF_NO_SECCOMP()                \
        do {                                \
                if (under_valgrind())       \
                        skip();             \
        } while (0)

/* ---- building profiles by hand (the JSON parser is another module) ---- */

static char *names_getcwd[] = {"getcwd", NULL};

static struct husk_seccomp profile(enum husk_seccomp_action default_action, struct husk_seccomp_syscall *rules,
                                   size_t n)
{
        return (struct husk_seccomp){
                .present = true,
                .default_action = default_action,
                .syscalls = rules,
                .syscalls_len = n,
        };
}

static int compile_and_install(struct husk_seccomp *cfg, int *notify_fd)
{
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        if (husk_seccomp_compile(cfg, &filter, &err) < 0) {
                fprintf(stderr, "compile: %s\n", error_text(err));
                return -1;
        }
        /* Tests run as root without no_new_privs: CAP_SYS_ADMIN allows the load. */
        int r = husk_seccomp_install(filter, notify_fd, &err);
        if (r < 0)
                fprintf(stderr, "install: %s\n", error_text(err));
        husk_seccomp_filter_free(filter);
        return r;
}

/* ---- getcwd with errnoRet ---- */

static int child_getcwd_errno(void *arg)
{
        (void)arg;
        struct husk_seccomp_syscall rule = {
                .names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true, .errno_ret = 42};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        char buf[256];
        long r = syscall(SYS_getcwd, buf, sizeof(buf));
        CHILD_CHECK(r == -1 && errno == 42, "getcwd returned %ld errno %d", r, errno);
        /* Other syscalls are untouched. */
        CHILD_CHECK(syscall(SYS_getppid) > 0, "getppid");
        return 0;
}

static void test_errno_ret(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_getcwd_errno, NULL);
}

static int child_errno_default_eperm(void *arg)
{
        (void)arg;
        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        char buf[256];
        long r = syscall(SYS_getcwd, buf, sizeof(buf));
        CHILD_CHECK(r == -1 && errno == EPERM, "getcwd returned %ld errno %d", r, errno);
        return 0;
}

static void test_errno_defaults_to_eperm(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_errno_default_eperm, NULL);
}

/* Default ERRNO with defaultErrnoRet, and an allow list that keeps the child alive. */
static int child_default_errno(void *arg)
{
        (void)arg;
        static char *allowed[] = {"exit_group", "exit", "write", "getppid", "rt_sigreturn", "futex", NULL};
        struct husk_seccomp_syscall rule = {.names = allowed, .action = HUSK_SECCOMP_ALLOW};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, &rule, 1);
        cfg.has_default_errno_ret = true;
        cfg.default_errno_ret = ENOSYS;
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        char buf[64];
        long r = syscall(SYS_getcwd, buf, sizeof(buf));
        int saved = errno;
        long ppid = syscall(SYS_getppid);
        /* Leave with the raw syscall: libc and sanitizer exit paths make syscalls this profile denies. */
        syscall(SYS_exit_group, r == -1 && saved == ENOSYS && ppid > 0 ? 0 : 2);
        return 3;
}

static void test_default_errno_ret(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_default_errno, NULL);
}

/* ---- argument operators, with getpgid(arg0) and getpriority(arg0, arg1) ---- */

static char *names_getpgid[] = {"getpgid", NULL};
static char *names_getpriority[] = {"getpriority", NULL};

struct arg_case {
        struct husk_seccomp_arg args[3];
        size_t args_len;
        char **names;
        long match[4], nomatch[4]; /* arg0 values (getpgid) that hit / miss the rule; 0-terminated */
};

static int hits(char **names, long a0, long a1)
{
        errno = 0;
        long r = names == names_getpgid ? syscall(SYS_getpgid, a0) : syscall(SYS_getpriority, a0, a1);
        return r == -1 && errno == 42;
}

static int child_arg_case(void *arg)
{
        const struct arg_case *c = arg;
        struct husk_seccomp_syscall rule = {
                .names = c->names,
                .action = HUSK_SECCOMP_ERRNO,
                .has_errno_ret = true,
                .errno_ret = 42,
                .args = (struct husk_seccomp_arg *)c->args,
                .args_len = c->args_len,
        };
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        for (size_t i = 0; i < 4 && c->match[i]; i++)
                CHILD_CHECK(hits(c->names, c->match[i], 12345), "arg %ld should match", c->match[i]);
        for (size_t i = 0; i < 4 && c->nomatch[i]; i++)
                CHILD_CHECK(!hits(c->names, c->nomatch[i], 12345), "arg %ld should not match", c->nomatch[i]);
        return 0;
}

#define ARG(idx, o, v, v2) {.index = (idx), .op = (o), .value = (v), .value_two = (v2)}

static void test_arg_operators(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        const struct arg_case cases[] = {
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_EQ, 777, 0)}, .args_len = 1,
                 .match = {777}, .nomatch = {776, 778}},
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_NE, 777, 0)}, .args_len = 1,
                 .match = {776, 778}, .nomatch = {777}},
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_LT, 500, 0)}, .args_len = 1,
                 .match = {499, 1}, .nomatch = {500, 501}},
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_LE, 500, 0)}, .args_len = 1,
                 .match = {500, 499}, .nomatch = {501}},
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_GT, 500, 0)}, .args_len = 1,
                 .match = {501, 90000}, .nomatch = {500, 499}},
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_GE, 500, 0)}, .args_len = 1,
                 .match = {500, 501}, .nomatch = {499}},
                /* value is the mask, valueTwo what the masked argument must equal */
                {.names = names_getpgid, .args = {ARG(0, HUSK_SECCOMP_OP_MASKED_EQ, 0xff, 0x12)}, .args_len = 1,
                 .match = {0x12, 0x7712, 0x112}, .nomatch = {0x13, 0x21}},
                /* two conditions on one index: runc makes them separate rules, so either one matches */
                {.names = names_getpgid,
                 .args = {ARG(0, HUSK_SECCOMP_OP_EQ, 100, 0), ARG(0, HUSK_SECCOMP_OP_EQ, 200, 0)}, .args_len = 2,
                 .match = {100, 200}, .nomatch = {150, 300}},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int status = run_in_child_status(child_arg_case, (void *)&cases[i]);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        fail_msg("operator case %zu failed (status 0x%x)", i, status);
        }
}

/* Conditions on different indexes are ANDed in one rule. */
static int child_args_and(void *arg)
{
        (void)arg;
        struct husk_seccomp_arg args[] = {ARG(0, HUSK_SECCOMP_OP_EQ, PRIO_PROCESS, 0), ARG(1, HUSK_SECCOMP_OP_EQ, 4242, 0)};
        struct husk_seccomp_syscall rule = {.names = names_getpriority, .action = HUSK_SECCOMP_ERRNO,
                                            .has_errno_ret = true, .errno_ret = 42, .args = args, .args_len = 2};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        CHILD_CHECK(hits(names_getpriority, PRIO_PROCESS, 4242), "both conditions hold: must match");
        CHILD_CHECK(!hits(names_getpriority, PRIO_PROCESS, 4243), "second condition fails: must not match");
        CHILD_CHECK(!hits(names_getpriority, PRIO_PGRP, 4242), "first condition fails: must not match");
        return 0;
}

static void test_args_on_different_indexes_and(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_args_and, NULL);
}

/* ---- kill, log ---- */

static char *names_getppid[] = {"getppid", NULL};

static int child_kill(void *arg)
{
        enum husk_seccomp_action action = *(enum husk_seccomp_action *)arg;
        struct husk_seccomp_syscall rule = {.names = names_getppid, .action = action};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        if (compile_and_install(&cfg, NULL) < 0)
                return 1;
        syscall(SYS_getppid);
        return 2; /* not reached when the filter kills */
}

static void test_kill_process(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        enum husk_seccomp_action actions[] = {HUSK_SECCOMP_KILL_PROCESS, HUSK_SECCOMP_KILL, HUSK_SECCOMP_KILL_THREAD};
        for (size_t i = 0; i < 3; i++) {
                int status = run_in_child_status(child_kill, &actions[i]);
                assert_true(WIFSIGNALED(status));
                assert_int_equal(WTERMSIG(status), SIGSYS);
        }
}

static int child_log_allow(void *arg)
{
        (void)arg;
        struct husk_seccomp_syscall rule = {.names = names_getppid, .action = HUSK_SECCOMP_LOG};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        cfg.flags = HUSK_SECCOMP_FLAG_LOG | HUSK_SECCOMP_FLAG_SPEC_ALLOW;
        pid_t parent = getppid();
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        CHILD_CHECK(syscall(SYS_getppid) == parent, "SCMP_ACT_LOG must let the syscall run");
        return 0;
}

static void test_log_and_allow(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_log_allow, NULL);
}

/* ---- compile-time checks ---- */

static void expect_compile_error(struct husk_seccomp *cfg, const char *text)
{
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        int r = husk_seccomp_compile(cfg, &filter, &err);
        if (r >= 0)
                fail_msg("compile succeeded, expected `%s`", text);
        if (!contains(err->msg, text))
                fail_msg("error `%s`, expected `%s`", err->msg, text);
        assert_null(filter);
        husk_error_free(err);
}

static void test_compile_errors(void **state)
{
        (void)state;
        static char *names_write[] = {"write", NULL};
        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ALLOW, .has_errno_ret = true,
                                            .errno_ret = 1};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, &rule, 1);
        expect_compile_error(&cfg, "linux.seccomp.syscalls[0]: errnoRet is only valid with SCMP_ACT_ERRNO");

        /* libseccomp takes an errno below 4095; TRACE's data is any 16 bits. */
        rule.action = HUSK_SECCOMP_ERRNO;
        rule.errno_ret = 4095;
        cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        expect_compile_error(&cfg,
                             "linux.seccomp.syscalls[0]: errnoRet 4095 is out of range (0-4094 for SCMP_ACT_ERRNO)");
        rule.action = HUSK_SECCOMP_TRACE;
        rule.errno_ret = 65536;
        expect_compile_error(&cfg,
                             "linux.seccomp.syscalls[0]: errnoRet 65536 is out of range (0-65535 for SCMP_ACT_TRACE)");

        cfg = profile(HUSK_SECCOMP_NOTIFY, NULL, 0);
        expect_compile_error(&cfg, "SCMP_ACT_NOTIFY cannot be the default action");

        struct husk_seccomp_syscall notify_write = {.names = names_write, .action = HUSK_SECCOMP_NOTIFY};
        cfg = profile(HUSK_SECCOMP_ALLOW, &notify_write, 1);
        cfg.listener_path = "/run/agent.sock";
        expect_compile_error(&cfg, "SCMP_ACT_NOTIFY cannot be used for `write`");

        /* libseccomp asks the kernel whether it has SCMP_ACT_NOTIFY: under valgrind it does not. */
        struct husk_seccomp_syscall notify = {.names = names_getcwd, .action = HUSK_SECCOMP_NOTIFY};
        cfg = profile(HUSK_SECCOMP_ALLOW, &notify, 1);
        if (!under_valgrind())
                expect_compile_error(&cfg, "listenerPath is not set");

        static char *bad_arch[] = {"SCMP_ARCH_VAX", NULL};
        cfg = profile(HUSK_SECCOMP_ALLOW, NULL, 0);
        cfg.architectures = bad_arch;
        expect_compile_error(&cfg, "linux.seccomp.architectures[0]: unknown architecture `SCMP_ARCH_VAX`");

        struct husk_seccomp_arg bad_index = ARG(6, HUSK_SECCOMP_OP_EQ, 1, 0);
        struct husk_seccomp_syscall bad_arg = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .args = &bad_index,
                                               .args_len = 1};
        cfg = profile(HUSK_SECCOMP_ALLOW, &bad_arg, 1);
        expect_compile_error(&cfg, "linux.seccomp.syscalls[0].args[0]: index 6 is out of range");
}

static void test_unknown_syscall_skipped_and_arches(void **state)
{
        (void)state;
        static char *names[] = {"no_such_syscall_husk", "getcwd", NULL};
        static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
        struct husk_seccomp_syscall rule = {.names = names, .action = HUSK_SECCOMP_ERRNO};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *one = NULL, *three = NULL;
        assert_int_equal(husk_seccomp_compile(&cfg, &one, &err), 0);
        cfg.architectures = arches;
        assert_int_equal(husk_seccomp_compile(&cfg, &three, &err), 0);
        size_t len_one, len_three;
        husk_seccomp_filter_bpf(one, &len_one);
        husk_seccomp_filter_bpf(three, &len_three);
        /* Each extra architecture adds its own checks. */
        assert_true(len_three > len_one);
        assert_false(husk_seccomp_filter_has_listener(one));
        husk_seccomp_filter_free(one);
        husk_seccomp_filter_free(three);
}

/* ---- cache ---- */

static void test_cache(void **state)
{
        char *dir = *state;
        char cache_dir[64];
        snprintf(cache_dir, sizeof(cache_dir), "%s/cache", dir); /* created by the first compile */

        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true,
                                            .errno_ret = 42};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *first = NULL, *second = NULL, *fresh = NULL, *other = NULL;
        bool hit = true;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &first, &hit, &err), 0);
        assert_false(hit);
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &second, &hit, &err), 0);
        assert_true(hit);
        assert_int_equal(husk_seccomp_compile(&cfg, &fresh, &err), 0);

        size_t l1, l2, l3;
        const void *b1 = husk_seccomp_filter_bpf(first, &l1);
        const void *b2 = husk_seccomp_filter_bpf(second, &l2);
        const void *b3 = husk_seccomp_filter_bpf(fresh, &l3);
        assert_int_equal(l1, l2);
        assert_int_equal(l1, l3);
        assert_memory_equal(b1, b2, l1 * 8);
        assert_memory_equal(b1, b3, l1 * 8);

        /* Exactly one file, named <16 hex digits>.bpf, 0600. */
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "test $(ls %s | grep -cE '^[0-9a-f]{16}\\.bpf$') = 1 && test $(ls -A %s | wc -l) = 1",
                 cache_dir, cache_dir);
        assert_int_equal(system(cmd), 0);

        /* Another errno is another profile: a miss, and a second file. */
        rule.errno_ret = 43;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &other, &hit, &err), 0);
        assert_false(hit);
        size_t l4;
        const void *b4 = husk_seccomp_filter_bpf(other, &l4);
        assert_true(l4 != l1 || memcmp(b1, b4, l1 * 8) != 0);

        /* A damaged file (here: truncated) is a miss, rebuilt, and then a hit again. */
        snprintf(cmd, sizeof(cmd), "for f in %s/*.bpf; do truncate -s -3 $f; done", cache_dir);
        assert_int_equal(system(cmd), 0);
        husk_seccomp_filter_free(other);
        other = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &other, &hit, &err), 0);
        assert_false(hit);
        husk_seccomp_filter_free(other);
        other = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &other, &hit, &err), 0);
        assert_true(hit);

        /* A file others can write is not trusted. */
        snprintf(cmd, sizeof(cmd), "chmod 0666 %s/*.bpf", cache_dir);
        assert_int_equal(system(cmd), 0);
        husk_seccomp_filter_free(other);
        other = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, cache_dir, &other, &hit, &err), 0);
        assert_false(hit);

        husk_seccomp_filter_free(first);
        husk_seccomp_filter_free(second);
        husk_seccomp_filter_free(fresh);
        husk_seccomp_filter_free(other);
}

static void expect_ret(const struct husk_seccomp_filter *filter, uint32_t audit_arch, uint32_t nr, uint32_t want);

/* A parsed config's rules stay text until a filter is built: a hit on that text never parses them. */
static struct husk_spec *parse_config_n(const char *rules, size_t rules_len)
{
        static const char head[] =
            "{\"ociVersion\":\"1.0.2\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":";
        static const char tail[] = "}}}";
        char text[4096];
        size_t len = sizeof(head) - 1 + rules_len + sizeof(tail) - 1;
        assert_true(len <= sizeof(text));
        memcpy(text, head, sizeof(head) - 1);
        memcpy(text + sizeof(head) - 1, rules, rules_len);
        memcpy(text + sizeof(head) - 1 + rules_len, tail, sizeof(tail) - 1);
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        if (husk_spec_parse(text, len, NULL, &spec, &err) < 0)
                fail_msg("parse: %s", error_text(err));
        return spec;
}

static struct husk_spec *parse_config(const char *rules)
{
        return parse_config_n(rules, strlen(rules));
}

static void test_cache_keyed_on_rules_text(void **state)
{
        char *dir = *state;
        static const char rules[] = "[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]";
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *first = NULL, *second = NULL, *third = NULL;
        bool hit = true;

        struct husk_spec *spec = parse_config(rules);
        struct husk_seccomp *cfg = &spec->linux_.seccomp;
        assert_non_null(cfg->syscalls_json);
        assert_int_equal(cfg->syscalls_len, 0);
        assert_int_equal(husk_seccomp_compile_cached(cfg, dir, &first, &hit, &err), 0);
        assert_false(hit);
        assert_null(cfg->syscalls_json); /* a miss parsed them */
        assert_int_equal(cfg->syscalls_len, 1);
        assert_int_equal(cfg->syscalls[0].errno_ret, 42);
        husk_spec_free(spec);

        spec = parse_config(rules);
        cfg = &spec->linux_.seccomp;
        assert_int_equal(husk_seccomp_compile_cached(cfg, dir, &second, &hit, &err), 0);
        assert_true(hit);
        assert_non_null(cfg->syscalls_json); /* never parsed */
        assert_int_equal(cfg->syscalls_len, 0);
        size_t l1, l2;
        const void *b1 = husk_seccomp_filter_bpf(first, &l1);
        const void *b2 = husk_seccomp_filter_bpf(second, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1 * 8);
        husk_spec_free(spec);

        /* The same rules written differently are other text: a miss. */
        spec = parse_config("[ {\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42} ]");
        assert_int_equal(husk_seccomp_compile_cached(&spec->linux_.seccomp, dir, &third, &hit, &err), 0);
        assert_false(hit);
        husk_spec_free(spec);

        /* The parser skips a NUL after a number: texts that differ only past one are other keys. */
        static const char cut[] = "[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42\0}]";
        static const char more[] = "[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42\0},"
                                   "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7}]";
        struct husk_seccomp_filter *with_cut = NULL, *with_more = NULL;
        spec = parse_config_n(cut, sizeof(cut) - 1);
        assert_int_equal(husk_seccomp_compile_cached(&spec->linux_.seccomp, dir, &with_cut, &hit, &err), 0);
        assert_false(hit);
        husk_spec_free(spec);
        spec = parse_config_n(more, sizeof(more) - 1);
        assert_int_equal(husk_seccomp_compile_cached(&spec->linux_.seccomp, dir, &with_more, &hit, &err), 0);
        assert_false(hit);
        husk_spec_free(spec);
        expect_ret(with_more, AUDIT_ARCH_X86_64, SYS_getppid, SECCOMP_RET_ERRNO | 7);
        expect_ret(with_cut, AUDIT_ARCH_X86_64, SYS_getppid, SECCOMP_RET_ALLOW);
        husk_seccomp_filter_free(with_cut);
        husk_seccomp_filter_free(with_more);

        /* Rules the parser would refuse fail the build with its error, and leave no entry. */
        spec = parse_config("[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]");
        struct husk_seccomp_filter *bad = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&spec->linux_.seccomp, dir, &bad, &hit, &err), -EINVAL);
        assert_null(bad);
        assert_string_equal(err->msg, "config.json: linux.seccomp.syscalls[0].names: must not be empty");
        husk_error_free(err);
        husk_spec_free(spec);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 4", dir);
        assert_int_equal(system(cmd), 0);

        husk_seccomp_filter_free(first);
        husk_seccomp_filter_free(second);
        husk_seccomp_filter_free(third);
}

/* A cached filter behaves like a fresh one once loaded. */
static int child_cached_install(void *arg)
{
        const char *cache_dir = arg;
        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true,
                                            .errno_ret = 42};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        bool hit = false;
        CHILD_CHECK(husk_seccomp_compile_cached(&cfg, cache_dir, &filter, &hit, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(hit, "expected a cache hit");
        CHILD_CHECK(husk_seccomp_install(filter, NULL, &err) == 0, "%s", error_text(err));
        char buf[64];
        CHILD_CHECK(syscall(SYS_getcwd, buf, sizeof(buf)) == -1 && errno == 42, "getcwd not filtered");
        return 0;
}

static void test_cached_filter_installs(void **state)
{
        SKIP_IF_NO_SECCOMP();
        char *dir = *state;
        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true,
                                            .errno_ret = 42};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &filter, NULL, &err), 0);
        husk_seccomp_filter_free(filter);
        assert_child_ok(child_cached_install, dir);
}

static uint32_t eval(const struct husk_seccomp_filter *filter, uint32_t audit_arch, uint32_t nr)
{
        size_t len;
        const struct sock_filter *prog = husk_seccomp_filter_bpf(filter, &len);
        struct seccomp_data d = {.nr = (int)nr, .arch = audit_arch};
        return bpf_run(prog, len, &d);
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define RET_ENOSYS RET_ERRNO(ENOSYS)
#define X32_BIT 0x40000000u

static void expect_ret(const struct husk_seccomp_filter *filter, uint32_t audit_arch, uint32_t nr, uint32_t want)
{
        uint32_t got = eval(filter, audit_arch, nr);
        if (got != want)
                fail_msg("arch %#x syscall %u (%#x): filter returns %#x, expected %#x", audit_arch, nr, nr, got, want);
}

static struct husk_seccomp_filter *compile_ok(struct husk_seccomp *cfg)
{
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        if (husk_seccomp_compile(cfg, &filter, &err) < 0)
                fail_msg("compile: %s", error_text(err));
        return filter;
}

/* ---- the ENOSYS stub, read by the interpreter ---- */

static char *names_small_allow[] = {"read", "write", "exit_group", "getppid", "cacheflush", NULL};

static void test_enosys_stub_little_endian_arches(void **state)
{
        (void)state;
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                skip(); /* the numbers below are x86_64-host expectations; libseccomp only mixes same-endian arches */
        static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86",        "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
                                 "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",    "SCMP_ARCH_MIPSEL64N32",
                                 "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",   NULL};
        struct husk_seccomp_syscall rules[] = {
                {.names = names_small_allow, .action = HUSK_SECCOMP_ALLOW},
                {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true, .errno_ret = 42},
        };
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, rules, 2);
        cfg.architectures = arches;
        struct husk_seccomp_filter *f = compile_ok(&cfg);

        /* x86_64: exit_group (231) is the largest number named */
        expect_ret(f, AUDIT_ARCH_X86_64, 232, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_X86_64, 435, RET_ENOSYS); /* clone3 */
        expect_ret(f, AUDIT_ARCH_X86_64, 0x3fffffff, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_X86_64, 231, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_X86_64, 110, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_X86_64, 79, RET_ERRNO(42));
        expect_ret(f, AUDIT_ARCH_X86_64, 83, RET_ERRNO(EPERM)); /* mkdir: older than the profile, not listed */
        /* x32: the same audit arch, numbers with bit 30 set; its rt_sigreturn is 513 but nothing names it */
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 232, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 600, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 110, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 79, RET_ERRNO(42));
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 83, RET_ERRNO(EPERM));
        /* i386: exit_group is 252 */
        expect_ret(f, AUDIT_ARCH_I386, 253, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_I386, 435, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_I386, 252, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_I386, 183, RET_ERRNO(42));
        expect_ret(f, AUDIT_ARCH_I386, 39, RET_ERRNO(EPERM));
        /* ARM: exit_group is 248; cacheflush (0xf0002) is a private call: allowed, and not what sets the max */
        expect_ret(f, AUDIT_ARCH_ARM, 249, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_ARM, 0xf0002, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_ARM, 0xf0005, RET_ERRNO(EPERM)); /* set_tls: private, not listed: the default */
        expect_ret(f, AUDIT_ARCH_ARM, 183, RET_ERRNO(42));
        expect_ret(f, AUDIT_ARCH_ARM, 39, RET_ERRNO(EPERM));
        /* aarch64: getppid (173) is the largest */
        expect_ret(f, AUDIT_ARCH_AARCH64, 174, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_AARCH64, 173, SECCOMP_RET_ALLOW);
        expect_ret(f, AUDIT_ARCH_AARCH64, 17, RET_ERRNO(42));
        expect_ret(f, AUDIT_ARCH_AARCH64, 172, RET_ERRNO(EPERM));

        /* Every listed arch, by libseccomp's own numbers: named calls reach the rules, the next number is ENOSYS. */
        for (size_t i = 0; arches[i]; i++) {
                uint32_t token = husk_seccomp_arch_token(arches[i]);
                uint32_t audit = token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token;
                int max = -1;
                for (size_t j = 0; names_small_allow[j]; j++) {
                        int nr = seccomp_syscall_resolve_name_arch(token, names_small_allow[j]);
                        if (nr < 0 || (token == SCMP_ARCH_ARM && nr >= 0xf0000))
                                continue;
                        expect_ret(f, audit, (uint32_t)nr, SECCOMP_RET_ALLOW);
                        if (nr > max)
                                max = nr;
                }
                int getcwd_nr = seccomp_syscall_resolve_name_arch(token, "getcwd");
                if (getcwd_nr > max)
                        max = getcwd_nr;
                assert_true(max > 0);
                expect_ret(f, audit, (uint32_t)getcwd_nr, RET_ERRNO(42));
                expect_ret(f, audit, (uint32_t)max + 1, RET_ENOSYS);
                expect_ret(f, audit, (uint32_t)max + 100, RET_ENOSYS);
        }
        /* An arch outside the filter gets libseccomp's bad-arch action (kill), not ENOSYS. */
        expect_ret(f, AUDIT_ARCH_PPC64, 1000, SECCOMP_RET_KILL_THREAD);
        husk_seccomp_filter_free(f);
}

/* Without SCMP_ARCH_X32 in the filter, x32 numbers are libseccomp's business (bad arch), never ENOSYS. */
static void test_enosys_stub_x86_64_without_x32(void **state)
{
        (void)state;
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                skip();
        struct husk_seccomp_syscall rule = {.names = names_small_allow, .action = HUSK_SECCOMP_ALLOW};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, &rule, 1);
        struct husk_seccomp_filter *f = compile_ok(&cfg);
        expect_ret(f, AUDIT_ARCH_X86_64, 232, RET_ENOSYS);
        expect_ret(f, AUDIT_ARCH_X86_64, 83, RET_ERRNO(EPERM));
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 600, SECCOMP_RET_KILL_THREAD);
        expect_ret(f, AUDIT_ARCH_X86_64, X32_BIT | 1, SECCOMP_RET_KILL_THREAD);
        /* i386 is not in this filter either */
        expect_ret(f, AUDIT_ARCH_I386, 1000, SECCOMP_RET_KILL_THREAD);
        husk_seccomp_filter_free(f);
}

/* s390x cannot share a filter with this host's arch (libseccomp mixes only same-endian arches): patch a stand-in. */
static void test_enosys_stub_s390x_multiplexer(void **state)
{
        (void)state;
        static char *arches[] = {"SCMP_ARCH_S390X", NULL};
        struct husk_seccomp_syscall rule = {.names = names_small_allow, .action = HUSK_SECCOMP_ALLOW};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, &rule, 1);
        cfg.architectures = arches;
        /* The stand-in for libseccomp's program allows everything: what reaches it is not ENOSYS. */
        struct husk_seccomp_filter filter = {.len = 1};
        filter.insns = malloc(sizeof(*filter.insns));
        assert_non_null(filter.insns);
        filter.insns[0] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        struct husk_error *err = NULL;
        assert_int_equal(husk_seccomp_enosys_patch(&cfg, &filter.insns, &filter.len, &err), 0);
        assert_true(filter.len > 1);
        int exit_group = seccomp_syscall_resolve_name_arch(SCMP_ARCH_S390X, "exit_group"); /* 248, the largest */
        assert_int_equal(exit_group, 248);
        expect_ret(&filter, AUDIT_ARCH_S390X, 0, RET_ENOSYS); /* the multiplexer an unknown number becomes */
        expect_ret(&filter, AUDIT_ARCH_S390X, 249, RET_ENOSYS);
        expect_ret(&filter, AUDIT_ARCH_S390X, 248, SECCOMP_RET_ALLOW);
        expect_ret(&filter, AUDIT_ARCH_S390X, 3, SECCOMP_RET_ALLOW);
        expect_ret(&filter, AUDIT_ARCH_PPC64, 1000, SECCOMP_RET_ALLOW); /* not in the stub: straight to the filter */
        free(filter.insns);
}

/* runc's rule: only a denying default gets the stub. */
static void test_enosys_stub_by_default_action(void **state)
{
        (void)state;
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                skip();
        struct husk_seccomp_syscall rule = {.names = names_small_allow, .action = HUSK_SECCOMP_ALLOW};
        static const struct {
                enum husk_seccomp_action action;
                bool has_errno;
                unsigned int errno_ret;
                bool stub;
                uint32_t default_ret;
        } cases[] = {
                {HUSK_SECCOMP_ERRNO, false, 0, true, RET_ERRNO(EPERM)},
                {HUSK_SECCOMP_ERRNO, true, 42, true, RET_ERRNO(42)},
                {HUSK_SECCOMP_ERRNO, true, ENOSYS, false, RET_ENOSYS},
                {HUSK_SECCOMP_KILL, false, 0, true, SECCOMP_RET_KILL_THREAD},
                {HUSK_SECCOMP_KILL_THREAD, false, 0, true, SECCOMP_RET_KILL_THREAD},
                {HUSK_SECCOMP_KILL_PROCESS, false, 0, true, SECCOMP_RET_KILL_PROCESS},
                {HUSK_SECCOMP_TRAP, false, 0, true, SECCOMP_RET_TRAP},
                {HUSK_SECCOMP_TRACE, false, 0, false, SECCOMP_RET_TRACE | EPERM},
                {HUSK_SECCOMP_LOG, false, 0, false, SECCOMP_RET_LOG},
                {HUSK_SECCOMP_ALLOW, false, 0, false, SECCOMP_RET_ALLOW},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                /* libseccomp asks the kernel whether it has KILL_PROCESS and LOG: under valgrind it does not. */
                if ((cases[i].action == HUSK_SECCOMP_KILL_PROCESS || cases[i].action == HUSK_SECCOMP_LOG) &&
                    under_valgrind())
                        continue;
                struct husk_seccomp cfg = profile(cases[i].action, &rule, 1);
                cfg.has_default_errno_ret = cases[i].has_errno;
                cfg.default_errno_ret = cases[i].errno_ret;
                assert_int_equal(husk_seccomp_wants_enosys_stub(&cfg), cases[i].stub);
                struct husk_seccomp_filter *f = compile_ok(&cfg);
                /* 1000: newer than the profile; 83 (mkdir): older, not listed */
                uint32_t new_ret = eval(f, AUDIT_ARCH_X86_64, 1000), old_ret = eval(f, AUDIT_ARCH_X86_64, 83);
                if (old_ret != cases[i].default_ret || new_ret != (cases[i].stub ? RET_ENOSYS : cases[i].default_ret))
                        fail_msg("case %zu: syscall 1000 -> %#x, 83 -> %#x", i, new_ret, old_ret);
                husk_seccomp_filter_free(f);
        }
}

/* ---- the ENOSYS stub in the kernel ---- */

/* What busybox-free children need to report and leave under an allow-list profile. */
static char *names_child_allow[] = {"exit_group", "exit", "write", "writev", "getppid", "rt_sigreturn", "futex", NULL};

#if defined(__x86_64__)
/* A syscall through the i386 entry (audit arch I386) from this 64-bit process; -errno on failure. */
static long int80(long nr, long a1, long a2)
{
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2) : "memory", "r8", "r9", "r10", "r11");
        return ret;
}

static int child_int80_probe(void *arg)
{
        (void)arg;
        return int80(20 /* i386 getpid */, 0, 0) == getpid() ? 0 : 1;
}
#endif

static int enosys_kernel_checks(void *arg)
{
        bool with_int80 = *(bool *)arg;
        static char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
        struct husk_seccomp_syscall rules[] = {
                {.names = names_child_allow, .action = HUSK_SECCOMP_ALLOW},
                {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true, .errno_ret = 42},
        };
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, rules, 2);
        cfg.architectures = arches;
        pid_t parent = getppid();
        CHILD_CHECK(compile_and_install(&cfg, NULL) == 0, "install");
        char buf[64];
        long r;
        errno = 0;
        r = syscall(435, NULL, 0); /* clone3: newer than exit_group (231), the largest number named */
        CHILD_CHECK(r == -1 && errno == ENOSYS, "clone3: %ld errno %d", r, errno);
        r = syscall(1000);
        CHILD_CHECK(r == -1 && errno == ENOSYS, "syscall 1000: %ld errno %d", r, errno);
        r = syscall(SYS_mkdir, "/nonexistent-husk", 0700);
        CHILD_CHECK(r == -1 && errno == EPERM, "mkdir: %ld errno %d", r, errno);
        r = syscall(SYS_getcwd, buf, sizeof(buf));
        CHILD_CHECK(r == -1 && errno == 42, "getcwd: %ld errno %d", r, errno);
        CHILD_CHECK(syscall(SYS_getppid) == parent, "getppid must be allowed");
        /* The x32 ABI: the kernel runs seccomp on these numbers even when it has no x32 support. */
        r = syscall(X32_BIT | 600);
        CHILD_CHECK(r == -1 && errno == ENOSYS, "x32 600: %ld errno %d", r, errno);
        r = syscall(X32_BIT | 83, "/nonexistent-husk", 0700);
        CHILD_CHECK(r == -1 && errno == EPERM, "x32 mkdir: %ld errno %d", r, errno);
        r = syscall(X32_BIT | 79, buf, sizeof(buf));
        CHILD_CHECK(r == -1 && errno == 42, "x32 getcwd: %ld errno %d", r, errno);
#if defined(__x86_64__)
        if (with_int80) {
                r = int80(400, 0, 0); /* i386 exit_group is 252 */
                CHILD_CHECK(r == -ENOSYS, "i386 400: %ld", r);
                r = int80(39 /* mkdir */, 0, 0);
                CHILD_CHECK(r == -EPERM, "i386 mkdir: %ld", r);
                r = int80(183 /* getcwd */, 0, 0);
                CHILD_CHECK(r == -42, "i386 getcwd: %ld", r);
                r = int80(64 /* getppid */, 0, 0);
                CHILD_CHECK(r == parent, "i386 getppid: %ld", r);
        }
#else
        (void)with_int80;
#endif
        return 0;
}

/* Leave with the raw syscall: libc and sanitizer exit paths make syscalls the profile denies. */
static int child_enosys_kernel(void *arg)
{
        syscall(SYS_exit_group, enosys_kernel_checks(arg));
        return 1;
}

static void test_enosys_in_the_kernel(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                skip();
        bool with_int80 = false;
#if defined(__x86_64__)
        int status = run_in_child_status(child_int80_probe, NULL);
        with_int80 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!with_int80)
                fprintf(stderr, "# no i386 syscall entry (ia32 emulation off): i386 checks skipped\n");
#endif
        assert_child_ok(child_enosys_kernel, &with_int80);
}

/* A KILL or TRAP default kills for old syscalls but answers ENOSYS for new ones, as runc does. */
struct kill_default_case {
        enum husk_seccomp_action action;
        int report_fd; /* the child writes 'E' here once clone3 got ENOSYS */
};

static int child_enosys_kill_default(void *arg)
{
        const struct kill_default_case *c = arg;
        struct husk_seccomp_syscall rule = {.names = names_child_allow, .action = HUSK_SECCOMP_ALLOW};
        struct husk_seccomp cfg = profile(c->action, &rule, 1);
        if (compile_and_install(&cfg, NULL) < 0)
                return 1;
        long r = syscall(435, NULL, 0);
        if (r != -1 || errno != ENOSYS)
                syscall(SYS_exit_group, 2);
        if (write(c->report_fd, "E", 1) != 1)
                syscall(SYS_exit_group, 3);
        char buf[64];
        syscall(SYS_getcwd, buf, sizeof(buf)); /* older than the profile, not listed: the default */
        syscall(SYS_exit_group, 4);
        return 5;
}

static void test_enosys_with_kill_and_trap_defaults(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        enum husk_seccomp_action actions[] = {HUSK_SECCOMP_KILL_PROCESS, HUSK_SECCOMP_TRAP};
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
                int fds[2];
                assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
                struct kill_default_case c = {.action = actions[i], .report_fd = fds[1]};
                int status = run_in_child_status(child_enosys_kill_default, &c);
                close(fds[1]);
                char got = 0;
                ssize_t n = read(fds[0], &got, 1);
                close(fds[0]);
                if (n != 1 || got != 'E')
                        fail_msg("default %d: clone3 did not return ENOSYS (status 0x%x)", (int)actions[i], status);
                if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
                        fail_msg("default %d: getcwd did not die of SIGSYS (status 0x%x)", (int)actions[i], status);
        }
}

/* The patched program still loads with every flag husk passes, NEW_LISTENER (and its fd) included. */
static int enosys_flags_listener_checks(void)
{
        struct husk_seccomp_syscall rules[] = {
                {.names = names_child_allow, .action = HUSK_SECCOMP_ALLOW},
                {.names = names_getcwd, .action = HUSK_SECCOMP_NOTIFY},
        };
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, rules, 2);
        cfg.listener_path = "/run/unused-agent.sock";
        cfg.flags = HUSK_SECCOMP_FLAG_LOG | HUSK_SECCOMP_FLAG_SPEC_ALLOW | HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV;
        int notify_fd = -1;
        CHILD_CHECK(compile_and_install(&cfg, &notify_fd) == 0, "install");
        CHILD_CHECK(notify_fd >= 0, "no listener fd");
        long r = syscall(1000);
        CHILD_CHECK(r == -1 && errno == ENOSYS, "syscall 1000: %ld errno %d", r, errno);
        r = syscall(SYS_mkdir, "/nonexistent-husk", 0700);
        CHILD_CHECK(r == -1 && errno == EPERM, "mkdir: %ld errno %d", r, errno);
        return 0;
}

static int child_enosys_flags_listener(void *arg)
{
        (void)arg;
        syscall(SYS_exit_group, enosys_flags_listener_checks());
        return 1;
}

static void test_enosys_with_flags_and_listener(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        assert_child_ok(child_enosys_flags_listener, NULL);
}

/* ---- cache: the patched program, checksums, bound ---- */

static int count_cache_entries(const char *dir)
{
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "exit $(ls -A %s | grep -cE '^[0-9a-f]{16}\\.bpf$')", dir);
        int status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool file_exists_at(const char *dir, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

static void set_mtime(const char *dir, const char *name, time_t when)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        struct timespec times[2] = {{.tv_sec = when}, {.tv_sec = when}};
        assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* Compile profile `n` (an errno of its own) into dir; the name of the entry it added, or "" on a hit. */
static bool compile_numbered(const char *dir, unsigned int n, char *ret_name, size_t size)
{
        char before[8192] = "", cmd[256];
        snprintf(cmd, sizeof(cmd), "ls -A %s 2>/dev/null", dir);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t got = fread(before, 1, sizeof(before) - 1, p);
        before[got] = '\0';
        pclose(p);

        struct husk_seccomp_syscall rules[] = {
                {.names = names_child_allow, .action = HUSK_SECCOMP_ALLOW},
                {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true, .errno_ret = 1000 + n},
        };
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, rules, 2);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        bool hit = false;
        if (husk_seccomp_compile_cached(&cfg, dir, &filter, &hit, &err) < 0)
                fail_msg("compile %u: %s", n, error_text(err));
        husk_seccomp_filter_free(filter);

        ret_name[0] = '\0';
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d)))
                if (strlen(de->d_name) == 20 && strstr(de->d_name, ".bpf") && !strstr(before, de->d_name))
                        snprintf(ret_name, size, "%s", de->d_name);
        closedir(d);
        return hit;
}

static void test_cache_holds_the_patched_filter(void **state)
{
        char *dir = *state;
        struct husk_seccomp_syscall rule = {.names = names_small_allow, .action = HUSK_SECCOMP_ALLOW};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ERRNO, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *first = NULL, *cached = NULL, *fresh = NULL;
        bool hit = true;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &first, &hit, &err), 0);
        assert_false(hit);
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &cached, &hit, &err), 0);
        assert_true(hit);
        fresh = compile_ok(&cfg);
        size_t l1, l2;
        const void *b1 = husk_seccomp_filter_bpf(cached, &l1);
        const void *b2 = husk_seccomp_filter_bpf(fresh, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1 * sizeof(struct sock_filter));
        if (seccomp_arch_native() == SCMP_ARCH_X86_64)
                expect_ret(cached, AUDIT_ARCH_X86_64, 435, RET_ENOSYS);

        /* One byte of the program changed, the size kept: the checksum catches it; rebuilt, then a hit. */
        char cmd[512];
        snprintf(cmd, sizeof(cmd),
                 "f=$(ls %s/*.bpf) && printf '\\377' | dd of=$f bs=1 seek=$(($(stat -c %%s $f) - 3)) conv=notrunc "
                 "status=none",
                 dir);
        assert_int_equal(system(cmd), 0);
        husk_seccomp_filter_free(cached);
        cached = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &cached, &hit, &err), 0);
        assert_false(hit);
        husk_seccomp_filter_free(cached);
        cached = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &cached, &hit, &err), 0);
        assert_true(hit);
        b1 = husk_seccomp_filter_bpf(cached, &l1);
        assert_memory_equal(b1, b2, l1 * sizeof(struct sock_filter));

        husk_seccomp_filter_free(first);
        husk_seccomp_filter_free(cached);
        husk_seccomp_filter_free(fresh);
}

/* At most HUSK_SECCOMP_CACHE_MAX_ENTRIES entries; the least recently used (hits count as use) goes first. */
static void test_cache_bound_lru(void **state)
{
        char *dir = *state;
        enum { N = HUSK_SECCOMP_CACHE_MAX_ENTRIES };
        char names[N + 1][32];
        /* Fill the cache; entry i gets mtime base+i (file times are too coarse to order quick writes). */
        time_t base = time(NULL) - 100000;
        for (unsigned int i = 0; i < N; i++) {
                assert_false(compile_numbered(dir, i, names[i], sizeof(names[i])));
                assert_true(names[i][0] != '\0');
                set_mtime(dir, names[i], base + i);
        }
        assert_int_equal(count_cache_entries(dir), N);

        /* A hit on the oldest makes it the most recent. */
        char none[32];
        assert_true(compile_numbered(dir, 0, none, sizeof(none)));
        /* One more profile: the cache stays at N, and entry 1 (now the oldest) is the one evicted. */
        assert_false(compile_numbered(dir, N, names[N], sizeof(names[N])));
        assert_int_equal(count_cache_entries(dir), N);
        assert_true(file_exists_at(dir, names[0]));
        assert_false(file_exists_at(dir, names[1]));
        assert_true(file_exists_at(dir, names[2]));
        assert_true(file_exists_at(dir, names[N]));
        /* Evicted means compiled again. */
        assert_false(compile_numbered(dir, 1, none, sizeof(none)));
        assert_int_equal(count_cache_entries(dir), N);

        /* Many more distinct profiles never grow it past the bound. */
        for (unsigned int i = 100; i < 100 + N / 2; i++)
                compile_numbered(dir, i, none, sizeof(none));
        assert_int_equal(count_cache_entries(dir), N);
}

/* A writer that died leaves a temporary file: removed once stale; a fresh one may be in use; others are not ours. */
static void test_cache_prunes_stale_temporary_files(void **state)
{
        char *dir = *state;
        static const char *stale = ".0123456789abcdef.bpf.4242.17.tmp", *fresh = ".fedcba9876543210.bpf.4243.18.tmp";
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cd %s && touch %s %s notes.txt 0123456789abcdef.bpf.bak", dir, stale, fresh);
        assert_int_equal(system(cmd), 0);
        set_mtime(dir, stale, time(NULL) - 3600);
        char name[32];
        assert_false(compile_numbered(dir, 7, name, sizeof(name)));
        assert_false(file_exists_at(dir, stale));
        assert_true(file_exists_at(dir, fresh));
        assert_true(file_exists_at(dir, "notes.txt"));
        assert_true(file_exists_at(dir, "0123456789abcdef.bpf.bak"));
        assert_true(file_exists_at(dir, name));
}

/* ---- notify ---- */

struct notify_ctx {
        char socket_path[108];
};

static int child_notify(void *arg)
{
        const struct notify_ctx *ctx = arg;
        struct husk_seccomp_syscall rule = {.names = names_getppid, .action = HUSK_SECCOMP_NOTIFY};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        cfg.listener_path = (char *)ctx->socket_path;
        cfg.flags = HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV;
        int notify_fd = -1;
        CHILD_CHECK(compile_and_install(&cfg, &notify_fd) == 0, "install");
        CHILD_CHECK(notify_fd >= 0, "no listener fd");
        CHILD_CHECK(fcntl(notify_fd, F_GETFD) & FD_CLOEXEC, "listener fd without CLOEXEC");
        struct husk_error *err = NULL;
        const char *state_json = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":1,"
                                 "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}";
        CHILD_CHECK(husk_seccomp_send_listener(ctx->socket_path, "/b", notify_fd, getpid(), state_json,
                                               "MKNOD=/dev/null", &err) == 0,
                    "%s", error_text(err));
        close(notify_fd);
        /* The agent answers this one with 4242. */
        long r = syscall(SYS_getppid);
        CHILD_CHECK(r == 4242, "getppid returned %ld, expected the agent's 4242", r);
        return 0;
}

static int recv_fd_and_payload(int conn, char *buf, size_t size, int *ret_fd)
{
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        size_t len = 0;
        *ret_fd = -1;
        for (;;) {
                struct iovec iov = {.iov_base = buf + len, .iov_len = size - 1 - len};
                struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
                                     .msg_controllen = sizeof(control.b)};
                ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
                len += (size_t)n;
        }
        buf[len] = '\0';
        return 0;
}

static void test_notify_listener(void **state)
{
        (void)state;
        SKIP_IF_NO_SECCOMP();
        struct notify_ctx ctx;
        snprintf(ctx.socket_path, sizeof(ctx.socket_path), "/tmp/husk-seccomp-agent-%d.sock", (int)getpid());
        unlink(ctx.socket_path);
        int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(listener >= 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strcpy(addr.sun_path, ctx.socket_path);
        assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
        assert_int_equal(listen(listener, 1), 0);

        fflush(stderr);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(child_notify(&ctx));

        int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        char payload[4096];
        int notify_fd;
        assert_int_equal(recv_fd_and_payload(conn, payload, sizeof(payload), &notify_fd), 0);
        close(conn);
        assert_true(notify_fd >= 0);

        /* The container process state, as runtime-spec shapes it. */
        json_error_t jerr;
        json_t *doc = json_loads(payload, 0, &jerr);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "ociVersion")), "1.2.0");
        json_t *fds = json_object_get(doc, "fds");
        assert_int_equal(json_array_size(fds), 1);
        assert_string_equal(json_string_value(json_array_get(fds, 0)), "seccompFd");
        assert_int_equal(json_integer_value(json_object_get(doc, "pid")), pid);
        assert_string_equal(json_string_value(json_object_get(doc, "metadata")), "MKNOD=/dev/null");
        json_t *st = json_object_get(doc, "state");
        assert_string_equal(json_string_value(json_object_get(st, "id")), "c1");
        assert_string_equal(json_string_value(json_object_get(json_object_get(st, "annotations"), "k")), "v");
        json_decref(doc);

        /* Answer the notification the child's getppid raises. */
        struct seccomp_notif_sizes sizes;
        assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes), 0);
        struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
        struct seccomp_notif_resp *resp =
                calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp : sizeof(*resp));
        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req), 0);
        assert_int_equal(req->data.nr, SYS_getppid);
        assert_int_equal(req->pid, pid);
        resp->id = req->id;
        resp->val = 4242;
        resp->error = 0;
        assert_int_equal(ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp), 0);
        free(req);
        free(resp);
        close(notify_fd);

        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        close(listener);
        unlink(ctx.socket_path);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_send_listener_errors(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        assert_true(husk_seccomp_send_listener("/nonexistent/agent.sock", "/b", 0, 1, "{}", NULL, &err) < 0);
        assert_int_equal(err->errnum, ENOENT);
        assert_true(contains(err->msg, "`/nonexistent/agent.sock`"));
        husk_error_freep(&err);
        /* A relative path is the bundle's, as runc (which connects from there) takes it. */
        assert_true(husk_seccomp_send_listener("agent.sock", "/nonexistent", 0, 1, "{}", NULL, &err) < 0);
        assert_int_equal(err->errnum, ENOENT);
        assert_true(contains(err->msg, "`/nonexistent/agent.sock`"));
        husk_error_freep(&err);
        assert_true(husk_seccomp_send_listener("/tmp/x.sock", NULL, 0, 1, "{not json", NULL, &err) < 0);
        assert_true(contains(err->msg, "container state is not valid JSON"));
        husk_error_freep(&err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_ret),
                cmocka_unit_test(test_errno_defaults_to_eperm),
                cmocka_unit_test(test_default_errno_ret),
                cmocka_unit_test(test_arg_operators),
                cmocka_unit_test(test_args_on_different_indexes_and),
                cmocka_unit_test(test_kill_process),
                cmocka_unit_test(test_log_and_allow),
                cmocka_unit_test(test_compile_errors),
                cmocka_unit_test(test_unknown_syscall_skipped_and_arches),
                cmocka_unit_test_setup_teardown(test_cache, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test_setup_teardown(test_cache_keyed_on_rules_text, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test_setup_teardown(test_cached_filter_installs, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test(test_enosys_stub_little_endian_arches),
                cmocka_unit_test(test_enosys_stub_x86_64_without_x32),
                cmocka_unit_test(test_enosys_stub_s390x_multiplexer),
                cmocka_unit_test(test_enosys_stub_by_default_action),
                cmocka_unit_test(test_enosys_in_the_kernel),
                cmocka_unit_test(test_enosys_with_kill_and_trap_defaults),
                cmocka_unit_test(test_enosys_with_flags_and_listener),
                cmocka_unit_test_setup_teardown(test_cache_holds_the_patched_filter, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test_setup_teardown(test_cache_bound_lru, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test_setup_teardown(test_cache_prunes_stale_temporary_files, tmpdir_setup, tmpdir_teardown),
                cmocka_unit_test(test_notify_listener),
                cmocka_unit_test(test_send_listener_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
