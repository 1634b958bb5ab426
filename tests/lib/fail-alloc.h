/* Test helper: make the Nth allocation fail, for tests that wrap malloc and friends (--wrap). */
#pragma once

#include <stdbool.h>

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
