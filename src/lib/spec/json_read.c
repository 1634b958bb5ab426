/* Typed reads of jansson values whose errors name the JSON path of the bad value. */
#include "spec/json_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/json_parse.h"
#include "util/cleanup.h"
#include "util/log.h"

/* jansson keeps integers in json_int_t; a literal with this many digits may not fit. */
#define BIG_LITERAL_DIGITS 19
/* jansson refuses deeper documents itself; past this the rewrite below just stops tracking. */
#define MAX_TRACKED_DEPTH 4096

/* ---- paths and messages ---- */

const char *json_quote(struct json_quoted *q, const char *s)
{
        const size_t cut = sizeof(q->buf) - 16; /* room for an escape, "..." and the quotes */
        size_t o = 0;
        q->buf[o++] = '"';
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (o >= cut) {
                        /* do not leave half a UTF-8 sequence before the ellipsis */
                        while (o > 1 && ((unsigned char)q->buf[o - 1] & 0xc0) == 0x80)
                                o--;
                        if (o > 1 && (unsigned char)q->buf[o - 1] >= 0xc0)
                                o--;
                        memcpy(q->buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (*p == '"' || *p == '\\') {
                        q->buf[o++] = '\\';
                        q->buf[o++] = (char)*p;
                } else if (*p < 0x20 || *p == 0x7f) {
                        o += (size_t)snprintf(q->buf + o, sizeof(q->buf) - o, "\\x%02x", *p);
                } else {
                        q->buf[o++] = (char)*p;
                }
        }
        q->buf[o++] = '"';
        q->buf[o] = '\0';
        return q->buf;
}

static void print_path(FILE *f, const struct json_path *path)
{
        if (!path)
                return;
        print_path(f, path->parent);
        if (path->map_key) {
                struct json_quoted q;
                fprintf(f, "[%s]", json_quote(&q, path->key));
        } else if (path->key) {
                fprintf(f, "%s%s", path->parent ? "." : "", path->key);
        } else {
                fprintf(f, "[%zu]", path->index);
        }
}

/* `<source>: <path>: <message>` (no path part at the top level); NULL when out of memory. */
__attribute__((format(printf, 3, 0))) static char *vmessage(const struct json_reader *r,
                                                            const struct json_path *path, const char *fmt,
                                                            va_list ap)
{
        _cleanup_free_ char *where = NULL, *what = NULL;
        size_t where_len = 0;
        FILE *f = open_memstream(&where, &where_len);
        if (!f)
                return NULL;
        print_path(f, path);
        fclose(f);
        if (vasprintf(&what, fmt, ap) < 0)
                return NULL;
        char *text;
        int n = where[0] ? asprintf(&text, "%s: %s: %s", r->source, where, what)
                         : asprintf(&text, "%s: %s", r->source, what);
        return n < 0 ? NULL : text;
}

int json_fail(const struct json_reader *r, const struct json_path *path, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *text = vmessage(r, path, fmt, ap);
        va_end(ap);
        if (!text)
                return husk_error_set(r->err, ENOMEM, "%s: invalid value", r->source);
        return husk_error_set(r->err, 0, "%s", text);
}

void json_warn(const struct json_reader *r, const struct json_path *path, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *text = vmessage(r, path, fmt, ap);
        va_end(ap);
        if (text)
                husk_warn("%s", text);
}

int json_fail_missing(const struct json_reader *r, const struct json_path *parent, const char *key)
{
        struct json_path p = JSON_PATH_KEY(parent, key);
        return json_fail(r, &p, "missing required field");
}

int json_fail_oom(const struct json_reader *r)
{
        return husk_error_set(r->err, ENOMEM, "%s: parse", r->source);
}

/* A placeholder string standing for an integer literal jansson could not hold, or -1. */
static ssize_t big_literal_index(const struct json_reader *r, const json_t *v)
{
        if (!json_is_string(v) || json_string_length(v) < 2 || json_string_value(v)[0] != '\0')
                return -1;
        const char *digits = json_string_value(v) + 1;
        size_t len = json_string_length(v) - 1, idx = 0;
        for (size_t i = 0; i < len; i++) {
                if (digits[i] < '0' || digits[i] > '9')
                        return -1;
                idx = idx * 10 + (size_t)(digits[i] - '0');
                if (idx > r->bigs_len)
                        return -1;
        }
        return idx < r->bigs_len ? (ssize_t)idx : -1;
}

static const char *type_name(const struct json_reader *r, const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return big_literal_index(r, v) >= 0 ? "an integer" : "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a fractional number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                return "null";
        }
        return "an unknown value";
}

int json_fail_type(const struct json_reader *r, const struct json_path *path, const json_t *v, const char *expected)
{
        return json_fail(r, path, "expected %s, got %s", expected, type_name(r, v));
}

/* ---- loading ---- */

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/*
 * Any BIG_LITERAL_DIGITS consecutive positions hold exactly one p with p % N == N - 1: look only at
 * those, and measure the run only around one that is a digit. Every config is scanned on every
 * create, and a byte-by-byte loop cost 8 instructions a byte.
 */
static bool has_long_digit_run(const char *text, size_t len)
{
        for (size_t p = BIG_LITERAL_DIGITS - 1; p < len; p += BIG_LITERAL_DIGITS) {
                if (!is_digit(text[p]))
                        continue;
                size_t start = p, end = p + 1;
                while (start > 0 && is_digit(text[start - 1]))
                        start--;
                while (end < len && is_digit(text[end]))
                        end++;
                if (end - start >= BIG_LITERAL_DIGITS)
                        return true;
        }
        return false;
}

static void line_column(const char *text, size_t offset, int *ret_line, int *ret_column)
{
        int line = 1, column = 1;
        for (size_t i = 0; i < offset; i++) {
                if (text[i] == '\n') {
                        line++;
                        column = 1;
                } else {
                        column++;
                }
        }
        *ret_line = line;
        *ret_column = column;
}

static bool is_hex_zero4(const char *p)
{
        return p[0] == '0' && p[1] == '0' && p[2] == '0' && p[3] == '0';
}

static int add_big_literal(struct json_reader *r, size_t offset, size_t len)
{
        if (r->bigs_len == r->bigs_cap) {
                size_t cap = r->bigs_cap ? r->bigs_cap * 2 : 8;
                struct json_big_literal *n = realloc(r->bigs, cap * sizeof(*n));
                if (!n)
                        return json_fail_oom(r);
                r->bigs = n;
                r->bigs_cap = cap;
        }
        r->bigs[r->bigs_len++] = (struct json_big_literal){.offset = offset, .len = len};
        return 0;
}

/*
 * Copy text, replacing integer literals of BIG_LITERAL_DIGITS or more digits in value position by
 * a string of the same length: '"', "\u0000", the literal's index zero-padded, '"'. Lines and columns
 * of later jansson errors stay right. A NUL can only come from a placeholder, because a "\u0000"
 * in the document itself is refused here (as jansson refuses it without JSON_ALLOW_NUL).
 */
static int rewrite_big_literals(struct json_reader *r, const char *text, size_t len, char **ret)
{
        _cleanup_free_ char *copy = malloc(len ? len : 1);
        if (!copy)
                return json_fail_oom(r);
        memcpy(copy, text, len);

        unsigned char in_object[MAX_TRACKED_DEPTH / 8] = {0};
        size_t depth = 0;
        bool in_string = false, key_position = false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                if (in_string) {
                        if (c == '"') {
                                in_string = false;
                        } else if (c == '\\' && i + 1 < len) {
                                if (text[i + 1] == 'u' && i + 5 < len && is_hex_zero4(text + i + 2)) {
                                        /* where jansson would say it: at the end of the string */
                                        size_t end = i + 6;
                                        while (end < len && text[end] != '"')
                                                end += text[end] == '\\' ? 2 : 1;
                                        int line, column;
                                        line_column(text, end < len ? end : len - 1, &line, &column);
                                        return husk_error_set(r->err, 0,
                                                              "%s: line %d, column %d: \\u0000 is not allowed",
                                                              r->source, line, column);
                                }
                                i++;
                        }
                        continue;
                }
                switch (c) {
                case '"':
                        in_string = true;
                        key_position = false;
                        continue;
                case '{':
                case '[':
                        if (depth < MAX_TRACKED_DEPTH) {
                                if (c == '{')
                                        in_object[depth / 8] |= (unsigned char)(1u << (depth % 8));
                                else
                                        in_object[depth / 8] &= (unsigned char)~(1u << (depth % 8));
                        }
                        depth++;
                        key_position = c == '{';
                        continue;
                case '}':
                case ']':
                        if (depth > 0)
                                depth--;
                        key_position = false;
                        continue;
                case ',':
                        key_position = depth > 0 && depth <= MAX_TRACKED_DEPTH &&
                                       (in_object[(depth - 1) / 8] & (1u << ((depth - 1) % 8)));
                        continue;
                case ':':
                        key_position = false;
                        continue;
                default:
                        break;
                }
                if (c != '-' && (c < '0' || c > '9'))
                        continue;

                size_t start = i, j = i;
                if (text[j] == '-')
                        j++;
                size_t digits_start = j;
                while (j < len && text[j] >= '0' && text[j] <= '9')
                        j++;
                size_t digits = j - digits_start;
                bool integer = !(j < len && (text[j] == '.' || text[j] == 'e' || text[j] == 'E'));
                while (j < len && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.' || text[j] == 'e' ||
                                   text[j] == 'E' || text[j] == '+' || text[j] == '-'))
                        j++;
                bool value_position = !key_position;
                key_position = false;
                i = j - 1;
                /* a leading zero makes the literal invalid JSON: leave it to jansson to say so */
                if (!integer || !value_position || digits < BIG_LITERAL_DIGITS || text[digits_start] == '0' ||
                    j - start != (text[start] == '-' ? digits + 1 : digits))
                        continue;

                size_t lit_len = j - start, width = lit_len - 8;
                char number[24];
                int n = snprintf(number, sizeof(number), "%zu", r->bigs_len);
                if (n < 0 || (size_t)n > width)
                        continue; /* cannot happen: width >= 11 digits */
                JSON_TRY(add_big_literal(r, start, lit_len));
                char *o = copy + start;
                memcpy(o, "\"\\u0000", 7);
                memset(o + 7, '0', width - (size_t)n);
                memcpy(o + 7 + width - (size_t)n, number, (size_t)n);
                o[lit_len - 1] = '"';
        }
        *ret = TAKE_PTR(copy);
        return 0;
}

int json_reader_load(struct json_reader *r, const char *text, size_t len, json_t **ret)
{
        _cleanup_free_ char *copy = NULL;
        const char *input = text;
        size_t flags = 0;

        r->text = text;
        if (has_long_digit_run(text, len)) {
                JSON_TRY(rewrite_big_literals(r, text, len, &copy));
                if (r->bigs_len > 0) {
                        input = copy;
                        flags |= JSON_ALLOW_NUL;
                }
        }

        json_error_t e;
        /* the placeholders keep every length: a deferred member's offsets hold in text too */
        json_t *root = husk_json_loadb_deferring(input, len, flags, r->deferred, &e);
        if (!root) {
                /* jansson names its flag; the user only needs to know the escape is refused */
                static const char nul_text[] = "\\u0000 is not allowed without JSON_ALLOW_NUL";
                if (strncmp(e.text, nul_text, sizeof(nul_text) - 1) == 0)
                        e.text[strlen("\\u0000 is not allowed")] = '\0';
                husk_error_sanitize_text(e.text);
                if (e.text[0] == '\0') /* jansson leaves the text empty when it runs out of memory */
                        return json_fail_oom(r);
                if (e.line > 0)
                        return husk_error_set(r->err, 0, "%s: line %d, column %d: %s", r->source, e.line, e.column,
                                              e.text);
                return husk_error_set(r->err, 0, "%s: %s", r->source, e.text);
        }
        if (!json_is_object(root)) {
                json_fail_type(r, NULL, root, "an object");
                json_decref(root);
                return -EINVAL;
        }
        *ret = root;
        return 0;
}

void json_reader_done(struct json_reader *r)
{
        free(r->bigs);
        r->bigs = NULL;
        r->bigs_len = r->bigs_cap = 0;
}

/* ---- readers of present values ---- */

json_t *json_member(const json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);
        return v && !json_is_null(v) ? v : NULL;
}

int json_read_object(const struct json_reader *r, const struct json_path *path, const json_t *v)
{
        return json_is_object(v) ? 0 : json_fail_type(r, path, v, "an object");
}

int json_read_array(const struct json_reader *r, const struct json_path *path, const json_t *v)
{
        return json_is_array(v) ? 0 : json_fail_type(r, path, v, "an array");
}

int json_read_string_ref(const struct json_reader *r, const struct json_path *path, const json_t *v, const char **ret)
{
        if (!json_is_string(v) || big_literal_index(r, v) >= 0)
                return json_fail_type(r, path, v, "a string");
        *ret = json_string_value(v);
        return 0;
}

int json_read_string(const struct json_reader *r, const struct json_path *path, const json_t *v, char **ret)
{
        const char *s = NULL;
        JSON_TRY(json_read_string_ref(r, path, v, &s));
        size_t len = json_string_length(v);
        char *copy = malloc(len + 1);
        if (!copy)
                return json_fail_oom(r);
        memcpy(copy, s, len + 1);
        free(*ret);
        *ret = copy;
        return 0;
}

int json_read_bool(const struct json_reader *r, const struct json_path *path, const json_t *v, bool *ret)
{
        if (!json_is_boolean(v))
                return json_fail_type(r, path, v, "a boolean");
        *ret = json_is_true(v);
        return 0;
}

/* An integer value as sign and magnitude, exact over the whole int64 and uint64 range. */
struct json_integer {
        bool negative;
        bool overflow; /* magnitude above 2^64-1 */
        uint64_t magnitude;
        const char *literal; /* the text of a literal jansson could not hold, else NULL */
        size_t literal_len;
};

static int read_integer(const struct json_reader *r, const struct json_path *path, const json_t *v,
                        struct json_integer *ret)
{
        *ret = (struct json_integer){0};
        if (json_is_integer(v)) {
                json_int_t n = json_integer_value(v);
                ret->negative = n < 0;
                ret->magnitude = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
                return 0;
        }
        ssize_t idx = big_literal_index(r, v);
        if (idx < 0)
                return json_fail_type(r, path, v, "an integer");

        const char *lit = r->text + r->bigs[idx].offset;
        size_t len = r->bigs[idx].len, i = 0;
        ret->literal = lit;
        ret->literal_len = len;
        if (lit[0] == '-') {
                ret->negative = true;
                i = 1;
        }
        for (; i < len; i++) {
                unsigned d = (unsigned)(lit[i] - '0');
                if (ret->magnitude > (UINT64_MAX - d) / 10)
                        ret->overflow = true;
                else
                        ret->magnitude = ret->magnitude * 10 + d;
        }
        return 0;
}

/* The value as the document wrote it, for a message; long literals are cut. */
static const char *integer_text(const struct json_integer *n, char buf[static 48])
{
        if (n->literal && n->literal_len < 48)
                snprintf(buf, 48, "%.*s", (int)n->literal_len, n->literal);
        else if (n->literal)
                snprintf(buf, 48, "%.44s...", n->literal);
        else
                snprintf(buf, 48, "%s%" PRIu64, n->negative ? "-" : "", n->magnitude);
        return buf;
}

int json_read_u64(const struct json_reader *r, const struct json_path *path, const json_t *v, uint64_t max,
                  uint64_t *ret)
{
        struct json_integer n;
        JSON_TRY(read_integer(r, path, v, &n));
        if ((n.negative && n.magnitude != 0) || n.overflow || n.magnitude > max) {
                char text[48];
                return json_fail(r, path, "%s is out of range (0..%" PRIu64 ")", integer_text(&n, text), max);
        }
        *ret = n.magnitude;
        return 0;
}

int json_read_i64(const struct json_reader *r, const struct json_path *path, const json_t *v, int64_t min, int64_t max,
                  int64_t *ret)
{
        struct json_integer n;
        JSON_TRY(read_integer(r, path, v, &n));
        int64_t value = 0;
        bool fits;
        if (n.overflow) {
                fits = false;
        } else if (n.negative) {
                fits = n.magnitude <= (uint64_t)INT64_MAX + 1;
                value = fits ? (int64_t)(0 - n.magnitude) : 0;
        } else {
                fits = n.magnitude <= (uint64_t)INT64_MAX;
                value = fits ? (int64_t)n.magnitude : 0;
        }
        if (!fits || value < min || value > max) {
                char text[48];
                return json_fail(r, path, "%s is out of range (%" PRId64 "..%" PRId64 ")", integer_text(&n, text), min,
                                 max);
        }
        *ret = value;
        return 0;
}

static void strv_free_n(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int json_read_strv(const struct json_reader *r, const struct json_path *path, const json_t *v, husk_strv *ret)
{
        JSON_TRY(json_read_array(r, path, v));
        size_t n = json_array_size(v);
        char **out = calloc(n + 1, sizeof(char *));
        if (!out)
                return json_fail_oom(r);
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(path, i);
                int e = json_read_string(r, &p, json_array_get(v, i), &out[i]);
                if (e < 0) {
                        strv_free_n(out, i);
                        return e;
                }
        }
        strv_free(*ret);
        *ret = out;
        return 0;
}

void husk_kv_list_clear(struct husk_kv_list *list)
{
        for (size_t i = 0; i < list->len; i++) {
                free(list->items[i].key);
                free(list->items[i].value);
        }
        free(list->items);
        list->items = NULL;
        list->len = 0;
}

int json_read_kv(const struct json_reader *r, const struct json_path *path, const json_t *v, struct husk_kv_list *ret)
{
        JSON_TRY(json_read_object(r, path, v));
        husk_kv_list_clear(ret);
        size_t n = json_object_size(v);
        if (n == 0)
                return 0;
        ret->items = calloc(n, sizeof(*ret->items));
        if (!ret->items)
                return json_fail_oom(r);
        const char *key;
        json_t *value;
        json_object_foreach ((json_t *)v, key, value) {
                struct json_path p = JSON_PATH_MAP_KEY(path, key);
                struct husk_kv *kv = &ret->items[ret->len++];
                kv->key = strdup(key);
                if (!kv->key)
                        return json_fail_oom(r);
                JSON_TRY(json_read_string(r, &p, value, &kv->value));
        }
        return 0;
}

/* ---- readers of members ---- */

#define GET_MEMBER(read_call)                                                                                          \
        do {                                                                                                           \
                json_t *v_ = json_member(obj, key);                                                                    \
                if (!v_)                                                                                               \
                        return 0;                                                                                      \
                struct json_path p_ = JSON_PATH_KEY(parent, key);                                                      \
                const struct json_path *path_ = &p_;                                                                   \
                JSON_TRY(read_call);                                                                                   \
                return 1;                                                                                              \
        } while (0)

int json_get_object(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                    json_t **ret)
{
        json_t *v = json_member(obj, key);
        if (!v)
                return 0;
        struct json_path p = JSON_PATH_KEY(parent, key);
        JSON_TRY(json_read_object(r, &p, v));
        *ret = v;
        return 1;
}

int json_get_array(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                   json_t **ret)
{
        json_t *v = json_member(obj, key);
        if (!v)
                return 0;
        struct json_path p = JSON_PATH_KEY(parent, key);
        JSON_TRY(json_read_array(r, &p, v));
        *ret = v;
        return 1;
}

int json_get_string(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                    char **ret)
{
        GET_MEMBER(json_read_string(r, path_, v_, ret));
}

int json_get_string_ref(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                        const char **ret)
{
        GET_MEMBER(json_read_string_ref(r, path_, v_, ret));
}

int json_get_bool(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  bool *ret)
{
        GET_MEMBER(json_read_bool(r, path_, v_, ret));
}

int json_get_u64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 uint64_t max, uint64_t *ret)
{
        GET_MEMBER(json_read_u64(r, path_, v_, max, ret));
}

int json_get_u32(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 uint32_t *ret)
{
        uint64_t n = 0;
        int found = json_get_u64(r, parent, obj, key, UINT32_MAX, &n);
        if (found > 0)
                *ret = (uint32_t)n;
        return found;
}

int json_get_i64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 int64_t min, int64_t max, int64_t *ret)
{
        GET_MEMBER(json_read_i64(r, path_, v_, min, max, ret));
}

int json_get_strv(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  husk_strv *ret)
{
        GET_MEMBER(json_read_strv(r, path_, v_, ret));
}

int json_get_kv(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                struct husk_kv_list *ret)
{
        GET_MEMBER(json_read_kv(r, path_, v_, ret));
}
