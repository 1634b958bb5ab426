/* husk_timestamp_format against glibc's gmtime_r + strftime, which it replaces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "util/timestamp.h"

static void expect_same(time_t secs, long nsec)
{
        struct tm tm;
        char want[HUSK_TIMESTAMP_MAX], got[HUSK_TIMESTAMP_MAX];
        assert_non_null(gmtime_r(&secs, &tm));
        size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof(want) - n, ".%09ldZ", nsec);
        husk_timestamp_format(&(struct timespec){.tv_sec = secs, .tv_nsec = nsec}, got, sizeof(got));
        if (strcmp(want, got) != 0)
                fail_msg("%lld: want %s, got %s", (long long)secs, want, got);
}

static void test_edges(void **state)
{
        (void)state;
        const time_t edges[] = {0, 1, 59, 86399, 86400, -1, -86400, -86401,
                                951782400,  /* 2000-02-29 */
                                951868800,  /* 2000-03-01 */
                                4107542400, /* 2100-03-01: 2100 is no leap year */
                                1795734024, /* 2026-11-26 */
                                -2208988800 /* 1900-01-01 */};
        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
                expect_same(edges[i], 928843120);
        expect_same(1795734024, 0);
        expect_same(1795734024, 999999999);
}

/* Every hour over 1800..2300, and odd seconds between. */
static void test_range(void **state)
{
        (void)state;
        for (long long t = -5364662400LL; t < 10413792000LL; t += 3600 * 7 + 13)
                expect_same((time_t)t, 5);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_edges),
            cmocka_unit_test(test_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
