/* Unit tests for linux/sysctls: namespaced sysctls written and read back, non-namespaced ones refused. */
#include <sched.h>

#include "helpers.h"
#include "linux/sysctls.h"

static int read_long(const char *path, long *ret)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        int n = fscanf(f, "%ld", ret);
        fclose(f);
        return n == 1 ? 0 : -1;
}

static int child_ipc(void *arg)
{
        (void)arg;
        CHILD_CHECK(unshare(CLONE_NEWIPC) == 0, "unshare ipc: %s", strerror(errno));
        struct husk_kv items[] = {
                {"kernel.msgmax", "12345"},
                {"kernel/msgmnb", "23456"}, /* '/' spelling */
                {"fs.mqueue.msg_max", "20"},
        };
        struct husk_kv_list list = {items, 3};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_sysctl_apply(&list, false, true, false, &err) == 0, "%s", error_text(err));
        long v = 0;
        CHILD_CHECK(read_long("/proc/sys/kernel/msgmax", &v) == 0 && v == 12345, "msgmax %ld", v);
        CHILD_CHECK(read_long("/proc/sys/kernel/msgmnb", &v) == 0 && v == 23456, "msgmnb %ld", v);
        CHILD_CHECK(read_long("/proc/sys/fs/mqueue/msg_max", &v) == 0 && v == 20, "mqueue msg_max %ld", v);
        return 0;
}

static void test_ipc_namespace(void **state)
{
        (void)state;
        long before = 0, after = 0;
        assert_int_equal(read_long("/proc/sys/kernel/msgmax", &before), 0);
        assert_child_ok(child_ipc, NULL);
        assert_int_equal(read_long("/proc/sys/kernel/msgmax", &after), 0);
        assert_int_equal(before, after); /* the host's value never moved */
}

static int child_net(void *arg)
{
        (void)arg;
        CHILD_CHECK(unshare(CLONE_NEWNET) == 0, "unshare net: %s", strerror(errno));
        struct husk_kv items[] = {{"net.ipv4.ip_forward", "1"}, {"net/ipv4/conf/lo/forwarding", "1"}};
        struct husk_kv_list list = {items, 2};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_sysctl_apply(&list, true, false, false, &err) == 0, "%s", error_text(err));
        long v = 0;
        CHILD_CHECK(read_long("/proc/sys/net/ipv4/ip_forward", &v) == 0 && v == 1, "ip_forward %ld", v);
        CHILD_CHECK(read_long("/proc/sys/net/ipv4/conf/lo/forwarding", &v) == 0 && v == 1, "lo forwarding %ld", v);
        return 0;
}

static void test_net_namespace(void **state)
{
        (void)state;
        long before = 0, after = 0;
        assert_int_equal(read_long("/proc/sys/net/ipv4/conf/lo/forwarding", &before), 0);
        assert_child_ok(child_net, NULL);
        assert_int_equal(read_long("/proc/sys/net/ipv4/conf/lo/forwarding", &after), 0);
        assert_int_equal(before, after);
}

static void expect_refused(const char *key, bool net, bool ipc, bool uts, const char *text)
{
        struct husk_kv item = {(char *)key, "1"};
        struct husk_kv_list list = {&item, 1};
        struct husk_error *err = NULL;
        if (husk_sysctl_apply(&list, net, ipc, uts, &err) >= 0)
                fail_msg("`%s` was accepted", key);
        if (!contains(err->msg, text))
                fail_msg("error `%s`, expected `%s`", err->msg, text);
        husk_error_free(err);
}

static void test_refused(void **state)
{
        (void)state;
        long panic_before = 0, panic_after = 0;
        assert_int_equal(read_long("/proc/sys/kernel/panic", &panic_before), 0);
        /* Every namespace private, and still: kernel.panic is global. */
        expect_refused("kernel.panic", true, true, true,
                       "linux.sysctl: `kernel.panic` is not in a namespace of its own: refusing to change it for the host");
        expect_refused("kernel.msgmax", true, false, true, "`kernel.msgmax` is not allowed in the host's ipc namespace");
        expect_refused("net.ipv4.ip_forward", false, true, true,
                       "`net.ipv4.ip_forward` is not allowed in the host's network namespace");
        expect_refused("kernel.hostname", true, true, true, "conflicts with the `hostname` field");
        expect_refused("kernel.domainname", true, true, false, "is not in a namespace of its own");
        expect_refused("net/../kernel/panic", true, true, true, "invalid key `net/../kernel/panic`");
        expect_refused("net..ipv4.ip_forward", true, true, true, "invalid key");
        expect_refused("", true, true, true, "empty key");
        assert_int_equal(read_long("/proc/sys/kernel/panic", &panic_after), 0);
        assert_int_equal(panic_before, panic_after);
}

/* Nothing is written when a later key is refused. */
static int child_all_or_nothing(void *arg)
{
        (void)arg;
        CHILD_CHECK(unshare(CLONE_NEWIPC) == 0, "unshare ipc: %s", strerror(errno));
        long before = 0, after = 0;
        CHILD_CHECK(read_long("/proc/sys/kernel/msgmax", &before) == 0, "read");
        struct husk_kv items[] = {{"kernel.msgmax", "4321"}, {"kernel.panic", "0"}};
        struct husk_kv_list list = {items, 2};
        struct husk_error *err = NULL;
        CHILD_CHECK(husk_sysctl_apply(&list, false, true, false, &err) < 0, "kernel.panic accepted");
        husk_error_free(err);
        CHILD_CHECK(read_long("/proc/sys/kernel/msgmax", &after) == 0 && after == before, "msgmax changed to %ld", after);
        return 0;
}

static void test_checked_before_writing(void **state)
{
        (void)state;
        assert_child_ok(child_all_or_nothing, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ipc_namespace),
                cmocka_unit_test(test_net_namespace),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_checked_before_writing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
