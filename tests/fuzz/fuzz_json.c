/* libFuzzer target: husk_json_loadb (and its deferring form) against jansson's json_loadb; any difference in
 * tree or error aborts. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/json_parse.h"
#include "../lib/json-deferring.h"
#include "../lib/json-same-tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
                if (!json_same_tree(a, b))
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

/* The loader that leaves one member as text (the config's seccomp rules), at the root and deeper. */
static void compare_deferring(const char *text, size_t size, size_t flags)
{
        static const char *const paths[][4] = {{"a", NULL}, {"a", "b", NULL}, {"linux", "seccomp", "syscalls", NULL}};
        for (size_t i = 0; i < 2 * sizeof(paths) / sizeof(paths[0]); i++) {
                json_error_t want, got;
                bool parsed, found, skip = i % 2;
                if (!json_deferring_agrees(text, size, flags, paths[i / 2], skip, &want, &got, &parsed, &found))
                        differ(found ? "deferring: different trees or text" : "deferring: different results", flags,
                               &want, &got);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        compare(text, size, 0);
        compare(text, size, JSON_ALLOW_NUL);
        compare(text, size, JSON_REJECT_DUPLICATES);
        compare_deferring(text, size, 0);
        compare_deferring(text, size, JSON_ALLOW_NUL);
        return 0;
}
