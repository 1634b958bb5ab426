/* RFC 3339 UTC timestamps with nanoseconds (fixed width, or as runc writes them); the monotonic clock for deadlines. */
#include "util/timestamp.h"

#include <stdio.h>

/*
 * Civil date of a day count since 1970-01-01 (proleptic Gregorian, eras of 400 years). Not
 * gmtime_r: glibc's reads the local time zone (/etc/localtime) on its first call, which UTC never needs.
 */
static void civil_from_days(long long days, long long *year, unsigned *month, unsigned *day)
{
        days += 719468; /* from 0000-03-01 */
        long long era = (days >= 0 ? days : days - 146096) / 146097;
        unsigned doe = (unsigned)(days - era * 146097);                        /* [0, 146096] */
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
        unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */
        *day = doy - (153 * mp + 2) / 5 + 1;
        *month = mp < 10 ? mp + 3 : mp - 9;
        *year = (long long)yoe + era * 400 + (*month <= 2);
}

/* Date and time to the second ("2026-11-26T10:00:24"); the length written. */
static size_t format_seconds(time_t t, char *buf, size_t size)
{
        long long secs = (long long)t;
        long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        long long rest = secs - days * 86400;
        long long year;
        unsigned month, day;
        civil_from_days(days, &year, &month, &day);
        int n = snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lld", year, month, day, rest / 3600,
                         rest / 60 % 60, rest % 60);
        return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void husk_timestamp_format(const struct timespec *ts, char *buf, size_t size)
{
        size_t n = format_seconds(ts->tv_sec, buf, size);
        snprintf(buf + n, size - n, ".%09ldZ", (long)ts->tv_nsec);
}

void husk_timestamp_format_now(char *buf, size_t size)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        husk_timestamp_format(&ts, buf, size);
}

void husk_timestamp_format_rfc3339nano(const struct timespec *ts, char *buf, size_t size)
{
        size_t n = format_seconds(ts->tv_sec, buf, size);
        long fraction = (long)ts->tv_nsec;
        int digits = 9;
        while (digits > 0 && fraction % 10 == 0) {
                fraction /= 10;
                digits--;
        }
        if (digits > 0)
                snprintf(buf + n, size - n, ".%0*ldZ", digits, fraction);
        else
                snprintf(buf + n, size - n, "Z");
}

int64_t husk_monotonic_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
