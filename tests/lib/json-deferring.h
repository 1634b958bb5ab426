/* Test helper: husk_json_loadb_deferring against jansson's json_loadb. Shared by
 * tests/unit/spec/test_json_parse.c and tests/fuzz/fuzz_json.c. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "spec/json_parse.h"

/*
 * Whether husk_json_loadb_deferring on text, deferring path, agrees with json_loadb: the same error,
 * or the same tree once the deferred member's text (one array), parsed alone, is put back where the
 * path says (json_equal: it comes last among its siblings then). want and got receive both parsers'
 * errors, *parsed whether jansson parsed the text, *found whether a member was deferred.
 * With skip (arrays at the path passed over unchecked) the same holds for text jansson parses, and
 * for text it refuses as long as no array was passed over (its caller parses again otherwise); arrays
 * are passed over only where flags are 0, and then the one found always is when jansson parses text,
 * unless it holds a NUL (checked then: jansson drops a NUL after a number uncounted).
 */
static inline bool json_deferring_agrees(const char *text, size_t len, size_t flags, const char *const *path, bool skip,
                                         json_error_t *want, json_error_t *got, bool *parsed, bool *found)
{
        struct husk_json_deferred d = {.path = path, .skip = skip, .found = true, .skipped = 99};
        json_t *a = json_loadb(text, len, flags, want);
        json_t *b = husk_json_loadb_deferring(text, len, flags, &d, got);
        *parsed = a != NULL;
        *found = b && d.found;
        /* arrays are passed over only when asked, and then every valid one is */
        bool sane = d.skipped == 0 || (skip && flags == 0);
        if (a && b && d.found && skip && flags == 0)
                sane = sane && (d.found_skipped || memchr(text + d.start, '\0', d.end - d.start));
        if (!sane) {
                json_decref(a);
                json_decref(b);
                return false;
        }
        if (!a && d.skipped > 0) {
                json_decref(b);
                return true;
        }
        bool same = !a == !b;
        if (same && b && d.found) {
                same = d.start < d.end && d.end <= len && text[d.start] == '[' && text[d.end - 1] == ']';
                size_t last = 0;
                json_t *at = b;
                for (; same && path[last + 1]; last++)
                        same = (at = json_object_get(at, path[last])) && json_is_object(at);
                json_t *value = same ? json_loadb(text + d.start, d.end - d.start, flags, NULL) : NULL;
                same = same && value && !json_object_get(at, path[last]);
                if (same)
                        same = json_object_set_new(at, path[last], value) == 0;
                else
                        json_decref(value);
        }
        if (same && a)
                same = json_equal(a, b) && want->position == got->position;
        else if (same)
                same = want->line == got->line && want->column == got->column && want->position == got->position &&
                       strcmp(want->text, got->text) == 0 && json_error_code(want) == json_error_code(got);
        json_decref(a);
        json_decref(b);
        return same;
}
