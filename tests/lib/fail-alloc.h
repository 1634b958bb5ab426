/* Test helper: make the Nth allocation fail, for tests that wrap malloc and friends (--wrap). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

static long countdown = -1; /* allocations left before one fails; -1: none fails */
static bool failed;         /* one was failed since the test last cleared this */

/* Called by the wrappers: true when this allocation is the one to fail. */
static inline bool fail_now(void)
{
        if (countdown < 0)
                return false;
        if (countdown-- == 0) {
                failed = true;
                return true;
        }
        return false;
}

/*
 * For a test linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: the wrappers, each failing when
 * fail_now() says so. Expand once, at file scope.
 */
#define FAIL_ALLOC_WRAPPERS                                                                                            \
        void *__real_malloc(size_t size);                                                                              \
        void *__real_calloc(size_t n, size_t size);                                                                    \
        void *__real_realloc(void *p, size_t size);                                                                    \
        void *__wrap_malloc(size_t size);                                                                              \
        void *__wrap_calloc(size_t n, size_t size);                                                                    \
        void *__wrap_realloc(void *p, size_t size);                                                                    \
        void *__wrap_malloc(size_t size)                                                                               \
        {                                                                                                              \
                return fail_now() ? NULL : __real_malloc(size);                                                        \
        }                                                                                                              \
        void *__wrap_calloc(size_t n, size_t size)                                                                     \
        {                                                                                                              \
                return fail_now() ? NULL : __real_calloc(n, size);                                                     \
        }                                                                                                              \
        void *__wrap_realloc(void *p, size_t size)                                                                     \
        {                                                                                                              \
                return fail_now() ? NULL : __real_realloc(p, size);                                                    \
        }
