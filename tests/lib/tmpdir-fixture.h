/* A cmocka fixture for unit tests that need a scratch directory: *state is its path. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Made before the test. */
static inline int tmpdir_setup(void **state)
{
        char *dir = strdup("/tmp/husk-unit-XXXXXX");
        if (!dir || !mkdtemp(dir)) {
                free(dir);
                return -1;
        }
        *state = dir;
        return 0;
}

/* Removed with all it holds after the test: cmocka runs the teardown after a failed test too. */
static inline int tmpdir_teardown(void **state)
{
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", (const char *)*state);
        int r = system(cmd);
        free(*state);
        return r == 0 ? 0 : -1;
}
