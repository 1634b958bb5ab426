/* JSON text to jansson values in one pass over the buffer, accepting and refusing exactly what json_loadb does. */
#include "spec/json_parse.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * jansson 2.14 reads its input a byte at a time through a function pointer, copies every token
 * into a growing buffer and mallocs every string twice; a config costs ~350k instructions. This
 * parser keeps jansson's grammar and its error reports, which depend on how far jansson's lexer
 * had read when it gave up:
 * - its error text ends with " near '<token so far>'" (the bytes read since the token began, cut at
 *   a NUL, left out past 20 bytes) or " near end of file" (nothing read yet), and its line, column
 *   (characters, not bytes, since the last newline) and position are those of the last byte read;
 * - it validates a UTF-8 sequence when it reads its first byte, also as the one-character lookahead
 *   that ends a number or a word: the first error seen in reading order wins;
 * - after a number or a word it pushes the lookahead back, and a pushed-back NUL is lost: the
 *   next read skips it without counting it (so "[1\0]" is [1]).
 * Here the lexer's read position is `p` after its push-back, the token starts at `tok_start`, and
 * line and column are computed from the offset only when an error is reported.
 */

enum {
        TOKEN_INVALID = -1,
        TOKEN_EOF = 0,
        /* the structural characters are tokens of their own value: '{', '}', '[', ']', ':', ',' */
        TOKEN_STRING = 256,
        TOKEN_INTEGER,
        TOKEN_REAL,
        TOKEN_TRUE,
        TOKEN_FALSE,
        TOKEN_NULL,
};

/* jansson gives no context for a token longer than this */
#define CONTEXT_MAX 20
#define SUPPORTED_FLAGS ((size_t)(JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES))

struct parser {
        const char *buf, *end;
        const char *p;         /* next byte to read */
        const char *tok_start; /* jansson's saved text is [tok_start, p) */
        size_t flags;
        size_t depth;
        json_error_t *error;
        bool oom;

        /* NULs lost after a pushed-back lookahead: they count for neither position nor column */
        bool drop_nul; /* *p is such a NUL */
        size_t drops, drops_in_line;
        const char *last_drop;

        int token;
        const char *str; /* TOKEN_STRING: the decoded value, in the input or in scratch */
        size_t str_len;
        bool str_nul;        /* it holds a NUL (from \u0000) */
        bool str_in_scratch; /* the next escaped string overwrites it */
        json_int_t integer;
        double real;

        char *scratch;
        size_t scratch_cap;

        /* husk_json_loadb_deferring: the member left as text, and where the object being entered sits
         * on its path (the index of the key it is to match, -1 when it is off the path) */
        struct husk_json_deferred *deferred;
        int level;
        bool skip; /* deferred->skip, kept only without flags */
};

/* ---- characters ---- */

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Length of the UTF-8 sequence at s, or 0 when jansson refuses it (overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_length(const char *s, const char *end)
{
        unsigned char c = (unsigned char)s[0];
        size_t n;
        uint32_t v;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
                v = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                v = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                v = c & 0x07;
        } else {
                return 0; /* ASCII never gets here; continuation bytes, 0xc0, 0xc1, 0xf5-0xff */
        }
        if ((size_t)(end - s) < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                unsigned char u = (unsigned char)s[i];
                if ((u & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (u & 0x3f);
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
                return 0;
        return n;
}

static size_t utf8_encode(uint32_t v, char *out)
{
        if (v < 0x80) {
                out[0] = (char)v;
                return 1;
        }
        if (v < 0x800) {
                out[0] = (char)(0xc0 | (v >> 6));
                out[1] = (char)(0x80 | (v & 0x3f));
                return 2;
        }
        if (v < 0x10000) {
                out[0] = (char)(0xe0 | (v >> 12));
                out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
                out[2] = (char)(0x80 | (v & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (v >> 18));
        out[1] = (char)(0x80 | ((v >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((v >> 6) & 0x3f));
        out[3] = (char)(0x80 | (v & 0x3f));
        return 4;
}

/* ---- errors ---- */

/* jansson's line, column and position after reading up to cur. */
static void locate(const struct parser *ps, const char *cur, json_error_t *e)
{
        int line = 1;
        const char *line_start = ps->buf;
        for (const char *q = ps->buf; (q = memchr(q, '\n', (size_t)(cur - q))) != NULL; q++) {
                line++;
                line_start = q + 1;
        }
        int column = 0;
        for (const char *q = line_start; q < cur; q++)
                column += ((unsigned char)*q & 0xc0) != 0x80; /* a character is counted at its first byte */
        if (ps->drops > 0 && !memchr(ps->last_drop, '\n', (size_t)(cur - ps->last_drop)))
                column -= (int)ps->drops_in_line;
        e->line = line;
        e->column = column;
        e->position = (int)((size_t)(cur - ps->buf) - ps->drops);
}

/* jansson's error_set: the first error stays; the token read so far [tok_start, cur) gives context. */
__attribute__((format(printf, 5, 6), cold)) static void
fail(struct parser *ps, const char *cur, enum json_error_code code, bool bad_utf8, const char *fmt, ...)
{
        json_error_t *e = ps->error;
        if (ps->oom || e->text[0] != '\0')
                return;

        char msg[JSON_ERROR_TEXT_LENGTH], with_context[JSON_ERROR_TEXT_LENGTH];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        const char *text = msg;
        size_t saved = (size_t)(cur - ps->tok_start);
        if (saved > 0 && ps->tok_start[0] != '\0') {
                if (saved <= CONTEXT_MAX) {
                        /* %.*s stops at a NUL, as jansson's %s of its buffer does */
                        if (snprintf(with_context, sizeof(with_context), "%s near '%.*s'", msg, (int)saved,
                                     ps->tok_start) >= 0)
                                text = with_context;
                }
        } else {
                if (code == json_error_invalid_syntax)
                        code = json_error_premature_end_of_input;
                if (!bad_utf8 && snprintf(with_context, sizeof(with_context), "%s near end of file", msg) >= 0)
                        text = with_context;
        }

        locate(ps, cur, e);
        size_t n = strlen(text);
        if (n > JSON_ERROR_TEXT_LENGTH - 2)
                n = JSON_ERROR_TEXT_LENGTH - 2;
        memcpy(e->text, text, n);
        e->text[n] = '\0';
        e->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)code;
}

__attribute__((cold)) static void fail_utf8(struct parser *ps, const char *at)
{
        fail(ps, at, json_error_invalid_utf8, true, "unable to decode byte 0x%x", (unsigned char)*at);
}

/* jansson validates the character it reads ahead of a number or a word, then pushes it back. */
static bool lookahead_ok(struct parser *ps, const char *at)
{
        if (at < ps->end && (unsigned char)*at >= 0x80 && !utf8_length(at, ps->end)) {
                fail_utf8(ps, at);
                return false;
        }
        return true;
}

static bool reserve_scratch(struct parser *ps, size_t size)
{
        if (size <= ps->scratch_cap)
                return true;
        size_t cap = ps->scratch_cap ? ps->scratch_cap : 256;
        while (cap < size)
                cap *= 2;
        char *n = realloc(ps->scratch, cap);
        if (!n) {
                ps->oom = true;
                return false;
        }
        ps->scratch = n;
        ps->scratch_cap = cap;
        return true;
}

/* ---- strings ---- */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* A set high bit at the first byte of v (in memory order) that is '"', '\\', < 0x20 or >= 0x80. */
static uint64_t special_bytes(uint64_t v)
{
        uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\');
        /* each term can also flag bytes after its first hit (borrows), never before it */
        return (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) | ((v - ONES * 0x20) & ~v) | v) & HIGHS;
}
#endif

static bool is_plain(unsigned char c)
{
        return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The first byte at or after s that is not printable ASCII other than '"' and '\\'. */
static const char *skip_plain(const char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - s >= 8) {
                uint64_t v;
                memcpy(&v, s, sizeof(v));
                uint64_t m = special_bytes(v);
                if (m)
                        return s + (__builtin_ctzll(m) >> 3);
                s += 8;
        }
#endif
        while (s < end && is_plain((unsigned char)*s))
                s++;
        return s;
}

/* The escape at s ('\\'): checked as jansson's first pass does; *ret is the byte after it. */
static bool scan_escape(struct parser *ps, const char *s, const char **ret)
{
        const char *q = s + 1, *end = ps->end;
        if (q < end && *q == 'u') {
                for (q++; q < end && q - s < 6 && hex_value(*q) >= 0; q++)
                        ;
                if (q - s == 6) {
                        *ret = q;
                        return true;
                }
        } else if (q < end && *q != '\0' && strchr("\"\\/bfnrt", *q)) {
                *ret = q + 1;
                return true;
        }
        /* q is the offending byte, which jansson read (only the first of a UTF-8 sequence) into its token */
        if (q == end)
                fail(ps, end, json_error_invalid_syntax, false, "invalid escape");
        else if ((unsigned char)*q >= 0x80 && !utf8_length(q, end))
                fail_utf8(ps, q);
        else
                fail(ps, q + 1, json_error_invalid_syntax, false, "invalid escape");
        return false;
}

static uint32_t hex4(const char *s)
{
        return (uint32_t)(hex_value(s[0]) << 12 | hex_value(s[1]) << 8 | hex_value(s[2]) << 4 | hex_value(s[3]));
}

/* Decode the body of a checked string that has escapes into scratch; surrogates are checked here, as jansson does. */
__attribute__((noinline)) static bool decode_string(struct parser *ps, const char *s, const char *end)
{
        /* each escape is at least as long as its UTF-8 */
        if (!reserve_scratch(ps, (size_t)(end - s) + 1))
                return false;
        char *o = ps->scratch;
        bool nul = false;
        while (s < end) {
                const char *bs = memchr(s, '\\', (size_t)(end - s));
                if (!bs)
                        bs = end;
                memcpy(o, s, (size_t)(bs - s));
                o += bs - s;
                s = bs;
                if (s == end)
                        break;
                char c = s[1];
                s += 2;
                switch (c) {
                case 'b':
                        *o++ = '\b';
                        continue;
                case 'f':
                        *o++ = '\f';
                        continue;
                case 'n':
                        *o++ = '\n';
                        continue;
                case 'r':
                        *o++ = '\r';
                        continue;
                case 't':
                        *o++ = '\t';
                        continue;
                case 'u':
                        break;
                default: /* '"', '\\', '/' */
                        *o++ = c;
                        continue;
                }
                uint32_t v = hex4(s);
                s += 4;
                if (v >= 0xd800 && v <= 0xdbff) {
                        if (s[0] != '\\' || s[1] != 'u') { /* s[0] is at most the closing quote */
                                fail(ps, ps->p, json_error_invalid_syntax, false, "invalid Unicode '\\u%04X'", v);
                                return false;
                        }
                        uint32_t low = hex4(s + 2);
                        s += 6;
                        if (low < 0xdc00 || low > 0xdfff) {
                                fail(ps, ps->p, json_error_invalid_syntax, false, "invalid Unicode '\\u%04X\\u%04X'", v,
                                     low);
                                return false;
                        }
                        v = ((v - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
                } else if (v >= 0xdc00 && v <= 0xdfff) {
                        fail(ps, ps->p, json_error_invalid_syntax, false, "invalid Unicode '\\u%04X'", v);
                        return false;
                }
                nul |= v == 0;
                o += utf8_encode(v, o);
        }
        ps->str = ps->scratch;
        ps->str_len = (size_t)(o - ps->scratch);
        ps->str_nul = nul;
        ps->str_in_scratch = true;
        return true;
}

static int scan_string(struct parser *ps)
{
        const char *s = ps->tok_start + 1, *end = ps->end;
        bool escaped = false;
        for (;;) {
                s = skip_plain(s, end);
                if (s == end) {
                        fail(ps, end, json_error_premature_end_of_input, false, "premature end of input");
                        return TOKEN_INVALID;
                }
                unsigned char c = (unsigned char)*s;
                if (c == '"')
                        break;
                if (c == '\\') {
                        escaped = true;
                        if (!scan_escape(ps, s, &s))
                                return TOKEN_INVALID;
                } else if (c < 0x20) {
                        /* jansson pushes the control character back before it complains */
                        if (c == '\n')
                                fail(ps, s, json_error_invalid_syntax, false, "unexpected newline");
                        else
                                fail(ps, s, json_error_invalid_syntax, false, "control character 0x%x", c);
                        return TOKEN_INVALID;
                } else {
                        size_t n = utf8_length(s, end);
                        if (!n) {
                                fail_utf8(ps, s);
                                return TOKEN_INVALID;
                        }
                        s += n;
                }
        }
        const char *body = ps->tok_start + 1;
        ps->p = s + 1;
        if (escaped)
                return decode_string(ps, body, s) ? TOKEN_STRING : TOKEN_INVALID;
        ps->str = body;
        ps->str_len = (size_t)(s - body);
        ps->str_nul = false;
        ps->str_in_scratch = false;
        return TOKEN_STRING;
}

/* ---- numbers and words ---- */

/* [start, end) is -?(0|[1-9][0-9]*): strtoll's value or its ERANGE, without the copy jansson makes. */
static int read_integer(struct parser *ps, const char *start, const char *end)
{
        bool negative = *start == '-';
        const char *d = start + negative;
        uint64_t v = 0;
        bool overflow = end - d > 19;
        for (; !overflow && d < end; d++)
                v = v * 10 + (uint64_t)(*d - '0'); /* 19 digits fit in 64 bits */
        uint64_t limit = negative ? (uint64_t)LLONG_MAX + 1 : (uint64_t)LLONG_MAX;
        if (overflow || v > limit) {
                fail(ps, end, json_error_numeric_overflow, false,
                     negative ? "too big negative integer" : "too big integer");
                return TOKEN_INVALID;
        }
        ps->integer = negative ? (json_int_t)(0 - v) : (json_int_t)v;
        return TOKEN_INTEGER;
}

/* jansson's jsonp_strtod: strtod in the current locale, overflow refused, underflow kept. */
__attribute__((noinline)) static int read_real(struct parser *ps, const char *start, const char *end)
{
        size_t len = (size_t)(end - start);
        char small[64], *copy = small;
        if (len >= sizeof(small)) {
                copy = malloc(len + 1);
                if (!copy) {
                        ps->oom = true;
                        return TOKEN_INVALID;
                }
        }
        memcpy(copy, start, len);
        copy[len] = '\0';
        const char *point = localeconv()->decimal_point;
        if (*point != '.') {
                char *dot = strchr(copy, '.');
                if (dot)
                        *dot = *point;
        }
        errno = 0;
        double v = strtod(copy, NULL);
        bool overflow = (v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE;
        if (copy != small)
                free(copy);
        if (overflow) {
                fail(ps, end, json_error_numeric_overflow, false, "real number overflow");
                return TOKEN_INVALID;
        }
        ps->real = v;
        return TOKEN_REAL;
}

static const char *skip_digits(const char *q, const char *end)
{
        while (q < end && is_digit(*q))
                q++;
        return q;
}

/*
 * Where jansson's lex_scan_number stops (it read the byte there, then pushed it back) and what it
 * found: TOKEN_INTEGER, TOKEN_REAL, or TOKEN_INVALID without an error text of its own ("01", "1.",
 * "-"), for the parser's "invalid token near '1.'".
 */
static const char *number_end(const char *q, const char *end, int *ret_token)
{
        *ret_token = TOKEN_INVALID;
        if (*q == '-')
                q++;
        if (q < end && *q == '0') {
                q++;
                if (q < end && is_digit(*q))
                        return q;
        } else if (q < end && is_digit(*q)) {
                q = skip_digits(q, end);
        } else {
                return q;
        }
        if (q == end || (*q != '.' && *q != 'e' && *q != 'E')) {
                *ret_token = TOKEN_INTEGER;
                return q;
        }
        if (*q == '.') {
                q++;
                if (q == end || !is_digit(*q))
                        return q;
                q = skip_digits(q, end);
        }
        if (q < end && (*q == 'e' || *q == 'E')) {
                q++;
                if (q < end && (*q == '+' || *q == '-'))
                        q++;
                if (q == end || !is_digit(*q))
                        return q;
                q = skip_digits(q, end);
        }
        *ret_token = TOKEN_REAL;
        return q;
}

static int scan_number(struct parser *ps)
{
        int token;
        const char *start = ps->tok_start, *q = number_end(start, ps->end, &token);
        ps->p = q;
        if (!lookahead_ok(ps, q))
                return TOKEN_INVALID;
        if (token == TOKEN_INTEGER)
                token = read_integer(ps, start, q);
        else if (token == TOKEN_REAL)
                token = read_real(ps, start, q);
        if (token != TOKEN_INVALID && q < ps->end && *q == '\0')
                ps->drop_nul = true;
        return token;
}

/* true, false, null: jansson reads the whole run of letters, for a clearer "invalid token near 'nul'". */
static int scan_word(struct parser *ps)
{
        const char *start = ps->tok_start, *q = start;
        while (q < ps->end && is_alpha(*q))
                q++;
        ps->p = q;
        if (!lookahead_ok(ps, q))
                return TOKEN_INVALID;
        size_t n = (size_t)(q - start);
        int token = TOKEN_INVALID;
        if (n == 4 && memcmp(start, "true", 4) == 0)
                token = TOKEN_TRUE;
        else if (n == 5 && memcmp(start, "false", 5) == 0)
                token = TOKEN_FALSE;
        else if (n == 4 && memcmp(start, "null", 4) == 0)
                token = TOKEN_NULL;
        if (token != TOKEN_INVALID && q < ps->end && *q == '\0')
                ps->drop_nul = true;
        return token;
}

/* ---- arrays passed over unchecked (husk_json_deferred.skip) ---- */

/*
 * Only strings (to their closing quote, a backslash escaping the byte after it) and square brackets
 * are followed: on valid JSON that finds the parser's end of an array, and nothing else is checked.
 */
struct skip_state {
        size_t depth; /* open brackets */
        bool in_string, escaped;
        /* a NUL was met: jansson drops one after a number or a word without counting it, which only
         * a checked parse follows, so the array is not passed over */
        bool refused;
};

/* Follow [p, end) a byte at a time: the byte after the array's closing bracket, or NULL when not there
 * (or refused). */
static const char *skip_bytes(const char *p, const char *end, struct skip_state *st)
{
        for (; p < end; p++) {
                char c = *p;
                if (c == '\0') {
                        st->refused = true;
                        return NULL;
                }
                if (st->escaped) {
                        st->escaped = false;
                } else if (st->in_string) {
                        st->escaped = c == '\\';
                        st->in_string = c != '"';
                } else if (c == '"') {
                        st->in_string = true;
                } else if (c == '[') {
                        st->depth++;
                } else if (c == ']' && --st->depth == 0) {
                        return p + 1;
                }
        }
        return NULL;
}

#ifdef __SSE2__
/* For 64 bytes at p, bit i set where p[i] is a quote, a square bracket, or a byte that makes the
 * block one to follow a byte at a time (a backslash, a NUL). */
struct masks64 {
        uint64_t quotes, bytewise, brackets;
};

static struct masks64 find_masks64(const char *p)
{
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), nul = _mm_setzero_si128();
        const __m128i open = _mm_set1_epi8('['), close = _mm_set1_epi8(']');
        struct masks64 m = {0};
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
                int shift = 16 * i;
                m.quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << shift;
                __m128i slow = _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, nul));
                m.bytewise |= (uint64_t)(uint16_t)_mm_movemask_epi8(slow) << shift;
                __m128i b = _mm_or_si128(_mm_cmpeq_epi8(v, open), _mm_cmpeq_epi8(v, close));
                m.brackets |= (uint64_t)(uint16_t)_mm_movemask_epi8(b) << shift;
        }
        return m;
}

/* Bit i is the parity of bits 0..i: set inside a string when bits mark its quotes. */
static uint64_t prefix_xor(uint64_t m)
{
        m ^= m << 1;
        m ^= m << 2;
        m ^= m << 4;
        m ^= m << 8;
        m ^= m << 16;
        m ^= m << 32;
        return m;
}
#endif

/*
 * The end of the array that starts at p ('['), or NULL when it has none or holds a NUL. 64 bytes at
 * a time where SSE2 is there: without a backslash (or NUL) in a block, the bytes inside strings are
 * those after an odd number of quotes, and only the brackets outside them are looked at.
 */
static const char *skip_array(const char *p, const char *end)
{
        struct skip_state st = {0};
#ifdef __SSE2__
        while (end - p >= 64) {
                struct masks64 m = find_masks64(p);
                if (st.escaped || m.bytewise) {
                        const char *q = skip_bytes(p, p + 64, &st);
                        if (q || st.refused)
                                return q;
                } else {
                        uint64_t inside = prefix_xor(m.quotes) ^ (st.in_string ? ~UINT64_C(0) : 0);
                        uint64_t brackets = m.brackets & ~inside;
                        st.in_string = inside >> 63;
                        for (; brackets; brackets &= brackets - 1) {
                                int i = __builtin_ctzll(brackets);
                                if (p[i] == '[')
                                        st.depth++;
                                else if (--st.depth == 0)
                                        return p + i + 1;
                        }
                }
                p += 64;
        }
#endif
        return skip_bytes(p, end, &st);
}

/* Indentation is most of a pretty-printed document: runs of spaces go 8 bytes at a time. */
static const char *skip_space(const char *p, const char *end)
{
        for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                while (end - p >= 8) {
                        uint64_t v;
                        memcpy(&v, p, sizeof(v));
                        v ^= ONES * ' ';
                        if (v) {
                                p += __builtin_ctzll(v) >> 3;
                                break;
                        }
                        p += 8;
                }
#endif
                if (p == end || !is_space(*p))
                        return p;
                p++;
        }
}

__attribute__((cold)) static void drop_nul(struct parser *ps)
{
        const char *at = ps->p;
        if (ps->drops == 0 || memchr(ps->last_drop, '\n', (size_t)(at - ps->last_drop)))
                ps->drops_in_line = 0;
        ps->drops_in_line++;
        ps->drops++;
        ps->last_drop = at;
        ps->p = at + 1;
        ps->drop_nul = false;
}

static int scan_token(struct parser *ps)
{
        if (ps->drop_nul)
                drop_nul(ps);
        const char *end = ps->end, *p = skip_space(ps->p, end);
        ps->tok_start = ps->p = p;
        if (p == end)
                return TOKEN_EOF;

        char c = *p;
        switch (c) {
        case '{':
        case '}':
        case '[':
        case ']':
        case ':':
        case ',':
                ps->p = p + 1;
                return c;
        case '"':
                return scan_string(ps);
        case '-':
                return scan_number(ps);
        default:
                break;
        }
        if (is_digit(c))
                return scan_number(ps);
        if (is_alpha(c))
                return scan_word(ps);
        if ((unsigned char)c >= 0x80) {
                size_t n = utf8_length(p, end);
                if (!n) {
                        fail_utf8(ps, p);
                        return TOKEN_INVALID;
                }
                ps->p = p + n; /* the whole character is the token, for a readable message */
                return TOKEN_INVALID;
        }
        ps->p = p + 1;
        return TOKEN_INVALID;
}

static void scan(struct parser *ps)
{
        ps->token = scan_token(ps);
}

/* ---- grammar (jansson's parse_value, parse_object, parse_array, parse_json) ---- */

static json_t *out_of_memory(struct parser *ps)
{
        ps->oom = true; /* jansson leaves the error text empty */
        return NULL;
}

/*
 * With build false a value is checked as it would be parsed, through the same code, but nothing is
 * allocated: every value is jansson's null singleton (deferred members only, so never with
 * JSON_REJECT_DUPLICATES, whose check needs the object's keys).
 */
static json_t *parse_value(struct parser *ps, bool build);

/* Whether the key just read is the one the deferred path names at this object's level. */
static bool on_path(const struct parser *ps, int level, const char *key, size_t key_len)
{
        if (level < 0)
                return false;
        const char *want = ps->deferred->path[level];
        return strlen(want) == key_len && memcmp(want, key, key_len) == 0;
}

static json_t *parse_object(struct parser *ps, bool build)
{
        const int level = ps->level;
        json_t *object = build ? json_object() : json_null();
        if (!object)
                return out_of_memory(ps);

        scan(ps);
        if (ps->token == '}')
                return object;

        for (;;) {
                if (ps->token != TOKEN_STRING) {
                        fail(ps, ps->p, json_error_invalid_syntax, false, "string or '}' expected");
                        goto error;
                }
                if (ps->str_nul) {
                        fail(ps, ps->p, json_error_null_byte_in_key, false, "NUL byte in object key not supported");
                        goto error;
                }
                if (build && (ps->flags & JSON_REJECT_DUPLICATES) && json_object_getn(object, ps->str, ps->str_len)) {
                        fail(ps, ps->p, json_error_duplicate_key, false, "duplicate object key");
                        goto error;
                }
                const char *key = ps->str;
                size_t key_len = ps->str_len;
                char *key_copy = NULL;
                if (build && ps->str_in_scratch) { /* the value's strings may reuse scratch */
                        key_copy = malloc(key_len + 1);
                        if (!key_copy) {
                                out_of_memory(ps);
                                goto error;
                        }
                        memcpy(key_copy, key, key_len);
                        key = key_copy;
                }

                scan(ps);
                if (ps->token != ':') {
                        free(key_copy);
                        fail(ps, ps->p, json_error_invalid_syntax, false, "':' expected");
                        goto error;
                }
                scan(ps);
                /* A member on the deferred path replaces an earlier one of its name, and so anything
                 * deferred within that; the last key of the path is deferred when it holds an array. */
                bool defer = false;
                ps->level = -1;
                if (build && on_path(ps, level, key, key_len)) {
                        ps->deferred->found = false;
                        if (ps->deferred->path[level + 1])
                                ps->level = ps->token == '{' ? level + 1 : -1;
                        else
                                defer = ps->token == '[';
                }
                size_t value_start = (size_t)(ps->tok_start - ps->buf);
                const char *skipped_end = defer && ps->skip ? skip_array(ps->tok_start, ps->end) : NULL;
                json_t *value;
                if (skipped_end) {
                        ps->p = skipped_end;
                        ps->deferred->skipped++;
                        value = json_null();
                } else {
                        value = parse_value(ps, build && !defer);
                }
                ps->level = -1;
                if (!value) {
                        free(key_copy);
                        goto error;
                }
                int r = 0;
                if (defer) {
                        ps->deferred->found = true;
                        ps->deferred->found_skipped = skipped_end != NULL;
                        ps->deferred->start = value_start;
                        ps->deferred->end = (size_t)(ps->p - ps->buf);
                        json_object_deln(object, key, key_len); /* an earlier value of this name is replaced */
                } else if (build) {
                        /* a repeated key replaces the value, as in jansson (unless JSON_REJECT_DUPLICATES) */
                        r = json_object_setn_new_nocheck(object, key, key_len, value);
                }
                free(key_copy);
                if (r < 0) {
                        out_of_memory(ps);
                        goto error;
                }

                scan(ps);
                if (ps->token != ',')
                        break;
                scan(ps);
        }
        if (ps->token != '}') {
                fail(ps, ps->p, json_error_invalid_syntax, false, "'}' expected");
                goto error;
        }
        return object;

error:
        json_decref(object);
        return NULL;
}

static json_t *parse_array(struct parser *ps, bool build)
{
        json_t *array = build ? json_array() : json_null();
        if (!array)
                return out_of_memory(ps);

        scan(ps);
        if (ps->token == ']')
                return array;

        while (ps->token != TOKEN_EOF) {
                ps->level = -1; /* a deferred path names members only */
                json_t *element = parse_value(ps, build);
                if (!element)
                        goto error;
                if (build && json_array_append_new(array, element) < 0) {
                        out_of_memory(ps);
                        goto error;
                }
                scan(ps);
                if (ps->token != ',')
                        break;
                scan(ps);
        }
        if (ps->token != ']') {
                fail(ps, ps->p, json_error_invalid_syntax, false, "']' expected");
                goto error;
        }
        return array;

error:
        json_decref(array);
        return NULL;
}

static json_t *parse_value(struct parser *ps, bool build)
{
        /* counted for every value, scalars too, as jansson does */
        if (++ps->depth > JSON_PARSER_MAX_DEPTH) {
                fail(ps, ps->p, json_error_stack_overflow, false, "maximum parsing depth reached");
                return NULL;
        }
        json_t *v;
        switch (ps->token) {
        case '{':
                v = parse_object(ps, build);
                break;
        case '[':
                v = parse_array(ps, build);
                break;
        case TOKEN_STRING:
                if (ps->str_nul && !(ps->flags & JSON_ALLOW_NUL)) {
                        fail(ps, ps->p, json_error_null_character, false,
                             "\\u0000 is not allowed without JSON_ALLOW_NUL");
                        return NULL;
                }
                v = build ? json_stringn_nocheck(ps->str, ps->str_len) : json_null();
                if (!v)
                        return out_of_memory(ps);
                break;
        case TOKEN_INTEGER:
                v = build ? json_integer(ps->integer) : json_null();
                if (!v)
                        return out_of_memory(ps);
                break;
        case TOKEN_REAL:
                v = build ? json_real(ps->real) : json_null();
                if (!v)
                        return out_of_memory(ps);
                break;
        case TOKEN_TRUE:
                v = json_true();
                break;
        case TOKEN_FALSE:
                v = json_false();
                break;
        case TOKEN_NULL:
                v = json_null();
                break;
        case TOKEN_INVALID:
                fail(ps, ps->p, json_error_invalid_syntax, false, "invalid token");
                return NULL;
        default:
                fail(ps, ps->p, json_error_invalid_syntax, false, "unexpected token");
                return NULL;
        }
        if (v)
                ps->depth--;
        return v;
}

static json_t *parse_json(struct parser *ps)
{
        scan(ps);
        if (ps->token != '[' && ps->token != '{') {
                fail(ps, ps->p, json_error_invalid_syntax, false, "'[' or '{' expected");
                return NULL;
        }
        json_t *root = parse_value(ps, true);
        if (!root)
                return NULL;
        scan(ps);
        if (ps->token != TOKEN_EOF) {
                fail(ps, ps->p, json_error_end_of_input_expected, false, "end of file expected");
                json_decref(root);
                return NULL;
        }
        ps->error->position = (int)((size_t)(ps->p - ps->buf) - ps->drops);
        return root;
}

/* jansson seeds its hash tables on the first object by reading /dev/urandom (open, read, close); one
 * getrandom does as well. Without it jansson falls back to its own way. */
static void seed_hashes(void)
{
        static bool seeded;
        if (seeded)
                return;
        seeded = true;
        size_t seed = 0;
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed != 0)
                json_object_seed(seed);
}

json_t *husk_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error)
{
        return husk_json_loadb_deferring(buf, len, flags, NULL, error);
}

json_t *husk_json_loadb_deferring(const char *buf, size_t len, size_t flags, struct husk_json_deferred *deferred,
                                  json_error_t *error)
{
        seed_hashes();
        if (deferred) {
                deferred->found = deferred->found_skipped = false;
                deferred->skipped = 0;
                if (!deferred->path[0] || (flags & JSON_REJECT_DUPLICATES))
                        deferred = NULL; /* the whole document, or a tree whose keys must all be checked */
        }
        if (flags & ~SUPPORTED_FLAGS)
                return json_loadb(buf, len, flags, error);

        json_error_t unused;
        if (!error)
                error = &unused;
        /* jsonp_error_init */
        error->text[0] = '\0';
        error->line = -1;
        error->column = -1;
        error->position = 0;
        snprintf(error->source, sizeof(error->source), "%s", "<buffer>");
        if (!buf) {
                snprintf(error->text, JSON_ERROR_TEXT_LENGTH - 1, "%s", "wrong arguments");
                error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_invalid_argument;
                return NULL;
        }

        struct parser ps = {
            .buf = buf,
            .end = buf + len,
            .p = buf,
            .tok_start = buf,
            .flags = flags,
            .error = error,
            .deferred = deferred,
            .level = deferred ? 0 : -1,
            .skip = deferred && deferred->skip && flags == 0,
        };
        json_t *root = parse_json(&ps);
        free(ps.scratch);
        return root;
}
