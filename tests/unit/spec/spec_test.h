/* Helpers shared by the config parser's unit tests: parse-or-fail and expect-this-error. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "util/cleanup.h"

/* husk_spec_parse, then the seccomp rules it leaves as text, as building a filter loads them (before
 * anything on the host changes): a config either stage refuses is refused, the spec freed. */
static inline int parse_all(const char *text, size_t len, const char *source, struct husk_spec **ret,
                            struct husk_error **err)
{
        struct husk_spec *spec = NULL;
        int r = husk_spec_parse(text, len, source, &spec, err);
        if (r < 0)
                return r;
        r = husk_seccomp_load_syscalls(&spec->linux_.seccomp, err);
        if (r < 0) {
                husk_spec_free(spec);
                return r;
        }
        *ret = spec;
        return 0;
}

/* Parse text that must be valid; the test fails with the parser's message otherwise. */
static inline struct husk_spec *parse_ok(const char *text)
{
        struct husk_spec *spec = NULL;
        struct husk_error *err = NULL;
        int r = parse_all(text, strlen(text), "config.json", &spec, &err);
        if (r < 0) {
                print_error("unexpected parse error: %s\n", err && err->msg ? err->msg : "(no message)");
                husk_error_free(err);
                fail();
        }
        assert_null(err);
        assert_non_null(spec);
        return spec;
}

/* Parse text that must fail with exactly this message (and leave *ret untouched). */
static inline void parse_fails(const char *text, const char *expected)
{
        struct husk_spec *spec = (struct husk_spec *)(uintptr_t)0x1;
        struct husk_error *err = NULL;
        int r = parse_all(text, strlen(text), "config.json", &spec, &err);
        if (r >= 0) {
                print_error("parsed, expected error: %s\n  input: %s\n", expected, text);
                husk_spec_free(spec);
                fail();
        }
        assert_int_equal(r, -EINVAL);
        assert_ptr_equal(spec, (struct husk_spec *)(uintptr_t)0x1);
        assert_non_null(err);
        assert_int_equal(err->errnum, 0);
        if (strcmp(err->msg, expected) != 0) {
                print_error("  input: %s\n", text);
                assert_string_equal(err->msg, expected);
        }
        husk_error_free(err);
}

/* Read a file of tests/unit/spec/data. */
static inline char *read_data(const char *name, size_t *ret_len)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", SPEC_TEST_DATA, name);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        char *buf = NULL;
        size_t cap = 0, len = 0, n;
        do {
                if (len + 4096 > cap) {
                        cap = (cap + 4096) * 2;
                        buf = realloc(buf, cap + 1);
                        assert_non_null(buf);
                }
                n = fread(buf + len, 1, cap - len, f);
                len += n;
        } while (n > 0);
        fclose(f);
        buf[len] = '\0';
        *ret_len = len;
        return buf;
}
