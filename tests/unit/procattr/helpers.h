/* Shared helpers of the procattr unit tests: run a check in a forked child and collect its verdict. */
#pragma once

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/error.h"

/* In a child: print why and return 1 from the enclosing function (the child's exit status). */
#define CHILD_CHECK(cond, ...)                                                       \
        do {                                                                         \
                if (!(cond)) {                                                       \
                        fprintf(stderr, "%s:%d: check `%s` failed: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                \
                        fputc('\n', stderr);                                         \
                        return 1;                                                    \
                }                                                                    \
        } while (0)

/* The formatted error (message + errno text) or "(none)"; static buffer, for messages only. */
static inline const char *error_text(const struct husk_error *err)
{
        static char text[1024];
        char *s = husk_error_format(err);
        snprintf(text, sizeof(text), "%s", err ? (s ? s : "?") : "(none)");
        free(s);
        return text;
}

/*
 * Run fn(arg) in a forked child (anything that changes process state stays out of the test
 * runner) and return its raw wait status. The child leaves with _exit, so no atexit handler
 * (cmocka's, LeakSanitizer's) runs twice.
 */
static inline int run_in_child_status(int (*fn)(void *), void *arg)
{
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int code = fn(arg);
                fflush(stdout);
                fflush(stderr);
                _exit(code);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return status;
}

/* Assert that fn(arg) returned 0 in a child. */
static inline void assert_child_ok(int (*fn)(void *), void *arg)
{
        int status = run_in_child_status(fn, arg);
        if (!WIFEXITED(status))
                fail_msg("child died from signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
        if (WEXITSTATUS(status) != 0)
                fail_msg("child check failed (exit status %d), see stderr", WEXITSTATUS(status));
}

/* Whether `haystack` contains `needle` (for error messages). */
static inline int contains(const char *haystack, const char *needle)
{
        return haystack && strstr(haystack, needle) != NULL;
}
