/* Error values that carry an errno and a message with context up to the front end. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

struct husk_error {
        int errnum; /* errno behind the failure, 0 when there is none (e.g. bad config) */
        char *msg;  /* lowercase, no trailing period, without the errno text */
};

/* Set *err (if err is not NULL and *err is unset) and return -errnum, or -EINVAL when errnum is 0. */
int husk_error_set(struct husk_error **err, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
int husk_error_setv(struct husk_error **err, int errnum, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Prefix "<context>: " to the message in *err; returns -errnum (or -EINVAL). */
int husk_error_wrap(struct husk_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The negative return value that matches *err. */
int husk_error_code(const struct husk_error *err);

void husk_error_free(struct husk_error *err);
void husk_error_freep(struct husk_error **err);

/* Replace control characters (newlines included) by '?': quoted input must not break the
 * one-line error contract (jansson quotes the bad token of a parse error as it is). */
void husk_error_sanitize_text(char *text);

/*
 * errno's text as Go, and so runc, prints it: strerror with a lower-case first letter ("no such file or
 * directory"), written to buf. For the failures clients match by those words, case-sensitively (docker's CLI
 * exits 127 for "no such file or directory", 126 for "permission denied"): put it in the message, errnum 0.
 */
const char *husk_errno_text_go(int errnum, char *buf, size_t size);

/* The message plus ": <strerror>" when errnum is set; the caller frees it. */
char *husk_error_format(const struct husk_error *err);
