/* Typed reads of jansson values whose errors name the JSON path of the bad value. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/json_parse.h"
#include "spec/spec.h"
#include "util/error.h"

/*
 * One step of a JSON path, kept on the C stack of the parser: building a path costs
 * nothing until an error prints it ("process.rlimits[1].type", "linux.sysctl[\"a.b\"]").
 */
struct json_path {
        const struct json_path *parent;
        const char *key; /* member name; NULL for an array element */
        size_t index;
        bool map_key; /* key is data (annotations, sysctl, ...): printed as ["key"] */
};

#define JSON_PATH_KEY(p, k) ((struct json_path){.parent = (p), .key = (k)})
#define JSON_PATH_INDEX(p, i) ((struct json_path){.parent = (p), .index = (i)})
#define JSON_PATH_MAP_KEY(p, k) ((struct json_path){.parent = (p), .key = (k), .map_key = true})

/* An integer literal jansson cannot hold (outside int64); see json_reader_load. */
struct json_big_literal {
        size_t offset, len;
};

struct json_reader {
        const char *source; /* error prefix: "config.json" */
        struct husk_error **err;
        const char *text; /* the original document */
        struct json_big_literal *bigs;
        size_t bigs_len, bigs_cap;
        struct husk_json_deferred *deferred; /* a member json_reader_load leaves as text, or NULL */
};

/*
 * Parse text into *ret (an object). Malformed JSON sets `<source>: line L, column C: <jansson text>`.
 * Integer literals outside int64 (uint64 limits such as 18446744073709551615 are common) are
 * swapped for same-length placeholder strings before jansson sees them and read back exactly
 * by the integer readers below. Call json_reader_done when finished.
 */
int json_reader_load(struct json_reader *r, const char *text, size_t len, json_t **ret);
void json_reader_done(struct json_reader *r);

/* Set `<source>: <path>: <message>`; returns -EINVAL. */
int json_fail(const struct json_reader *r, const struct json_path *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Log `<source>: <path>: <message>` as a warning (the spec's "MUST be logged as a warning"). */
void json_warn(const struct json_reader *r, const struct json_path *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int json_fail_missing(const struct json_reader *r, const struct json_path *parent, const char *key);
int json_fail_oom(const struct json_reader *r);
int json_fail_type(const struct json_reader *r, const struct json_path *path, const json_t *v, const char *expected);

/* A value quoted for a message: "..." with control characters escaped, long values cut. */
struct json_quoted {
        char buf[96];
};
const char *json_quote(struct json_quoted *q, const char *s);

/* obj[key], or NULL when absent or null (Go's decoder, hence runc, treats null as absent). */
json_t *json_member(const json_t *obj, const char *key);

/* Readers of a value that is present (not NULL); 0 on success, -EINVAL with the error set. */
int json_read_object(const struct json_reader *r, const struct json_path *path, const json_t *v);
int json_read_array(const struct json_reader *r, const struct json_path *path, const json_t *v);
int json_read_string(const struct json_reader *r, const struct json_path *path, const json_t *v, char **ret);
int json_read_bool(const struct json_reader *r, const struct json_path *path, const json_t *v, bool *ret);
int json_read_u64(const struct json_reader *r, const struct json_path *path, const json_t *v, uint64_t max,
                  uint64_t *ret);
int json_read_i64(const struct json_reader *r, const struct json_path *path, const json_t *v, int64_t min, int64_t max,
                  int64_t *ret);
int json_read_strv(const struct json_reader *r, const struct json_path *path, const json_t *v, husk_strv *ret);
/* An object of strings into a key/value list, in document order. */
int json_read_kv(const struct json_reader *r, const struct json_path *path, const json_t *v, struct husk_kv_list *ret);
/* The string value without copying it (valid while the document lives). */
int json_read_string_ref(const struct json_reader *r, const struct json_path *path, const json_t *v, const char **ret);

/*
 * Readers of obj[key]: return 1 when the member was read, 0 when it is absent or null (*ret untouched),
 * -EINVAL on error. The error path is parent.key.
 */
int json_get_object(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                    json_t **ret);
int json_get_array(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                   json_t **ret);
int json_get_string(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                    char **ret);
int json_get_string_ref(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                        const char **ret);
int json_get_bool(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  bool *ret);
int json_get_u64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 uint64_t max, uint64_t *ret);
int json_get_u32(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 uint32_t *ret);
int json_get_i64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                 int64_t min, int64_t max, int64_t *ret);
int json_get_strv(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  husk_strv *ret);
int json_get_kv(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                struct husk_kv_list *ret);

/* Return from the calling function when a read failed. */
#define JSON_TRY(expr)                                                                                                 \
        do {                                                                                                           \
                int _json_r_ = (expr);                                                                                 \
                if (_json_r_ < 0)                                                                                      \
                        return _json_r_;                                                                               \
        } while (0)

/* Evaluate a json_get_* call: return from the caller on error, else yield 0 (absent) or 1 (read). */
#define JSON_TRY_GET(expr)                                                                                             \
        ({                                                                                                             \
                int _json_g_ = (expr);                                                                                 \
                if (_json_g_ < 0)                                                                                      \
                        return _json_g_;                                                                               \
                _json_g_;                                                                                              \
        })

void husk_kv_list_clear(struct husk_kv_list *list);
