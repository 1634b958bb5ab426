/* Device rules against the real kernel: v1 devices.list, and on v2 the BPF program deciding real open()s. */
#include "cgroup-test.h"

#include <sys/sysmacros.h>

struct open_request {
        const char *path;
        int flags;
};

/* Exit status: 0 when open() worked, else its errno. */
static int child_open(void *arg)
{
        const struct open_request *req = arg;
        int fd = open(req->path, req->flags | O_CLOEXEC);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

/* What open(path, flags) gives a fresh process inside the cgroup: 0 or an errno. */
static int open_in(struct husk_cgroup *cg, const char *path, int flags)
{
        struct open_request req = {.path = path, .flags = flags};
        _cleanup_error_ struct husk_error *err = NULL;
        struct test_child child = test_spawn(child_open, &req);
        test_check(husk_cgroup_enter(cg, child.pid, &err), &err);
        test_release(&child);
        int status = test_wait(child.pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void apply_rules(struct husk_cgroup *cg, struct husk_device_cgroup_rule *rules, size_t len)
{
        struct husk_resources r = {.present = true, .devices = rules, .devices_len = len};
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_apply(cg, &r, &err), &err);
}

static void test_device_rules(void **state)
{
        (void)state;
        struct stat st;
        /* The checks below open the host's nodes: they must be the real devices. */
        if (stat("/dev/null", &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                fail_msg("the host's /dev/null is not the character device 1:3");
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "devices"));
        /* The usual spec: deny everything, then allow /dev/kmsg (1:11) for reading. */
        struct husk_device_cgroup_rule rules[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
            {.allow = true, .type = 'c', .major = 1, .minor = 11, .access = "r"},
        };
        spec.linux_.resources.devices = rules;
        spec.linux_.resources.devices_len = ARRAY_SIZE(rules);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        test_check(husk_cgroup_create(&spec, "devices", false, NULL, &cg, &err), &err);

        if (test_layout() != HUSK_CGROUP_V2) {
                const char *list = test_read("devices", path, "devices.list");
                assert_non_null(list);
                print_message("devices.list:\n%s\n", list ? list : "");
                assert_null(strstr(list, "a *:* rwm"));
                assert_non_null(strstr(list, "c 1:11 r\n"));
                /* runc's defaults follow the spec's rules. */
                assert_non_null(strstr(list, "c 1:3 rwm"));
                assert_non_null(strstr(list, "c 136:* rwm"));
                assert_non_null(strstr(list, "b *:* m"));
        }

        /* The rules decide real opens: defaults allow /dev/null, /dev/kmsg read but not write. */
        assert_int_equal(open_in(cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(open_in(cg, "/dev/kmsg", O_RDONLY), 0);
        assert_int_equal(open_in(cg, "/dev/kmsg", O_WRONLY), EPERM);

        /* Replace the rules (update): deny all denies /dev/null. */
        struct husk_device_cgroup_rule deny_all[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
        };
        apply_rules(cg, deny_all, ARRAY_SIZE(deny_all));
        assert_int_equal(open_in(cg, "/dev/null", O_RDONLY), EPERM);
        if (test_layout() != HUSK_CGROUP_V2)
                assert_string_equal(test_read("devices", path, "devices.list"), "");

        /* Allowed again by an exact rule; read-only access allows O_RDONLY but not O_RDWR. */
        struct husk_device_cgroup_rule null_rw[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
            {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw"},
        };
        apply_rules(cg, null_rw, ARRAY_SIZE(null_rw));
        assert_int_equal(open_in(cg, "/dev/null", O_RDWR), 0);
        assert_int_equal(open_in(cg, "/dev/zero", O_RDONLY), EPERM);

        /* A later deny takes write access away again. */
        struct husk_device_cgroup_rule null_r[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
            {.allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rw"},
            {.allow = false, .type = 'c', .major = 1, .minor = 3, .access = "w"},
        };
        apply_rules(cg, null_r, ARRAY_SIZE(null_r));
        assert_int_equal(open_in(cg, "/dev/null", O_RDONLY), 0);
        assert_int_equal(open_in(cg, "/dev/null", O_RDWR), EPERM);

        /* A wildcard minor covers /dev/zero (1:5). */
        struct husk_device_cgroup_rule mem_devices[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
            {.allow = true, .type = 'c', .major = 1, .minor = -1, .access = "rw"},
        };
        apply_rules(cg, mem_devices, ARRAY_SIZE(mem_devices));
        assert_int_equal(open_in(cg, "/dev/zero", O_RDWR), 0);
        assert_int_equal(open_in(cg, "/dev/tty", O_RDONLY), EPERM);

        /* Allow everything: a later allow-all wins over the earlier deny. */
        struct husk_device_cgroup_rule all[] = {
            {.allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
            {.allow = true, .type = 'a', .major = -1, .minor = -1, .access = "rwm"},
        };
        apply_rules(cg, all, ARRAY_SIZE(all));
        assert_int_equal(open_in(cg, "/dev/kmsg", O_WRONLY), 0);

        test_check(husk_cgroup_destroy(cg, &err), &err);
        assert_false(test_anything_left(path));
}

static void test_device_rule_validation(void **state)
{
        (void)state;
        char path[128];
        struct husk_spec spec;
        test_spec_init(&spec, test_new_path(path, sizeof(path), "devices-bad"));
        struct husk_device_cgroup_rule rules[] = {
            {.allow = true, .type = 'x', .major = 1, .minor = 3, .access = "rwm"},
        };
        spec.linux_.resources.devices = rules;
        spec.linux_.resources.devices_len = ARRAY_SIZE(rules);
        _cleanup_error_ struct husk_error *err = NULL;
        struct husk_cgroup *cg = NULL;
        assert_true(husk_cgroup_create(&spec, "x", false, NULL, &cg, &err) < 0);
        assert_non_null(strstr(err->msg, "devices[0]"));
        assert_false(test_anything_left(path));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_device_rules, test_cleanup),
            cmocka_unit_test_teardown(test_device_rule_validation, test_cleanup),
        };
        return cmocka_run_group_tests_name("cgroup-devices", tests, test_global_setup, test_cleanup);
}
