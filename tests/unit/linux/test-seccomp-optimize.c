/*
 * The seccomp program optimizer: for real profiles the shortened program answers every syscall number
 * of every architecture as libseccomp's does, judged by the tests' interpreter (tests/lib/bpf-run.h), apart from the
 * optimizer's own check; and programs it cannot prove are left alone.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/bpf-run.h"
#include "linux/seccomp-filter.h"
#include "linux/seccomp-internal.h"
#include "spec/spec.h"

/* Linked with --wrap=husk_seccomp_optimize: keep a copy of what compile hands the optimizer. */
int __real_husk_seccomp_optimize(struct sock_filter **insns, size_t *len);
int __wrap_husk_seccomp_optimize(struct sock_filter **insns, size_t *len);

static struct sock_filter *original;
static size_t original_len;
static int optimize_result;

int __wrap_husk_seccomp_optimize(struct sock_filter **insns, size_t *len)
{
        free(original);
        original_len = *len;
        original = malloc(*len * sizeof(**insns));
        assert_non_null(original);
        memcpy(original, *insns, *len * sizeof(**insns));
        optimize_result = __real_husk_seccomp_optimize(insns, len);
        return optimize_result;
}

static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0x12345678};

/* Every number below 1100 and near the x32 base, plus the ends, for each architecture and argument pattern. */
static void assert_same_answers(const struct sock_filter *a, size_t na, const struct sock_filter *b, size_t nb)
{
        static const uint64_t patterns[] = {0, 1, 0x10000, UINT64_MAX, UINT64_C(0x0000000100000000), 0x7ffff};
        for (size_t ai = 0; ai < sizeof(arches) / sizeof(arches[0]); ai++)
                for (uint64_t nr = 0; nr <= 0x40000500; nr = nr == 1100 ? 0x3ffffff0 : nr + 1)
                        for (size_t pi = 0; pi < sizeof(patterns) / sizeof(patterns[0]); pi++) {
                                struct seccomp_data d = {.arch = arches[ai]};
                                uint32_t nr32 = (uint32_t)nr;
                                memcpy(&d.nr, &nr32, sizeof(nr32));
                                for (int j = 0; j < 6; j++)
                                        d.args[j] = patterns[pi] << j;
                                uint32_t ra = bpf_run(a, na, &d), rb = bpf_run(b, nb, &d);
                                if (ra != rb)
                                        fail_msg("arch %#x nr %#x args %#llx: %#x before, %#x after", arches[ai], nr32,
                                                 (unsigned long long)patterns[pi], ra, rb);
                        }
}

static struct husk_spec *load_spec(const char *file)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", SPEC_TEST_DATA, file);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char buf[1 << 20];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse(buf, len, file, &spec, &err), 0);
        return spec;
}

static void check_profile(struct husk_seccomp *cfg, bool expect_shorter)
{
        struct husk_seccomp_filter *filter = NULL;
        struct husk_error *err = NULL;
        optimize_result = -1;
        if (husk_seccomp_compile(cfg, &filter, &err) < 0)
                fail_msg("compile: %s", husk_error_format(err));
        size_t len = 0;
        const struct sock_filter *insns = husk_seccomp_filter_bpf(filter, &len);
        if (expect_shorter) {
                assert_int_equal(optimize_result, 0);
                assert_true(len < original_len);
                /* Returns are shared by the comparisons near them: libseccomp's ended every range with one. */
                size_t returns = 0;
                for (size_t i = 0; i < len; i++)
                        returns += insns[i].code == (BPF_RET | BPF_K);
                if (returns * 10 > len)
                        fail_msg("%zu of %zu instructions are returns", returns, len);
        }
        assert_same_answers(original, original_len, insns, len);
        husk_seccomp_filter_freep(&filter);
}

static void test_podman_runtime_profile(void **state)
{
        (void)state;
        struct husk_spec *spec = load_spec("podman-runtime-seccomp.json");
        check_profile(&spec->linux_.seccomp, true);
        /* x86_64 alone, and with only x86: fewer architectures, the same rules. */
        husk_strv saved = spec->linux_.seccomp.architectures;
        char *only64[] = {(char *)"SCMP_ARCH_X86_64", NULL};
        spec->linux_.seccomp.architectures = only64;
        check_profile(&spec->linux_.seccomp, true);
        char *two[] = {(char *)"SCMP_ARCH_X86_64", (char *)"SCMP_ARCH_X86", NULL};
        spec->linux_.seccomp.architectures = two;
        check_profile(&spec->linux_.seccomp, true);
        spec->linux_.seccomp.architectures = saved;
        husk_spec_free(spec);
}

/*
 * Argument rules, several actions and errnos, the ENOSYS stub: kept as they are behind the new dispatch.
 * (Only actions libseccomp need not ask the kernel about: valgrind runs this test and knows no seccomp(2).)
 */
static void test_profile_with_argument_rules(void **state)
{
        (void)state;
        static const char config[] =
            "{\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\","
            " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": ["
            "{\"names\": [\"read\", \"write\", \"close\", \"openat\", \"exit_group\", \"mmap\", \"munmap\", "
            "\"mprotect\", \"brk\", \"rt_sigaction\", \"rt_sigprocmask\", \"rt_sigreturn\", \"ioctl\", \"pread64\", "
            "\"pwrite64\", \"readv\", \"writev\", \"access\", \"pipe\", \"select\", \"sched_yield\", \"mremap\", "
            "\"msync\", \"mincore\", \"madvise\", \"dup\", \"dup2\", \"pause\", \"nanosleep\", \"getitimer\", "
            "\"alarm\", \"setitimer\", \"sendfile\", \"connect\", \"accept\", \"sendto\", \"recvfrom\", \"sendmsg\", "
            "\"recvmsg\", \"shutdown\", \"bind\", \"listen\", \"getsockname\", \"getpeername\", \"socketpair\", "
            "\"setsockopt\", \"getsockopt\", \"fork\", \"vfork\", \"execve\", \"exit\", \"wait4\", \"kill\", "
            "\"uname\", \"fcntl\", \"flock\", \"fsync\", \"fdatasync\", \"truncate\", \"ftruncate\", \"getdents\", "
            "\"getcwd\", \"chdir\", \"fchdir\", \"rename\", \"rmdir\", \"creat\", \"link\", \"unlink\", \"symlink\", "
            "\"readlink\", \"chmod\", \"fchmod\", \"chown\", \"fchown\", \"lchown\", \"umask\", \"gettimeofday\", "
            "\"getrlimit\", \"getrusage\", \"sysinfo\", \"times\", \"getuid\", \"getgid\", \"setuid\", \"setgid\", "
            "\"geteuid\", \"getegid\", \"setpgid\", \"getppid\", \"getpgrp\", \"setsid\", \"futex\", \"epoll_wait\", "
            "\"epoll_ctl\", \"clock_gettime\", \"clock_nanosleep\", \"newfstatat\", \"fstat\", \"lstat\", \"stat\", "
            "\"statx\", \"getrandom\", \"prlimit64\", \"set_robust_list\", \"set_tid_address\", \"arch_prctl\"], "
            "\"action\": \"SCMP_ACT_ALLOW\"},"
            "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8, "
            "\"op\": \"SCMP_CMP_EQ\"}]},"
            "{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 2114060288, "
            "\"op\": \"SCMP_CMP_MASKED_EQ\", \"valueTwo\": 0}]},"
            "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 97, \"args\": [{\"index\": 0, "
            "\"value\": 40, \"op\": \"SCMP_CMP_EQ\"}]},"
            "{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_KILL\"},"
            "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},"
            "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_TRAP\"}"
            "]}}}";
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        assert_int_equal(husk_spec_parse(config, sizeof(config) - 1, "config.json", &spec, &err), 0);
        /* Shorter when libseccomp builds its binary tree; under valgrind it cannot probe the kernel and
         * emits a linear chain that argument checks fall back into, which stays whole. */
        check_profile(&spec->linux_.seccomp, false);
        husk_spec_free(spec);
}

/* A program whose dispatch compares the architecture with `jgt` is left alone (-EINVAL, untouched). */
static void test_unprovable_program_untouched(void **state)
{
        (void)state;
        struct sock_filter prog[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, AUDIT_ARCH_I386, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        };
        size_t len = sizeof(prog) / sizeof(prog[0]);
        struct sock_filter *copy = malloc(sizeof(prog));
        assert_non_null(copy);
        memcpy(copy, prog, sizeof(prog));
        struct sock_filter *before = copy;
        assert_int_equal(__real_husk_seccomp_optimize(&copy, &len), -EINVAL);
        assert_ptr_equal(copy, before);
        assert_int_equal(len, sizeof(prog) / sizeof(prog[0]));
        assert_memory_equal(copy, prog, sizeof(prog));
        free(copy);
}

/* A long run of single-number rules collapses into ranges: many numbers, few instructions. */
static void test_ranges_merge(void **state)
{
        (void)state;
        enum { N = 300 };
        size_t len = 1 + 2 * N + 1;
        struct sock_filter *p = calloc(len, sizeof(*p));
        assert_non_null(p);
        size_t i = 0;
        p[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        /* numbers 0..N-1 each: allowed when even below 200, every number from 200 on allowed */
        for (uint32_t nr = 0; nr < N; nr++) {
                p[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
                p[i++] = (struct sock_filter)BPF_STMT(
                    BPF_RET | BPF_K, nr >= 200 || nr % 2 == 0 ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | 1);
        }
        p[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        len = i;
        struct sock_filter *orig = malloc(len * sizeof(*p));
        assert_non_null(orig);
        memcpy(orig, p, len * sizeof(*p));
        size_t new_len = len;
        assert_int_equal(__real_husk_seccomp_optimize(&p, &new_len), 0);
        /* 200 alternating ranges and one from 200 up: a load, a comparison between each two ranges and one
         * shared return per value (their jumps all within a conditional jump's reach). */
        assert_int_equal(new_len, 1 + 200 + 2);
        assert_same_answers(orig, len, p, new_len);
        free(orig);
        free(p);
}

/* A number whose rule checks an argument: the check is copied whole and reached from the new dispatch. */
static void test_argument_block_kept(void **state)
{
        (void)state;
        struct sock_filter prog[64];
        size_t i = 0;
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
        for (uint32_t nr = 10; nr < 30; nr++, i++)
                prog[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, (uint8_t)(49 - i), 0);
        prog[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, (uint8_t)(51 - i), 0);
        i++;
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38);
        while (i < 50)
                prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS); /* never reached */
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);                /* 50 */
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);         /* 51 */
        /* 52: personality(8) only */
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
        prog[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 8, 0, 1);
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
        prog[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1);
        size_t len = i;
        struct sock_filter *p = malloc(len * sizeof(*p));
        assert_non_null(p);
        memcpy(p, prog, len * sizeof(*p));
        size_t new_len = len;
        assert_int_equal(__real_husk_seccomp_optimize(&p, &new_len), 0);
        assert_true(new_len < 15);
        assert_same_answers(prog, len, p, new_len);
        struct seccomp_data d = {.nr = 135, .args = {8}};
        assert_int_equal(bpf_run(p, new_len, &d), SECCOMP_RET_ALLOW);
        d.args[0] = 9;
        assert_int_equal(bpf_run(p, new_len, &d), SECCOMP_RET_ERRNO | 1);
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_podman_runtime_profile),       cmocka_unit_test(test_profile_with_argument_rules),
            cmocka_unit_test(test_unprovable_program_untouched), cmocka_unit_test(test_ranges_merge),
            cmocka_unit_test(test_argument_block_kept),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        free(original);
        return r;
}
