/* Unit tests for linux/seccomp-filter: compile, cache, install, actions, argument operators, notify. */
#include <fcntl.h>
#include <jansson.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "helpers.h"
#include "linux/seccomp-filter.h"

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

static int compile_and_install(const struct husk_seccomp *cfg, int *notify_fd)
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
        assert_child_ok(child_log_allow, NULL);
}

/* ---- compile-time checks ---- */

static void expect_compile_error(const struct husk_seccomp *cfg, const char *text)
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

        cfg = profile(HUSK_SECCOMP_NOTIFY, NULL, 0);
        expect_compile_error(&cfg, "SCMP_ACT_NOTIFY cannot be the default action");

        struct husk_seccomp_syscall notify_write = {.names = names_write, .action = HUSK_SECCOMP_NOTIFY};
        cfg = profile(HUSK_SECCOMP_ALLOW, &notify_write, 1);
        cfg.listener_path = "/run/agent.sock";
        expect_compile_error(&cfg, "SCMP_ACT_NOTIFY cannot be used for `write`");

        struct husk_seccomp_syscall notify = {.names = names_getcwd, .action = HUSK_SECCOMP_NOTIFY};
        cfg = profile(HUSK_SECCOMP_ALLOW, &notify, 1);
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
        (void)state;
        char dir[] = "/tmp/husk-seccomp-cache-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char cache_dir[sizeof(dir) + 16];
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
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
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
        (void)state;
        char dir[] = "/tmp/husk-seccomp-cache-XXXXXX";
        assert_non_null(mkdtemp(dir));
        struct husk_seccomp_syscall rule = {.names = names_getcwd, .action = HUSK_SECCOMP_ERRNO, .has_errno_ret = true,
                                            .errno_ret = 42};
        struct husk_seccomp cfg = profile(HUSK_SECCOMP_ALLOW, &rule, 1);
        struct husk_error *err = NULL;
        struct husk_seccomp_filter *filter = NULL;
        assert_int_equal(husk_seccomp_compile_cached(&cfg, dir, &filter, NULL, &err), 0);
        husk_seccomp_filter_free(filter);
        assert_child_ok(child_cached_install, dir);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
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
        CHILD_CHECK(husk_seccomp_send_listener(ctx->socket_path, notify_fd, getpid(), state_json, "MKNOD=/dev/null",
                                               &err) == 0,
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
        assert_true(husk_seccomp_send_listener("/nonexistent/agent.sock", 0, 1, "{}", NULL, &err) < 0);
        assert_int_equal(err->errnum, ENOENT);
        husk_error_freep(&err);
        assert_true(husk_seccomp_send_listener("/tmp/x.sock", 0, 1, "{not json", NULL, &err) < 0);
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
                cmocka_unit_test(test_cache),
                cmocka_unit_test(test_cached_filter_installs),
                cmocka_unit_test(test_notify_listener),
                cmocka_unit_test(test_send_listener_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
