/* RFC 3339 UTC timestamps with nanoseconds (fixed width, or as runc writes them); the monotonic clock for deadlines. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest result of husk_timestamp_format, with its NUL ("-292277022657-01-27T08:29:52.999999999Z"). */
#define HUSK_TIMESTAMP_MAX 48

/* "2026-11-26T10:00:24.928843120Z": always nine digits, so that log lines keep one width. */
void husk_timestamp_format(const struct timespec *ts, char *buf, size_t size);

/* The same for CLOCK_REALTIME now. */
void husk_timestamp_format_now(char *buf, size_t size);

/*
 * "2026-11-26T10:00:24.92884312Z": Go's time.RFC3339Nano, which runc writes `created` with (state, list): the
 * fraction loses its trailing zeros, and its dot too when it is all zeros ("2026-11-26T10:00:24Z").
 */
void husk_timestamp_format_rfc3339nano(const struct timespec *ts, char *buf, size_t size);

/* CLOCK_MONOTONIC in milliseconds, for timeouts and deadlines. */
int64_t husk_monotonic_ms(void);
