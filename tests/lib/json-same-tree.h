/* Test helper: whether two jansson trees are the same, stricter than json_equal (key order, reals bit
 * for bit: -0.0 is not 0.0). Shared by tests/unit/spec/test_json_parse.c and tests/fuzz/fuzz_json.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static inline bool json_same_tree(json_t *a, json_t *b)
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
                            !json_same_tree(json_object_iter_value(ia), json_object_iter_value(ib)))
                                return false;
                }
                return !ia && !ib;
        }
        case JSON_ARRAY:
                if (json_array_size(a) != json_array_size(b))
                        return false;
                for (size_t i = 0; i < json_array_size(a); i++)
                        if (!json_same_tree(json_array_get(a, i), json_array_get(b, i)))
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
