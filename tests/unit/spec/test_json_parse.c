/* husk_json_loadb against jansson's json_loadb on tricky documents: same trees, same errors to the byte. */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/json_parse.h"
#include "../../lib/fail-alloc.h"
#include "../../lib/json-deferring.h"
#include "../../lib/json-same-tree.h"

/*
 * Linked with -Wl,--wrap=malloc,--wrap=realloc,--wrap=free and json_parse.c's source: the parser's
 * own allocations land here (jansson, a shared library, keeps the real ones).
 */
void *__real_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

static long live; /* blocks from the wrapped allocators not yet freed */

void *__wrap_malloc(size_t size)
{
        void *p = fail_now() ? NULL : __real_malloc(size);
        live += p != NULL;
        return p;
}

void *__wrap_realloc(void *p, size_t size)
{
        void *n = fail_now() ? NULL : __real_realloc(p, size);
        live += !p && n;
        return n;
}

void __wrap_free(void *p)
{
        live -= p != NULL;
        __real_free(p);
}

/* ---- comparing the two parsers ---- */

static void print_input(const char *text, size_t len)
{
        fprintf(stderr, "  input (%zu bytes): \"", len);
        for (size_t i = 0; i < len && i < 200; i++) {
                unsigned char c = (unsigned char)text[i];
                if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                        fputc(c, stderr);
                else
                        fprintf(stderr, "\\x%02x", c);
        }
        fprintf(stderr, "%s\"\n", len > 200 ? "..." : "");
}

/* Whether text holds "key" (quoted): without it, no member on a path ending in key can be deferred. */
static bool mentions(const char *text, size_t len, const char *key)
{
        char quoted[64];
        int n = snprintf(quoted, sizeof(quoted), "\"%s\"", key);
        assert_true(n > 0 && (size_t)n < sizeof(quoted));
        return memmem(text, len, quoted, (size_t)n) != NULL;
}

/*
 * husk_json_loadb_deferring on text agrees with jansson (tests/lib/json-deferring.h), else the test
 * fails; also with skip where text names the path's last member (elsewhere skip changes nothing, and
 * every prefix of a config would be parsed twice more for nothing, slow under valgrind).
 */
static void agree_deferring(const char *text, size_t len, size_t flags, const char *const *path)
{
        size_t last = 0;
        while (path[last + 1])
                last++;
        for (int skip = 0; skip < (mentions(text, len, path[last]) ? 2 : 1); skip++) {
                json_error_t want, got;
                bool parsed, found;
                if (json_deferring_agrees(text, len, flags, path, skip, &want, &got, &parsed, &found))
                        continue;
                print_input(text, len);
                fprintf(stderr, "  flags 0x%zx, deferring %s%s%s%s: jansson %s [%s], husk [%s]%s\n", flags, path[0],
                        path[1] ? "." : "", path[1] ? path[1] : "", skip ? " (skip)" : "", parsed ? "parsed" : "failed",
                        want.text, got.text, found ? ", found" : "");
                fail();
        }
}

/* The paths agree() also defers: at the root, one level down, and the config's seccomp rules. */
static const char *const defer_a[] = {"a", NULL};
static const char *const defer_a_b[] = {"a", "b", NULL};
static const char *const defer_syscalls[] = {"linux", "seccomp", "syscalls", NULL};

/* Both parsers on text; returns whether it parsed (and they agree), else fails the test. */
static bool agree(const char *text, size_t len, size_t flags)
{
        agree_deferring(text, len, flags, defer_a);
        agree_deferring(text, len, flags, defer_a_b);
        agree_deferring(text, len, flags, defer_syscalls);
        json_error_t want, got;
        json_t *a = json_loadb(text, len, flags, &want);
        json_t *b = husk_json_loadb(text, len, flags, &got);
        bool same;
        if (!a != !b)
                same = false;
        else if (a)
                same = json_same_tree(a, b) && want.position == got.position;
        else
                same = want.line == got.line && want.column == got.column && want.position == got.position &&
                       strcmp(want.text, got.text) == 0 && json_error_code(&want) == json_error_code(&got) &&
                       strcmp(want.source, got.source) == 0;
        if (!same) {
                print_input(text, len);
                fprintf(stderr, "  flags 0x%zx\n  jansson: %s %d:%d@%d [%d] %s\n  husk:    %s %d:%d@%d [%d] %s\n",
                        flags, a ? "parsed" : "failed", want.line, want.column, want.position, json_error_code(&want),
                        want.text, b ? "parsed" : "failed", got.line, got.column, got.position, json_error_code(&got),
                        got.text);
        }
        json_decref(a);
        json_decref(b);
        assert_true(same);
        return a != NULL;
}

/* Under which flags a document parses. */
enum {
        NONE = 0,
        ALL = 7,
        WITH_NUL = 2,   /* only with JSON_ALLOW_NUL */
        UNLESS_DUP = 3, /* not with JSON_REJECT_DUPLICATES */
};
static const size_t flag_sets[] = {0, JSON_ALLOW_NUL, JSON_REJECT_DUPLICATES};

struct sample {
        const char *text;
        size_t len;
        int parses;
};
#define S(literal, parses)                                                                                             \
        {                                                                                                              \
                literal, sizeof(literal) - 1, parses                                                                   \
        }

static const struct sample samples[] = {
    /* structure and whitespace */
    S("{}", ALL),
    S("[]", ALL),
    S(" \t\r\n{ } \n\t", ALL),
    S("{\"a\":[1,{\"b\":null},true,false,\"\"],\"c\":{}}", ALL),
    S("", NONE),
    S(" \n ", NONE),
    S("\v{}", NONE),
    S("{} x", NONE),
    S("{}{}", NONE),
    S("[1]]", NONE),
    S("\"abc\"", NONE),
    S("1", NONE),
    S("null", NONE),
    S("{", NONE),
    S("[", NONE),
    S("[1,", NONE),
    S("[1,]", NONE),
    S("[,1]", NONE),
    S("[1 2]", NONE),
    S("{\"a\" 1}", NONE),
    S("{\"a\":}", NONE),
    S("{\"a\":1,}", NONE),
    S("{\"a\":1 \"b\":2}", NONE),
    S("{1:2}", NONE),
    S("{\"a\":1]", NONE),
    S("[1}", NONE),
    S("[:]", NONE),
    S("\n\n  [\n 1,\n  x]", NONE),
    /* literals */
    S("[true,false,null]", ALL),
    S("[tru]", NONE),
    S("[truex]", NONE),
    S("[true1]", NONE),
    S("[True]", NONE),
    S("[nul\xff]", NONE),
    S("[nullnullnullnullnullnull]", NONE),
    /* duplicate keys: the last one wins, in the first one's place */
    S("{\"a\":1,\"b\":2,\"a\":3}", UNLESS_DUP),
    S("{\"a\":{\"x\":1},\"a\":[2]}", UNLESS_DUP),
    S("{\"a\":1,\"\\u0061\":2}", UNLESS_DUP),
    /* strings: escapes */
    S("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", ALL),
    S("[\"\\u0041\\u00e9\\u20AC\\uffff\"]", ALL),
    S("[\"\\ud83d\\ude00\\uD83D\\uDE00\\udbff\\udfff\"]", ALL),
    S("[\"\\ud800\"]", NONE),
    S("[\"\\udc00\"]", NONE),
    S("[\"\\udfff\\ud800\"]", NONE),
    S("[\"\\ud800\\u0041\"]", NONE),
    S("[\"\\ud800\\ud800\"]", NONE),
    S("[\"\\ud800x\"]", NONE),
    S("[\"\\ud800\\n\"]", NONE),
    S("[\"\\ud800\\\\u0041\"]", NONE),
    S("[\"\\u0000\"]", WITH_NUL),
    S("[\"a\\u0000b\"]", WITH_NUL),
    S("{\"\\u0000\":1}", NONE),
    S("{\"a\\u0000\":\"\\u0000\"}", NONE),
    S("[\"\\u0000\\ud800\"]", NONE),
    S("[\"\\x\"]", NONE),
    S("[\"\\U0041\"]", NONE),
    S("[\"\\u12g4\"]", NONE),
    S("[\"\\u12\"]", NONE),
    S("[\"\\u12\xc3\xa9\"]", NONE),
    S("[\"\\u12\xc3\"]", NONE),
    S("[\"\\\xc3\xa9\"]", NONE),
    S("[\"\\\xff\"]", NONE),
    S("[\"\\", NONE),
    S("[\"\\u00", NONE),
    S("[\"\\u0041", NONE),
    S("[\"abc", NONE),
    S("[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\q\"]", NONE),
    S("[\"aaaaaaaaaaaaaaa\\ud800\"]", NONE),
    /* escaped keys next to escaped values (the decoder's buffer is shared) */
    S("{\"\\u0041\":\"\\u0042\",\"x\\ty\":[\"\\n\",{\"\\r\":\"\\f\",\"k\\u00e9\":{\"\\\\\":\"\\\"\"}}]}", ALL),
    /* strings: raw bytes */
    S("[\"\x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"]", ALL),
    S("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", ALL),
    S("[\"\xc0\x80\"]", NONE),
    S("[\"\xc1\xbf\"]", NONE),
    S("[\"\xe0\x80\x80\"]", NONE),
    S("[\"\xe0\x9f\xbf\"]", NONE),
    S("[\"\xf0\x80\x80\x80\"]", NONE),
    S("[\"\xf0\x8f\xbf\xbf\"]", NONE),
    S("[\"\xed\xa0\x80\"]", NONE),
    S("[\"\xed\xbf\xbf\"]", NONE),
    S("[\"\xf4\x90\x80\x80\"]", NONE),
    S("[\"\xf5\x80\x80\x80\"]", NONE),
    S("[\"\xf8\x88\x80\x80\x80\"]", NONE),
    S("[\"\x80\"]", NONE),
    S("[\"\xbf\"]", NONE),
    S("[\"\xfe\"]", NONE),
    S("[\"\xff\"]", NONE),
    S("[\"\xc3\"]", NONE),
    S("[\"\xc3", NONE),
    S("[\"\xe2\x82\"]", NONE),
    S("[\"\xe2\x82", NONE),
    S("[\"\xc3\xa9\x80\"]", NONE),
    S("[\"a\x01\"]", NONE),
    S("[\"a\x1f\"]", NONE),
    S("[\"a\nb\"]", NONE),
    S("[\"a\tb\"]", NONE),
    S("[\"a\0b\"]", NONE),
    /* the 8-bytes-at-a-time scan must stop at the first special byte wherever it is */
    S("[\"0123456789abcdef\\n0123456\\t01234567\"]", ALL),
    S("[\"0123456\x01\"]", NONE),
    S("[\"01234567\x01\"]", NONE),
    S("[\"0123456\xc3\xa9"
      "012345678\x1f\"]",
      NONE),
    S("[\"01234567\"01234567\x01\"]", NONE),
    /* bytes outside strings */
    S("[\xc3\xa9]", NONE),
    S("[\xff]", NONE),
    S("[\x80]", NONE),
    S("[\xc3]", NONE),
    S("{\"a\":1} \xe2\x82\xac", NONE),
    S("{\"a\":1} \xe2\x82", NONE),
    S("[1\xff]", NONE),
    S("[1 \xff]", NONE),
    S("[1\xc3\xa9]", NONE),
    S("[-\xff]", NONE),
    S("[1.\xff]", NONE),
    S("[1.\xc3\xa9]", NONE),
    S("[1e\xc3\xa9]", NONE),
    S("[1.5\xc3]", NONE),
    S("[tru\xff]", NONE),
    S("[true\xc3\xa9]", NONE),
    /* NUL bytes: jansson loses one pushed back after a number or a word */
    S("\0", NONE),
    S("[\0]", NONE),
    S("[1\0]", ALL),
    S("[1\0", NONE),
    S("[1\0\0]", NONE),
    S("[1.5\0,2e3\0,-0\0]", ALL),
    S("[true\0,false\0,null\0]", ALL),
    S("[nul\0l]", NONE),
    S("{\"a\":1\0}", ALL),
    S("{\"a\"\0:1}", NONE),
    S("{\"a\":1}\0", NONE),
    S("[1\0, x]", NONE),
    S("[1\0,2\0,\n3\0, x]", NONE),
    S("[1\0,\n2\0, x]", NONE),
    S("[1.\0]", NONE),
    S("[1e\0]", NONE),
    S("[-\0]", NONE),
    /* numbers */
    S("[0,-0,1,-1,0.0,-0.0,0e0,-0E-0,1.5,1e5,1E+5,1e-5,123.456e-7,0.1e1]", ALL),
    S("[1.5e-400,-1.5e-400,4.9e-324,2.5e-324,2.4e-324,1.7976931348623157e308]", ALL),
    S("[1e400]", NONE),
    S("[-1e400]", NONE),
    S("[1.8e308]", NONE),
    S("[1e99999999999999999999]", NONE),
    S("[0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001]", ALL),
    S("[100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5]", ALL),
    S("[9223372036854775807,-9223372036854775808,999999999999999999,-999999999999999999]", ALL),
    S("[9223372036854775808]", NONE),
    S("[-9223372036854775809]", NONE),
    S("[10000000000000000000]", NONE),
    S("[18446744073709551615]", NONE),
    S("[18446744073709551616]", NONE),
    S("[123456789012345678901234567890]", NONE),
    S("[-123456789012345678901234567890]", NONE),
    S("[01]", NONE),
    S("[00]", NONE),
    S("[-01]", NONE),
    S("[1.]", NONE),
    S("[1.e5]", NONE),
    S("[.5]", NONE),
    S("[+1]", NONE),
    S("[1e]", NONE),
    S("[1e+]", NONE),
    S("[1E-]", NONE),
    S("[-]", NONE),
    S("[--1]", NONE),
    S("[-a]", NONE),
    S("[1x]", NONE),
    S("[1.5.5]", NONE),
    S("[0x10]", NONE),
    S("[1", NONE),
    S("[-", NONE),
    S("[1.", NONE),
    S("[1e", NONE),
    /* deferred members (agree defers a and a.b): the last of a name wins, in the tree or as text */
    S("{\"a\":[1,[2,{\"b\":[3]}],\"x\"]}", ALL),
    S("{\"a\":[1],\"a\":2}", UNLESS_DUP),
    S("{\"a\":2,\"a\":[1]}", UNLESS_DUP),
    S("{\"a\":[1],\"a\":[2,3]}", UNLESS_DUP),
    S("{\"a\":{\"b\":[1]},\"a\":{\"c\":1}}", UNLESS_DUP),
    S("{\"a\":{\"c\":1},\"a\":{\"b\":[1]}}", UNLESS_DUP),
    S("{\"a\":{\"b\":[1],\"b\":null}}", UNLESS_DUP),
    S("{\"a\":{\"b\":{\"b\":[1]}},\"b\":[2]}", ALL),
    S("{\"a\":[{\"b\":[1]}]}", ALL),
    S("{\"a\":[]}", ALL),
    S("{\"a\":{\"b\":[]}}", ALL),
    S("{\"a\":[1,}]}", NONE),
    S("{\"a\":{\"b\":[tru]}}", NONE),
    S("{\"a\":[\"\\u0000\"]}", WITH_NUL),
    S("{\"a\":[{\"x\\u0000\":1}]}", NONE),
    S("{\"a\":[{\"x\":1,\"x\":2}]}", UNLESS_DUP),
    S("{\"a\":[\"\xff\"]}", NONE),
    S("{\"a\":[1]", NONE),
    S("{\"a\":[1]]", NONE),
};

static void test_samples(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
                const struct sample *s = &samples[i];
                for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
                        bool parsed = agree(s->text, s->len, flag_sets[f]);
                        if (parsed != !!(s->parses & (1 << f))) {
                                print_input(s->text, s->len);
                                fprintf(stderr, "  flags 0x%zx: both %s it\n", flag_sets[f],
                                        parsed ? "parsed" : "refused");
                                fail();
                        }
                }
        }
}

/* The errors some of the samples above give, spelled out: what json_read.c and its tests see. */
static void expect_error(const char *text, size_t len, int line, int column, int position, const char *message)
{
        json_error_t e;
        json_t *v = husk_json_loadb(text, len, 0, &e);
        assert_null(v);
        if (strcmp(e.text, message) != 0 || e.line != line || e.column != column || e.position != position) {
                print_input(text, len);
                fprintf(stderr, "  got %d:%d@%d %s\n", e.line, e.column, e.position, e.text);
        }
        assert_string_equal(e.text, message);
        assert_string_equal(e.source, "<buffer>");
        assert_int_equal(e.line, line);
        assert_int_equal(e.column, column);
        assert_int_equal(e.position, position);
}
#define EXPECT_ERROR(literal, ...) expect_error(literal, sizeof(literal) - 1, __VA_ARGS__)

static void test_error_texts(void **state)
{
        (void)state;
        EXPECT_ERROR("", 1, 0, 0, "'[' or '{' expected near end of file");
        EXPECT_ERROR("{\"a\":1} x", 1, 9, 9, "end of file expected near 'x'");
        EXPECT_ERROR("{\"a\":1", 1, 6, 6, "'}' expected near end of file");
        /* columns count characters, not bytes */
        EXPECT_ERROR("[\"\xc3\xa9\xc3\xa9\", x]", 1, 8, 10, "invalid token near 'x'");
        EXPECT_ERROR("\n\n  [\n 1,\n  x]", 5, 3, 13, "invalid token near 'x'");
        EXPECT_ERROR("[\"a\nb\"]", 1, 3, 3, "unexpected newline near '\"a'");
        EXPECT_ERROR("[\"\\u12x4\"]", 1, 7, 7, "invalid escape near '\"\\u12x'");
        EXPECT_ERROR("[\"\\ud800\\u0041\"]", 1, 15, 15, "invalid Unicode '\\uD800\\u0041' near '\"\\ud800\\u0041\"'");
        EXPECT_ERROR("[\"\\u0000\"]", 1, 9, 9, "\\u0000 is not allowed without JSON_ALLOW_NUL near '\"\\u0000\"'");
        EXPECT_ERROR("{\"\\u0000\":1}", 1, 9, 9, "NUL byte in object key not supported near '\"\\u0000\"'");
        /* a UTF-8 error is reported when the byte is read, even as a number's lookahead */
        EXPECT_ERROR("[\"\xff\"]", 1, 2, 2, "unable to decode byte 0xff near '\"'");
        EXPECT_ERROR("[1\xff]", 1, 2, 2, "unable to decode byte 0xff near '1'");
        EXPECT_ERROR("[1 \xff]", 1, 3, 3, "unable to decode byte 0xff");
        EXPECT_ERROR("[9223372036854775808]", 1, 20, 20, "too big integer near '9223372036854775808'");
        EXPECT_ERROR("[-9223372036854775809]", 1, 21, 21, "too big negative integer near '-9223372036854775809'");
        EXPECT_ERROR("[123456789012345678901234567890]", 1, 31, 31, "too big integer");
        EXPECT_ERROR("[1e400]", 1, 6, 6, "real number overflow near '1e400'");
        EXPECT_ERROR("[01]", 1, 2, 2, "invalid token near '0'");
        EXPECT_ERROR("[1.]", 1, 3, 3, "invalid token near '1.'");
        /* the NUL after 1 is lost: neither column nor position counts it */
        EXPECT_ERROR("[1\0, x]", 1, 5, 5, "invalid token near 'x'");
        EXPECT_ERROR("{\"a\":1}\0", 1, 8, 8, "end of file expected near end of file");
}

static void test_values(void **state)
{
        (void)state;
        static const char text[] = "{\"i\":-0,\"r\":-0.0,\"u\":1.5e-400,\"m\":-9223372036854775808,\"s\":\"a\\u0000b\","
                                   "\"k\":1,\"k\":2}";
        json_error_t e;
        json_t *v = husk_json_loadb(text, sizeof(text) - 1, JSON_ALLOW_NUL, &e);
        assert_non_null(v);
        assert_true(json_is_integer(json_object_get(v, "i")));
        assert_int_equal(json_integer_value(json_object_get(v, "i")), 0);
        double r = json_real_value(json_object_get(v, "r"));
        assert_true(r == 0.0 && signbit(r));
        assert_true(json_real_value(json_object_get(v, "u")) == 0.0);
        assert_true(json_integer_value(json_object_get(v, "m")) == INT64_MIN);
        assert_int_equal(json_string_length(json_object_get(v, "s")), 3);
        assert_memory_equal(json_string_value(json_object_get(v, "s")), "a\0b", 3);
        assert_int_equal(json_integer_value(json_object_get(v, "k")), 2);
        assert_int_equal(json_object_size(v), 6);
        assert_int_equal(e.position, (int)sizeof(text) - 1);
        json_decref(v);
}

static char *nested(size_t depth, const char *inner)
{
        size_t n = strlen(inner);
        char *s = malloc(2 * depth + n + 1);
        assert_non_null(s);
        memset(s, '[', depth);
        memcpy(s + depth, inner, n);
        memset(s + depth + n, ']', depth);
        s[2 * depth + n] = '\0';
        return s;
}

static void test_depth(void **state)
{
        (void)state;
        static const struct {
                size_t depth;
                const char *inner;
                bool parses;
        } cases[] = {
            {JSON_PARSER_MAX_DEPTH, "", true},
            {JSON_PARSER_MAX_DEPTH + 1, "", false},
            {JSON_PARSER_MAX_DEPTH - 1, "1", true},
            {JSON_PARSER_MAX_DEPTH, "1", false},
            {JSON_PARSER_MAX_DEPTH - 1, "{}", true},
            {JSON_PARSER_MAX_DEPTH - 1, "{\"a\":1}", false},
            {JSON_PARSER_MAX_DEPTH, "\"\\u0000\"", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = nested(cases[i].depth, cases[i].inner);
                for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++)
                        assert_int_equal(agree(s, strlen(s), flag_sets[f]), cases[i].parses);
                free(s);
        }
        json_error_t e;
        char *s = nested(JSON_PARSER_MAX_DEPTH + 1, "");
        assert_null(husk_json_loadb(s, strlen(s), 0, &e));
        assert_string_equal(e.text, "maximum parsing depth reached near '['");
        free(s);
}

static char *read_file(const char *name, size_t *ret_len)
{
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", SPEC_TEST_DATA, name);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        long len = ftell(f);
        assert_true(len >= 0);
        rewind(f);
        char *buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        *ret_len = (size_t)len;
        return buf;
}

/* ---- arrays passed over unchecked ---- */

struct gen {
        char *buf;
        size_t len, cap;
        uint64_t seed;
};

static unsigned gen_random(struct gen *g, unsigned n)
{
        g->seed = g->seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
        return (unsigned)(g->seed >> 33) % n;
}

static void gen_put(struct gen *g, const char *s)
{
        size_t n = strlen(s);
        if (g->len + n + 1 > g->cap) {
                g->cap = (g->len + n + 1) * 2;
                g->buf = realloc(g->buf, g->cap);
                assert_non_null(g->buf);
        }
        memcpy(g->buf + g->len, s, n + 1);
        g->len += n;
}

/*
 * A string whose bytes and escapes are the ones the skipper must follow: quotes, backslashes,
 * brackets. One in four has escapes: a 64-byte block with a backslash is followed a byte at a time,
 * and the blocks without one must be common too.
 */
static void gen_string(struct gen *g)
{
        static const char *const parts[] = {
            "a",    "[",    "]",   "{",       "}",       ",",   ":",       " ", "\xc3\xa9", "\xe2\x82\xac",
            "\\\"", "\\\\", "\\/", "\\u005b", "\\u005D", "\\n", "\\\\\\\""};
        size_t plain = 10, all = sizeof(parts) / sizeof(parts[0]);
        size_t choices = gen_random(g, 4) == 0 ? all : plain;
        gen_put(g, "\"");
        for (unsigned n = gen_random(g, 24); n > 0; n--)
                gen_put(g, parts[gen_random(g, (unsigned)choices)]);
        gen_put(g, "\"");
}

static void gen_value(struct gen *g, int depth)
{
        /* nesting stops at depth 4 or past 2 KB: arrays of a few dozen 64-byte blocks */
        unsigned kind = depth > 4 || g->len > 2048 ? gen_random(g, 2) : gen_random(g, 6);
        if (kind == 0) {
                gen_string(g);
        } else if (kind == 1) {
                static const char *const scalars[] = {"1", "-2.5e3", "true", "false", "null", "0"};
                gen_put(g, scalars[gen_random(g, sizeof(scalars) / sizeof(scalars[0]))]);
        } else if (kind == 2 || kind == 3) {
                gen_put(g, "[");
                for (unsigned n = gen_random(g, 6), i = 0; i < n; i++) {
                        gen_put(g, i ? ", " : "");
                        gen_value(g, depth + 1);
                }
                gen_put(g, "]");
        } else {
                gen_put(g, "{");
                for (unsigned n = gen_random(g, 5), i = 0; i < n; i++) {
                        gen_put(g, i ? ",\n  " : "");
                        gen_string(g);
                        gen_put(g, ": ");
                        gen_value(g, depth + 1);
                }
                gen_put(g, "}");
        }
}

/*
 * Arrays long enough for the 64-byte blocks, at every offset in a block, with quotes, escapes and
 * brackets inside strings on and across block edges: passed over, each ends where the parser's does
 * (agree compares the trees and the deferred text). A byte changed here and there makes invalid JSON,
 * whose result must still be jansson's unless an array was passed over.
 */
static void test_skipping(void **state)
{
        (void)state;
        struct gen g = {.seed = 1};
        for (int round = 0; round < 256; round++) {
                g.len = 0;
                gen_put(&g, "{\"pad\": \"");
                for (int pad = round % 64; pad > 0; pad--)
                        gen_put(&g, "x");
                gen_put(&g, "\", \"a\": [");
                for (unsigned n = 1 + gen_random(&g, 12), i = 0; i < n; i++) {
                        gen_put(&g, i ? ",\n    " : "");
                        gen_value(&g, 0);
                }
                gen_put(&g, "], \"z\": [1]}");
                assert_true(agree(g.buf, g.len, 0));
                for (int k = 0; k < 4; k++) {
                        size_t at = gen_random(&g, (unsigned)g.len);
                        char saved = g.buf[at];
                        static const char bytes[] = "\"\\[]{},: 1\x00\x80";
                        g.buf[at] = bytes[gen_random(&g, sizeof(bytes) - 1)];
                        agree(g.buf, g.len, 0);
                        g.buf[at] = saved;
                }
        }
        free(g.buf);
}

/* What skip leaves unchecked, and where it is off. */
static void test_skip_contract(void **state)
{
        (void)state;
        static const char *const path[] = {"a", NULL};
        static const char text[] = "{\"a\": [1 2, {:}], \"b\": 3}";
        json_error_t e;
        struct husk_json_deferred d = {.path = path, .skip = true};
        json_t *v = husk_json_loadb_deferring(text, sizeof(text) - 1, 0, &d, &e);
        assert_non_null(v); /* the array is not JSON, and only its brackets were followed */
        assert_true(d.found && d.found_skipped);
        assert_int_equal(d.skipped, 1);
        assert_int_equal(d.start, 6);
        assert_int_equal(d.end, 16);
        assert_int_equal(json_integer_value(json_object_get(v, "b")), 3);
        json_decref(v);

        /* under JSON_ALLOW_NUL the array is checked */
        d = (struct husk_json_deferred){.path = path, .skip = true};
        assert_null(husk_json_loadb_deferring(text, sizeof(text) - 1, JSON_ALLOW_NUL, &d, &e));
        assert_int_equal(d.skipped, 0);
        assert_string_equal(e.text, "']' expected near '2'");

        /* an array with no end is parsed (and refused) as without skip */
        static const char open[] = "{\"a\": [\"]\", [1]";
        d = (struct husk_json_deferred){.path = path, .skip = true};
        assert_null(husk_json_loadb_deferring(open, sizeof(open) - 1, 0, &d, &e));
        assert_int_equal(d.skipped, 0);
        assert_string_equal(e.text, "']' expected near end of file");

        /* each array passed over counts, the replaced one too */
        static const char twice[] = "{\"a\": [1], \"a\": [2]}";
        d = (struct husk_json_deferred){.path = path, .skip = true};
        v = husk_json_loadb_deferring(twice, sizeof(twice) - 1, 0, &d, &e);
        assert_non_null(v);
        assert_int_equal(d.skipped, 2);
        assert_true(d.found && d.found_skipped);
        assert_int_equal(d.start, 16);
        json_decref(v);

        /* an array with a NUL is checked: jansson drops one after a number without counting it (the
         * document ends at 21, not 22), which passing over it would not follow (fuzz_json found it) */
        static const char nul[] = "{\"a\": [1\0, 2], \"b\": 3}";
        for (size_t at = 0; at < 2; at++) {
                /* past 64 bytes of spaces too, where SSE2 looks at whole blocks */
                char text64[160];
                size_t len = sizeof(nul) - 1;
                const char *t = nul;
                if (at) {
                        memcpy(text64, "{\"a\": [", 7);
                        memset(text64 + 7, ' ', 70);
                        memcpy(text64 + 77, nul + 7, len - 7);
                        len += 70;
                        t = text64;
                }
                d = (struct husk_json_deferred){.path = path, .skip = true};
                v = husk_json_loadb_deferring(t, len, 0, &d, &e);
                assert_non_null(v);
                assert_int_equal(d.skipped, 0);
                assert_true(d.found && !d.found_skipped);
                assert_int_equal(e.position, (int)len - 1);
                json_decref(v);
        }
}

/* Real configs, and every prefix of one: each cut is an error somewhere else in the lexer. */
static void test_configs(void **state)
{
        (void)state;
        static const char *const names[] = {"full.json",          "runc.json",           "crun.json",
                                            "runc-rootless.json", "podman-seccomp.json", "podman-runtime-seccomp.json"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                size_t len;
                char *text = read_file(names[i], &len);
                /* full.json holds uint64 limits, too big for json_int_t (json_read.c rewrites them) */
                assert_true(agree(text, len, 0) == (i != 0));
                if (i == 0)
                        for (size_t cut = 0; cut < len; cut++)
                                agree(text, cut, 0);
                free(text);
        }
}

static void test_arguments(void **state)
{
        (void)state;
        json_error_t e;
        assert_null(husk_json_loadb(NULL, 0, 0, &e));
        assert_string_equal(e.text, "wrong arguments");
        assert_int_equal(json_error_code(&e), json_error_invalid_argument);
        /* error may be NULL */
        json_t *v = husk_json_loadb("[1]", 3, 0, NULL);
        assert_non_null(v);
        json_decref(v);
        assert_null(husk_json_loadb("[1", 2, 0, NULL));
        /* a flag this parser does not handle goes to jansson */
        v = husk_json_loadb("\"abc\"", 5, JSON_DECODE_ANY, &e);
        assert_true(json_is_string(v));
        json_decref(v);
}

/* Each of the parser's own allocations failing in turn: NULL, an empty error text, nothing leaked. */
static void test_allocation_failures(void **state)
{
        (void)state;
        static const char text[] = "{\"\\u0041\":\"\\u0042\",\"x\\ty\":[\"\\n\",1."
                                   "0000000000000000000000000000000000000000000000000000000000000001,"
                                   "{\"\\r\":\"\\u00e9\\u0000\"}]}";
        for (long n = 0;; n++) {
                json_error_t e;
                long before = live;
                failed = false;
                countdown = n;
                json_t *v = husk_json_loadb(text, sizeof(text) - 1, JSON_ALLOW_NUL, &e);
                countdown = -1;
                assert_int_equal(live, before);
                if (!failed) {
                        assert_non_null(v);
                        json_decref(v);
                        /* the decoding buffer, three escaped keys' copies, the long real's copy */
                        assert_int_equal(n, 5);
                        return;
                }
                assert_null(v);
                assert_string_equal(e.text, "");
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_samples),
            cmocka_unit_test(test_error_texts),
            cmocka_unit_test(test_values),
            cmocka_unit_test(test_depth),
            cmocka_unit_test(test_skipping),
            cmocka_unit_test(test_skip_contract),
            cmocka_unit_test(test_configs),
            cmocka_unit_test(test_arguments),
            cmocka_unit_test(test_allocation_failures),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
