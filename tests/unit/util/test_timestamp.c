/* husk_timestamp_format against glibc's gmtime_r + strftime, which it replaces; the RFC3339Nano form against Go's. */
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

static void expect_rfc3339nano(time_t secs, long nsec, const char *want)
{
        char got[HUSK_TIMESTAMP_MAX];
        husk_timestamp_format_rfc3339nano(&(struct timespec){.tv_sec = secs, .tv_nsec = nsec}, got, sizeof(got));
        if (strcmp(want, got) != 0)
                fail_msg("%lld.%09ld: want %s, got %s", (long long)secs, nsec, want, got);
}

/* What Go's time.Format(time.RFC3339Nano) gives (runc's `created`): no trailing zeros, no dot for a whole second. */
static void test_rfc3339nano(void **state)
{
        (void)state;
        expect_rfc3339nano(1795734024, 928843120, "2026-11-26T23:00:24.92884312Z");
        expect_rfc3339nano(1795734024, 928843121, "2026-11-26T23:00:24.928843121Z");
        expect_rfc3339nano(1795734024, 619808900, "2026-11-26T23:00:24.6198089Z");
        expect_rfc3339nano(1795734024, 100000000, "2026-11-26T23:00:24.1Z");
        expect_rfc3339nano(1795734024, 5, "2026-11-26T23:00:24.000000005Z");
        expect_rfc3339nano(1795734024, 50, "2026-11-26T23:00:24.00000005Z");
        expect_rfc3339nano(1795734024, 999999999, "2026-11-26T23:00:24.999999999Z");
        expect_rfc3339nano(1795734024, 0, "2026-11-26T23:00:24Z");
        expect_rfc3339nano(0, 0, "1970-01-01T00:00:00Z");
        expect_rfc3339nano(951782400, 10000, "2000-02-29T00:00:00.00001Z");
}

/* A buffer too short cuts the text, never overruns it. */
static void test_short_buffer(void **state)
{
        (void)state;
        char buf[32];
        memset(buf, 'x', sizeof(buf));
        husk_timestamp_format_rfc3339nano(&(struct timespec){.tv_sec = 1795734024, .tv_nsec = 5}, buf, 12);
        assert_string_equal(buf, "2026-11-26T");
        assert_int_equal(buf[12], 'x');
        husk_timestamp_format(&(struct timespec){.tv_sec = 1795734024, .tv_nsec = 5}, buf, 22);
        assert_string_equal(buf, "2026-11-26T23:00:24.0");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_edges),
            cmocka_unit_test(test_range),
            cmocka_unit_test(test_rfc3339nano),
            cmocka_unit_test(test_short_buffer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
