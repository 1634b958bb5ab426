/* The text parsers behind `events --stats`: cpuset lists and pressure (PSI) files. No cgroups needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "util/cleanup.h"

static void assert_cpu_list(const char *text, const uint16_t *want, size_t want_len)
{
        struct husk_cgroup_cpu_list l;
        _cleanup_error_ struct husk_error *err = NULL;
        assert_int_equal(husk_cgroup_parse_cpu_list(text, &l, &err), 0);
        assert_null(err);
        assert_int_equal(l.len, want_len);
        for (size_t i = 0; i < want_len; i++)
                assert_int_equal(l.ids[i], want[i]);
        free(l.ids);
}

static void test_cpu_list(void **state)
{
        (void)state;
        assert_cpu_list("", NULL, 0);
        assert_cpu_list("\n", NULL, 0);
        assert_cpu_list("0", (const uint16_t[]){0}, 1);
        assert_cpu_list("0-3\n", (const uint16_t[]){0, 1, 2, 3}, 4);
        assert_cpu_list("0-1,4,6-7", (const uint16_t[]){0, 1, 4, 6, 7}, 5);
        assert_cpu_list("65535", (const uint16_t[]){65535}, 1);
        assert_cpu_list("3-3", (const uint16_t[]){3}, 1);
}

static void test_cpu_list_invalid(void **state)
{
        (void)state;
        static const char *const bad[] = {"3-1", "65536", "0-65536", "a",     "1,,2",
                                          "1-",  "-1",    "1 2",     "0-1-2", "18446744073709551616"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct husk_cgroup_cpu_list l = {.ids = (uint16_t *)&l, .len = 99};
                _cleanup_error_ struct husk_error *err = NULL;
                assert_int_equal(husk_cgroup_parse_cpu_list(bad[i], &l, &err), -EINVAL);
                assert_non_null(err);
                assert_null(l.ids); /* nothing half-built is handed out */
                assert_int_equal(l.len, 0);
        }
}

static void test_psi(void **state)
{
        (void)state;
        struct husk_cgroup_psi psi;
        _cleanup_error_ struct husk_error *err = NULL;
        assert_int_equal(husk_cgroup_parse_psi("some avg10=60.73 avg60=48.29 avg300=22.61 total=1738667223\n"
                                               "full avg10=0.00 avg60=1.50 avg300=100.00 total=7\n",
                                               &psi, &err),
                         0);
        assert_true(psi.present);
        assert_float_equal(psi.some.avg10, 60.73, 1e-9);
        assert_float_equal(psi.some.avg60, 48.29, 1e-9);
        assert_float_equal(psi.some.avg300, 22.61, 1e-9);
        assert_int_equal(psi.some.total, 1738667223);
        assert_float_equal(psi.full.avg10, 0, 0);
        assert_float_equal(psi.full.avg60, 1.5, 1e-9);
        assert_float_equal(psi.full.avg300, 100, 1e-9);
        assert_int_equal(psi.full.total, 7);

        /* cpu.pressure before 5.13 has no "full" line: it stays zero */
        assert_int_equal(husk_cgroup_parse_psi("some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n", &psi, &err), 0);
        assert_true(psi.present);
        assert_int_equal(psi.some.total, 5);
        assert_int_equal(psi.full.total, 0);
}

static void test_psi_invalid(void **state)
{
        (void)state;
        static const char *const bad[] = {"some avg10=x avg60=0.00 avg300=0.00 total=1\n", "some avg10=0.00 total\n",
                                          "full total=12abc\n", "some total=\n"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct husk_cgroup_psi psi;
                _cleanup_error_ struct husk_error *err = NULL;
                assert_int_equal(husk_cgroup_parse_psi(bad[i], &psi, &err), -EINVAL);
                assert_non_null(err);
                assert_false(psi.present);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cpu_list),
            cmocka_unit_test(test_cpu_list_invalid),
            cmocka_unit_test(test_psi),
            cmocka_unit_test(test_psi_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
