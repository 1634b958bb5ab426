/* The jansson arena: allocations come from it between begin and end, and jansson's own allocator is back after. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec/json_arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void test_allocator_swapped_and_restored(void **state)
{
        (void)state;
        json_malloc_t before_malloc;
        json_free_t before_free;
        json_get_alloc_funcs(&before_malloc, &before_free);

        struct json_arena arena;
        husk_json_arena_begin(&arena);
        json_malloc_t during_malloc;
        json_free_t during_free;
        json_get_alloc_funcs(&during_malloc, &during_free);
#ifdef UNDER_ASAN
        assert_false(arena.active);
        assert_ptr_equal(during_malloc, before_malloc);
#else
        assert_true(arena.active);
        assert_ptr_not_equal(during_malloc, before_malloc);
        assert_ptr_not_equal(during_free, before_free);
#endif
        husk_json_arena_end(&arena);

        json_malloc_t after_malloc;
        json_free_t after_free;
        json_get_alloc_funcs(&after_malloc, &after_free);
        assert_ptr_equal(after_malloc, before_malloc);
        assert_ptr_equal(after_free, before_free);
        assert_false(arena.active);
}

/* A document larger than one chunk (64 KiB) parses whole, and values outlive nothing but the arena. */
static void test_large_document(void **state)
{
        (void)state;
        enum { N = 20000 };
        size_t cap = N * 16 + 16, len = 0;
        char *text = malloc(cap);
        assert_non_null(text);
        text[len++] = '[';
        for (int i = 0; i < N; i++)
                len += (size_t)snprintf(text + len, cap - len, "%s\"s%05d\"", i ? "," : "", i);
        text[len++] = ']';

        struct json_arena arena;
        husk_json_arena_begin(&arena);
        json_error_t e;
        json_t *doc = json_loadb(text, len, 0, &e);
        assert_non_null(doc);
        assert_int_equal(json_array_size(doc), N);
        assert_string_equal(json_string_value(json_array_get(doc, N - 1)), "s19999");
        /* An object with many keys: its hashtable grows (old buckets "freed" into the arena). */
        json_t *obj = json_object();
        for (int i = 0; i < 2000; i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%d", i);
                assert_int_equal(json_object_set_new(obj, key, json_integer(i)), 0);
        }
        assert_int_equal(json_integer_value(json_object_get(obj, "k1999")), 1999);
        if (!arena.active) {
                json_decref(obj);
                json_decref(doc);
        }
        husk_json_arena_end(&arena);

        /* After the end jansson's values are the C library's again, and are freed normally. */
        json_t *after = json_pack("{s:[i,s]}", "a", 1, "b");
        assert_non_null(after);
        json_decref(after);
        free(text);
}

/* A second begin inside the first changes nothing: the outer arena stays in charge until its end. */
static void test_nested_begin_is_inert(void **state)
{
        (void)state;
        struct json_arena outer, inner;
        husk_json_arena_begin(&outer);
        husk_json_arena_begin(&inner);
        assert_false(inner.active);
        json_t *v = json_string("kept until the outer end");
        husk_json_arena_end(&inner);
        assert_string_equal(json_string_value(v), "kept until the outer end");
        if (!outer.active)
                json_decref(v);
        husk_json_arena_end(&outer);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_allocator_swapped_and_restored),
            cmocka_unit_test(test_large_document),
            cmocka_unit_test(test_nested_begin_is_inert),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
