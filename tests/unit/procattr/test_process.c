/* Unit tests for the small per-process mechanisms: personality, memory policy, oom_score_adj, LSM, Intel RDT, id lists. */
#include <limits.h>
#include <linux/mempolicy.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "helpers.h"
#include "linux/idlist.h"
#include "linux/intelrdt.h"
#include "linux/lsm.h"
#include "linux/memory-policy.h"
#include "linux/oom-score.h"
#include "linux/personality-domain.h"

/* ---- personality ---- */

static int child_linux32(void *arg)
{
        (void)arg;
        struct husk_personality cfg = {.present = true, .domain = PER_LINUX32};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_personality_apply(&cfg, &err) == 0, "%s", error_text(err));
        int persona = personality(0xffffffff);
        CHILD_CHECK((persona & PER_MASK) == PER_LINUX32, "persona 0x%x", persona);
        struct utsname u;
        CHILD_CHECK(uname(&u) == 0 && strcmp(u.machine, "i686") == 0, "machine `%s`", u.machine);
        return 0;
}

static void test_personality_linux32(void **state)
{
        (void)state;
        assert_child_ok(child_linux32, NULL);
}

static void test_personality_errors(void **state)
{
        (void)state;
        static char *flags[] = {"ADDR_NO_RANDOMIZE", NULL};
        struct husk_personality cfg = {.present = true, .domain = PER_LINUX, .flags = flags};
        struct husk_error *err = NULL;
        assert_true(husk_personality_apply(&cfg, &err) < 0);
        assert_true(contains(err->msg, "linux.personality.flags: `ADDR_NO_RANDOMIZE` is not supported"));
        husk_error_freep(&err);
        struct husk_personality absent = {0};
        assert_int_equal(husk_personality_apply(&absent, &err), 0);
}

/* ---- memory policy ---- */

static int child_bind(void *arg)
{
        (void)arg;
        struct husk_memory_policy cfg = {.present = true, .mode = MPOL_BIND, .nodes = "0"};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_mempolicy_apply(&cfg, &err) == 0, "%s", error_text(err));
        int mode = -1;
        unsigned long mask[16] = {0};
        CHILD_CHECK(syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * CHAR_BIT, NULL, 0) == 0, "get_mempolicy: %s",
                    strerror(errno));
        CHILD_CHECK(mode == MPOL_BIND, "mode %d", mode);
        CHILD_CHECK(mask[0] == 1, "node mask 0x%lx", mask[0]);

        /* Flags ride on the mode, and get_mempolicy reports them back. */
        cfg.mode = MPOL_PREFERRED;
        cfg.flags = MPOL_F_STATIC_NODES;
        CHILD_CHECK(husk_mempolicy_apply(&cfg, &err) == 0, "%s", error_text(err));
        CHILD_CHECK(syscall(SYS_get_mempolicy, &mode, mask, sizeof(mask) * CHAR_BIT, NULL, 0) == 0, "get_mempolicy");
        CHILD_CHECK(mode == (MPOL_PREFERRED | MPOL_F_STATIC_NODES), "mode 0x%x", mode);
        return 0;
}

static void test_mempolicy_bind(void **state)
{
        (void)state;
        assert_child_ok(child_bind, NULL);
}

static int child_mempolicy_errors(void *arg)
{
        (void)arg;
        struct husk_error *err = NULL;
        /* Node 1000 does not exist here: the kernel refuses, and the error names the values. */
        struct husk_memory_policy cfg = {.present = true, .mode = MPOL_BIND, .nodes = "1000"};
        CHILD_CHECK(husk_mempolicy_apply(&cfg, &err) < 0, "a nonexistent node was accepted");
        CHILD_CHECK(contains(err->msg, "set_mempolicy (mode 2, flags 0x0, nodes `1000`)"), "%s", error_text(err));
        husk_error_freep(&err);
        cfg = (struct husk_memory_policy){.present = true, .mode = 99};
        CHILD_CHECK(husk_mempolicy_apply(&cfg, &err) < 0 && contains(err->msg, "unknown mode 99"), "%s",
                    error_text(err));
        husk_error_freep(&err);
        cfg = (struct husk_memory_policy){.present = true, .mode = MPOL_BIND, .nodes = "0,x"};
        CHILD_CHECK(husk_mempolicy_apply(&cfg, &err) < 0 && contains(err->msg, "linux.memoryPolicy.nodes"), "%s",
                    error_text(err));
        husk_error_freep(&err);
        return 0;
}

static void test_mempolicy_errors(void **state)
{
        (void)state;
        assert_child_ok(child_mempolicy_errors, NULL);
}

/* ---- oom_score_adj ---- */

static int child_oom(void *arg)
{
        (void)arg;
        struct husk_error *err = NULL;
        /* Raising needs no privilege; lowering needs CAP_SYS_RESOURCE, which this sandbox lacks. */
        CHILD_CHECK(husk_oom_score_adj_apply(500, &err) == 0, "%s", error_text(err));
        FILE *f = fopen("/proc/self/oom_score_adj", "re");
        int v = 0;
        CHILD_CHECK(f && fscanf(f, "%d", &v) == 1, "read back");
        fclose(f);
        CHILD_CHECK(v == 500, "oom_score_adj %d", v);
        CHILD_CHECK(husk_oom_score_adj_apply(1001, &err) < 0 && contains(err->msg, "out of range"), "%s",
                    error_text(err));
        husk_error_free(err);
        return 0;
}

static void test_oom_score_adj(void **state)
{
        (void)state;
        assert_child_ok(child_oom, NULL);
}

static void test_oom_score_adj_pid(void **state)
{
        (void)state;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        struct husk_error *err = NULL;
        int r = husk_oom_score_adj_apply_pid(pid, 321, &err);
        char path[64], buf[32] = {0};
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
        FILE *f = fopen(path, "re");
        if (f) {
                if (!fgets(buf, sizeof(buf), f))
                        buf[0] = '\0';
                fclose(f);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_int_equal(r, 0);
        assert_string_equal(buf, "321\n");
}

/* ---- LSM: this host runs neither AppArmor nor SELinux ---- */

static void test_lsm(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        struct husk_process none = {0};
        assert_int_equal(husk_lsm_apply(&none, &err), 0);
        struct husk_process empty = {.apparmor_profile = "", .selinux_label = ""};
        assert_int_equal(husk_lsm_apply(&empty, &err), 0);

        struct husk_process aa = {.apparmor_profile = "docker-default"};
        int r = husk_lsm_apply(&aa, &err);
        if (husk_apparmor_enabled()) {
                skip(); /* the error path needs a host without AppArmor */
        }
        assert_true(r < 0);
        assert_string_equal(err->msg,
                            "process.apparmorProfile `docker-default` is set but AppArmor is not enabled on this host");
        husk_error_freep(&err);

        struct husk_process se = {.selinux_label = "system_u:system_r:container_t:s0"};
        if (husk_selinux_enabled())
                skip();
        assert_true(husk_lsm_apply(&se, &err) < 0);
        assert_true(contains(err->msg, "process.selinuxLabel `system_u:system_r:container_t:s0` is set but SELinux is not enabled"));
        husk_error_freep(&err);
}

/* ---- Intel RDT: no resctrl on this host ---- */

static void test_intel_rdt_not_mounted(void **state)
{
        (void)state;
        struct husk_intel_rdt rdt = {.present = true, .clos_id = "guaranteed", .l3_cache_schema = "L3:0=7f0"};
        struct husk_error *err = NULL;
        int r = husk_intel_rdt_apply(&rdt, "c1", getpid(), &err);
        if (system("grep -q ' /sys/fs/resctrl resctrl ' /proc/self/mounts") == 0)
                skip();
        assert_true(r < 0);
        assert_string_equal(err->msg, "linux.intelRdt: resctrl is not mounted");
        husk_error_freep(&err);
        struct husk_intel_rdt absent = {0};
        assert_int_equal(husk_intel_rdt_apply(&absent, "c1", getpid(), &err), 0);
}

/* ---- id lists ---- */

static void test_idlist(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        unsigned long *bits = NULL;
        size_t nbits = 0;
        assert_int_equal(husk_idlist_parse("0-3,7, 9-9\n", 100, "x", &bits, &nbits, &err), 0);
        assert_int_equal(nbits, 10);
        assert_int_equal(bits[0], 0x28fUL);
        free(bits);

        assert_int_equal(husk_idlist_parse("65,130", 1000, "x", &bits, &nbits, &err), 0);
        assert_int_equal(nbits, 131);
        assert_int_equal(bits[1], 2UL);
        assert_int_equal(bits[2], 4UL);
        free(bits);

        assert_int_equal(husk_idlist_parse("", 10, "x", &bits, &nbits, &err), 0);
        assert_null(bits);
        assert_int_equal(nbits, 0);

        const char *bad[] = {"1-", "-1", "3-1", "1,,2", "1,", "a", "1 2", "11", "99999999999999999999999"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                bits = NULL;
                if (husk_idlist_parse(bad[i], 10, "field", &bits, &nbits, &err) == 0)
                        fail_msg("`%s` was accepted", bad[i]);
                assert_true(contains(err->msg, "field: "));
                assert_null(bits);
                husk_error_freep(&err);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_personality_linux32),
                cmocka_unit_test(test_personality_errors),
                cmocka_unit_test(test_mempolicy_bind),
                cmocka_unit_test(test_mempolicy_errors),
                cmocka_unit_test(test_oom_score_adj),
                cmocka_unit_test(test_oom_score_adj_pid),
                cmocka_unit_test(test_lsm),
                cmocka_unit_test(test_intel_rdt_not_mounted),
                cmocka_unit_test(test_idlist),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
