/* What checkpoint and restore hand criu: mount keys, the choice flags, the config file, the argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "container/criu-opts.h"

static void expect_key(const char *destination, const char *key)
{
        char *got = husk_criu_mount_key(destination);
        assert_non_null(got);
        assert_string_equal(got, key);
        free(got);
}

static void test_mount_key(void **state)
{
        (void)state;
        expect_key("/data", "/data");
        expect_key("data", "/data");
        expect_key("//data///x/", "/data/x");
        expect_key("/data/./x/../y", "/data/y");
        expect_key("/../../etc", "/etc");
        expect_key("/", "/");
        expect_key("..", "/");
        expect_key("/a/b/..", "/a");
}

static void expect_argv(const struct husk_criu_args *a, const char *const *want)
{
        size_t n = 0;
        while (want[n])
                n++;
        assert_false(a->oom);
        assert_int_equal(a->len, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(a->argv[i], want[i]);
        assert_null(a->argv[n]);
}

static void test_choices(void **state)
{
        (void)state;
        struct husk_criu_args a = {0};
        struct husk_error *err = NULL;
        assert_int_equal(husk_criu_cgroups_mode(&a, NULL, &err), 0);
        assert_int_equal(husk_criu_cgroups_mode(&a, "ignore", &err), 0);
        assert_int_equal(husk_criu_empty_ns(&a, "network", &err), 0);
        assert_int_equal(husk_criu_empty_ns(&a, "", &err), 0);
        expect_argv(&a,
                    (const char *const[]){"--manage-cgroups", "--manage-cgroups=ignore", "--empty-ns", "net", NULL});
        husk_criu_args_clear(&a);
        assert_null(a.argv);

        assert_int_equal(husk_criu_check_choices(
                             &(struct husk_criu_options){.manage_cgroups_mode = "full", .empty_ns = "network"}, &err),
                         0);
        assert_true(husk_criu_check_choices(&(struct husk_criu_options){.manage_cgroups_mode = "sometimes"}, &err) < 0);
        assert_non_null(strstr(err->msg, "--manage-cgroups-mode"));
        husk_error_freep(&err);
        assert_true(husk_criu_check_choices(&(struct husk_criu_options){.empty_ns = "pid"}, &err) < 0);
        assert_non_null(strstr(err->msg, "--empty-ns"));
        husk_error_freep(&err);
}

static void test_config_file_annotation(void **state)
{
        (void)state;
        struct husk_kv items[] = {{"org.criu.config", "/etc/criu/mine.conf"}};
        struct husk_spec spec = {.annotations = {.items = items, .len = 1}};
        struct husk_criu_args a = {0};
        husk_criu_config_file(&a, &spec);
        expect_argv(&a, (const char *const[]){"--config", "/etc/criu/mine.conf", NULL});
        husk_criu_args_clear(&a);
        /* Empty: no configuration file at all, not even runc.conf. */
        items[0].value = "";
        husk_criu_config_file(&a, &spec);
        assert_int_equal(a.len, 0);
        husk_criu_args_clear(&a);
}

static void test_args_grow(void **state)
{
        (void)state;
        struct husk_criu_args a = {0};
        for (int i = 0; i < 1000; i++)
                husk_criu_addf(&a, "--external=mnt[/m%d]:/m%d", i, i);
        assert_false(a.oom);
        assert_int_equal(a.len, 1000);
        assert_string_equal(a.argv[999], "--external=mnt[/m999]:/m999");
        assert_null(a.argv[1000]);
        husk_criu_args_clear(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mount_key),
            cmocka_unit_test(test_choices),
            cmocka_unit_test(test_config_file_annotation),
            cmocka_unit_test(test_args_grow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
