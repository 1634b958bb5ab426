/* Error values that carry an errno and a message with context up to the front end. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int code_of(int errnum)
{
        return errnum > 0 ? -errnum : -EINVAL;
}

int husk_error_setv(struct husk_error **err, int errnum, const char *fmt, va_list ap)
{
        if (!err || *err)
                return code_of(errnum);
        struct husk_error *e = calloc(1, sizeof(*e));
        if (!e)
                return code_of(errnum);
        e->errnum = errnum < 0 ? -errnum : errnum;
        if (vasprintf(&e->msg, fmt, ap) < 0)
                e->msg = NULL;
        *err = e;
        return code_of(e->errnum);
}

int husk_error_set(struct husk_error **err, int errnum, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = husk_error_setv(err, errnum, fmt, ap);
        va_end(ap);
        return r;
}

int husk_error_wrap(struct husk_error **err, const char *fmt, ...)
{
        if (!err || !*err)
                return -EINVAL;
        char *prefix = NULL, *joined = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&prefix, fmt, ap);
        va_end(ap);
        if (n >= 0 && asprintf(&joined, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "error") >= 0) {
                free((*err)->msg);
                (*err)->msg = joined;
        }
        free(prefix);
        return code_of((*err)->errnum);
}

int husk_error_code(const struct husk_error *err)
{
        return err ? code_of(err->errnum) : 0;
}

void husk_error_free(struct husk_error *err)
{
        if (!err)
                return;
        free(err->msg);
        free(err);
}

void husk_error_freep(struct husk_error **err)
{
        husk_error_free(*err);
        *err = NULL;
}

const char *husk_errno_text_go(int errnum, char *buf, size_t size)
{
        snprintf(buf, size, "%s", strerror(errnum));
        if (size && buf[0] >= 'A' && buf[0] <= 'Z')
                buf[0] = (char)(buf[0] - 'A' + 'a');
        return buf;
}

char *husk_error_format(const struct husk_error *err)
{
        char *out = NULL;
        if (!err)
                return strdup("unknown error");
        const char *msg = err->msg ? err->msg : "error";
        int n = err->errnum ? asprintf(&out, "%s: %s", msg, strerror(err->errnum)) : asprintf(&out, "%s", msg);
        return n < 0 ? NULL : out;
}

void husk_error_sanitize_text(char *text)
{
        for (unsigned char *p = (unsigned char *)text; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        *p = '?';
}
