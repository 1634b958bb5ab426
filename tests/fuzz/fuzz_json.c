/* libFuzzer target: husk_json_loadb against jansson's json_loadb; any difference in tree or error aborts. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/json_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stricter than json_equal: key order, and reals bit for bit (-0.0 is not 0.0). */
static bool same_tree(json_t *a, json_t *b)
{
        if (json_typeof(a) != json_typeof(b))
                return false;
        switch (json_typeof(a)) {
        case JSON_OBJECT: {
                if (json_object_size(a) != json_object_size(b))
                        return false;
                void *ia = json_object_iter(a), *ib = json_object_iter(b);
                for (; ia && ib; ia = json_object_iter_next(a, ia), ib = json_object_iter_next(b, ib)) {
                        size_t len = json_object_iter_key_len(ia);
                        if (len != json_object_iter_key_len(ib) ||
                            memcmp(json_object_iter_key(ia), json_object_iter_key(ib), len) != 0 ||
                            !same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                                return false;
                }
                return !ia && !ib;
        }
        case JSON_ARRAY:
                if (json_array_size(a) != json_array_size(b))
                        return false;
                for (size_t i = 0; i < json_array_size(a); i++)
                        if (!same_tree(json_array_get(a, i), json_array_get(b, i)))
                                return false;
                return true;
        case JSON_STRING:
                return json_string_length(a) == json_string_length(b) &&
                       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
        case JSON_INTEGER:
                return json_integer_value(a) == json_integer_value(b);
        case JSON_REAL: {
                double x = json_real_value(a), y = json_real_value(b);
                return memcmp(&x, &y, sizeof(x)) == 0;
        }
        case JSON_TRUE:
        case JSON_FALSE:
        case JSON_NULL:
                return true;
        }
        return false;
}

static void differ(const char *what, size_t flags, const json_error_t *want, const json_error_t *got)
{
        fprintf(stderr, "flags 0x%zx: %s\n  jansson: %d:%d@%d [%d] %s\n  husk:    %d:%d@%d [%d] %s\n", flags, what,
                want->line, want->column, want->position, json_error_code(want), want->text, got->line, got->column,
                got->position, json_error_code(got), got->text);
        abort();
}

static void compare(const char *text, size_t size, size_t flags)
{
        json_error_t want, got;
        json_t *a = json_loadb(text, size, flags, &want);
        json_t *b = husk_json_loadb(text, size, flags, &got);
        if (!a != !b)
                differ(a ? "jansson parsed it, husk did not" : "husk parsed it, jansson did not", flags, &want, &got);
        if (a) {
                if (!same_tree(a, b))
                        differ("different trees", flags, &want, &got);
                if (want.position != got.position)
                        differ("different end positions", flags, &want, &got);
        } else if (want.line != got.line || want.column != got.column || want.position != got.position ||
                   strcmp(want.text, got.text) != 0 || json_error_code(&want) != json_error_code(&got) ||
                   strcmp(want.source, got.source) != 0) {
                differ("different errors", flags, &want, &got);
        }
        json_decref(a);
        json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        compare(text, size, 0);
        compare(text, size, JSON_ALLOW_NUL);
        compare(text, size, JSON_REJECT_DUPLICATES);
        return 0;
}
