/* Scope-bound cleanup helpers and ownership transfer macros. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_ _cleanup_(strv_freep)
#define _cleanup_error_ _cleanup_(husk_error_freep)

/* Hand out ownership: return the value and leave the variable empty. */
#define TAKE_PTR(p)                         \
        ({                                  \
                __typeof__(p) _tmp_ = (p);  \
                (p) = NULL;                 \
                _tmp_;                      \
        })
#define TAKE_FD(fd)                  \
        ({                           \
                int _tmp_fd_ = (fd); \
                (fd) = -1;           \
                _tmp_fd_;            \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
