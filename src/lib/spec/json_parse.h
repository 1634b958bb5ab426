/* json_loadb's contract with a lexer that reads the buffer in place: the same trees and the same errors. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Parse buf[0..len) as json_loadb(buf, len, flags, error) does and return the same tree (objects,
 * arrays, strings, json_int_t integers, doubles, true/false/null) or NULL. Same grammar and limits
 * (UTF-8 checked, \u0000 refused without JSON_ALLOW_NUL, integer and real overflow, depth
 * JSON_PARSER_MAX_DEPTH, only '{' or '[' at the top, nothing but whitespace after it); on failure
 * error (may be NULL) holds exactly what json_loadb leaves there: source "<buffer>", line, column,
 * position, text ("'}' expected near 'x'") and json_error_code(). An empty text means out of memory.
 * Handled here: flags 0, JSON_ALLOW_NUL and JSON_REJECT_DUPLICATES; any other flag goes to json_loadb.
 */
json_t *husk_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *error);

/*
 * A member left as text: husk_json_loadb_deferring parses as husk_json_loadb does (the same checks, the
 * same errors) but does not build the array at `path` (member names from the root object, NULL-ended;
 * objects all the way): the tree lacks that member and buf[start..end) is its text. The last member of a
 * name counts, as in the tree: found is false when the path's last value is not an array, or is replaced
 * by a later member of the same name on the path. Not done with JSON_REJECT_DUPLICATES.
 *
 * With `skip`, an array at the path is not even checked: its end is found by following its strings and
 * brackets only, and `skipped` counts the arrays passed over so (found_skipped: the one found was). The
 * result is then what husk_json_loadb gives only if those arrays are valid JSON; the caller must know
 * that (it checked the same text before) or parse again without skip. An error can also come from
 * after an array that is not valid, where husk_json_loadb would have stopped earlier. Flags other than
 * 0 turn skip off: under JSON_ALLOW_NUL a text's validity is not its own. An array holding a NUL byte is
 * always checked: jansson drops a NUL after a number or a word without counting it in positions.
 */
struct husk_json_deferred {
        const char *const *path;
        bool skip;
        bool found, found_skipped;
        size_t skipped;
        size_t start, end;
};

json_t *husk_json_loadb_deferring(const char *buf, size_t len, size_t flags, struct husk_json_deferred *deferred,
                                  json_error_t *error);
