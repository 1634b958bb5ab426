/* Parsing of the kernel's list format for CPU and NUMA node sets ("0-3,7"), as used by execCPUAffinity and memoryPolicy. */
#include "linux/idlist.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/cleanup.h"

#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)

static const char *skip_blanks(const char *p)
{
        while (*p == ' ' || *p == '\t' || *p == '\n')
                p++;
        return p;
}

/* A decimal id without sign; *end after it. */
static int parse_id(const char *p, const char **end, unsigned long *ret)
{
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        unsigned long v = 0;
        for (; isdigit((unsigned char)*p); p++) {
                if (v > (ULONG_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (unsigned long)(*p - '0');
        }
        *end = p;
        *ret = v;
        return 0;
}

int husk_idlist_parse(const char *list, unsigned int max_id, const char *what, unsigned long **ret_bits,
                      size_t *ret_nbits, struct husk_error **err)
{
        /* Two passes: find the highest id to size the bitmap, then set the bits. */
        unsigned long highest = 0;
        bool any = false;
        for (int pass = 0; pass < 2; pass++) {
                _cleanup_free_ unsigned long *bits = NULL;
                size_t nbits = any ? highest + 1 : 0;
                if (pass == 1) {
                        if (!any) {
                                *ret_bits = NULL;
                                *ret_nbits = 0;
                                return 0;
                        }
                        bits = calloc((nbits + LONG_BITS - 1) / LONG_BITS, sizeof(unsigned long));
                        if (!bits)
                                return husk_error_set(err, ENOMEM, "%s", what);
                }
                const char *p = skip_blanks(list ? list : "");
                while (*p) {
                        unsigned long first, last;
                        const char *end;
                        int r = parse_id(p, &end, &first);
                        if (r < 0)
                                return husk_error_set(err, 0, "%s: `%s` is not a list like `0-3,7`", what, list);
                        last = first;
                        p = skip_blanks(end);
                        if (*p == '-') {
                                p = skip_blanks(p + 1);
                                r = parse_id(p, &end, &last);
                                if (r < 0)
                                        return husk_error_set(err, 0, "%s: `%s` is not a list like `0-3,7`", what, list);
                                p = skip_blanks(end);
                                if (last < first)
                                        return husk_error_set(err, 0, "%s: range %lu-%lu in `%s` is reversed", what, first,
                                                              last, list);
                        }
                        if (last > max_id)
                                return husk_error_set(err, 0, "%s: id %lu in `%s` is above the limit %u", what, last, list,
                                                      max_id);
                        if (pass == 0) {
                                any = true;
                                if (last > highest)
                                        highest = last;
                        } else {
                                for (unsigned long id = first; id <= last; id++)
                                        bits[id / LONG_BITS] |= 1UL << (id % LONG_BITS);
                        }
                        if (*p == ',') {
                                p = skip_blanks(p + 1);
                                if (!*p)
                                        return husk_error_set(err, 0, "%s: `%s` ends with `,`", what, list);
                        } else if (*p) {
                                return husk_error_set(err, 0, "%s: `%s` is not a list like `0-3,7`", what, list);
                        }
                }
                if (pass == 1) {
                        *ret_bits = TAKE_PTR(bits);
                        *ret_nbits = nbits;
                        return 0;
                }
        }
        return 0;
}
