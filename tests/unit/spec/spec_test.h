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

/* A husk_spec_parse_options.rules_known that answers `known` and counts its calls. */
struct rules_hook {
        bool known;
        int calls;
};

static inline bool rules_hook_answer(const struct husk_seccomp *seccomp, void *data)
{
        struct rules_hook *hook = data;
        assert_non_null(seccomp->syscalls_json);
        hook->calls++;
        return hook->known;
}

/* husk_spec_parse (hook NULL) or husk_spec_parse_with that hook, then the seccomp rules it leaves as
 * text, as building a filter loads them (before anything on the host changes): a config either stage
 * refuses is refused, the spec freed. */
static inline int parse_all_with(const char *text, size_t len, const char *source, struct rules_hook *hook,
                                 struct husk_spec **ret, struct husk_error **err)
{
        struct husk_spec *spec = NULL;
        const struct husk_spec_parse_options opts = {.rules_known = rules_hook_answer, .data = hook};
        int r = hook ? husk_spec_parse_with(text, len, source, &opts, &spec, err)
                     : husk_spec_parse(text, len, source, &spec, err);
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

static inline int parse_all(const char *text, size_t len, const char *source, struct husk_spec **ret,
                            struct husk_error **err)
{
        return parse_all_with(text, len, source, NULL, ret, err);
}

/*
 * Parse len bytes of text that must be valid, with a hook that knows the rules, one that does not,
 * and none (the spec returned); the test fails with the parser's message otherwise. *ret_calls (may be
 * NULL): how often the hooks were asked, the same for both, at most once and never without rules (nor
 * where long literals keep them checked).
 */
static inline struct husk_spec *parse_ok_len(const char *text, size_t len, const char *source, int *ret_calls)
{
        struct rules_hook hooks[] = {{.known = true}, {.known = false}};
        for (size_t i = 0; i <= sizeof(hooks) / sizeof(hooks[0]); i++) {
                struct husk_spec *spec = NULL;
                struct husk_error *err = NULL;
                struct rules_hook *hook = i < sizeof(hooks) / sizeof(hooks[0]) ? &hooks[i] : NULL;
                int r = parse_all_with(text, len, source, hook, &spec, &err);
                if (r < 0) {
                        print_error("unexpected parse error%s: %s\n", hook ? " (with a hook)" : "",
                                    err && err->msg ? err->msg : "(no message)");
                        husk_error_free(err);
                        fail();
                }
                assert_null(err);
                assert_non_null(spec);
                if (hook) {
                        assert_true(hook->calls <= (spec->linux_.seccomp.syscalls_len > 0));
                        husk_spec_free(spec);
                        continue;
                }
                assert_int_equal(hooks[0].calls, hooks[1].calls);
                if (ret_calls)
                        *ret_calls = hooks[0].calls;
                return spec;
        }
        return NULL;
}

/* parse_ok_len of a NUL-terminated config.json. */
static inline struct husk_spec *parse_ok(const char *text)
{
        return parse_ok_len(text, strlen(text), "config.json", NULL);
}

/* Parse text (with that hook, or none) that must fail with exactly this message, leaving *ret untouched. */
static inline void parse_fails_with(const char *text, const char *expected, struct rules_hook *hook)
{
        struct husk_spec *spec = (struct husk_spec *)(uintptr_t)0x1;
        struct husk_error *err = NULL;
        int r = parse_all_with(text, strlen(text), "config.json", hook, &spec, &err);
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

/* Parse text that must fail with exactly this message, with no hook and with a hook that does not know
 * the rules; also with one that does, unless the message is a JSON syntax error (such a hook vouches
 * that the rules are JSON, and it is not asked to lie here). */
static inline void parse_fails(const char *text, const char *expected)
{
        if (strncmp(expected, "config.json: line ", strlen("config.json: line ")) != 0)
                parse_fails_with(text, expected, &(struct rules_hook){.known = true});
        parse_fails_with(text, expected, &(struct rules_hook){.known = false});
        parse_fails_with(text, expected, NULL);
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
