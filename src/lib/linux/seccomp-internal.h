/* What seccomp.c and seccomp_cache.c share about a compiled filter; not for other callers. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

struct husk_seccomp_filter {
        struct sock_filter *insns;
        size_t len;         /* instructions */
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* except NEW_LISTENER */
        bool listener;      /* a rule uses SCMP_ACT_NOTIFY: load with NEW_LISTENER */
};

/* The seccomp(2) flags for cfg, checked against the running kernel (compile and cache hit alike). */
int husk_seccomp_kernel_flags(const struct husk_seccomp *cfg, bool listener, unsigned int *ret_flags,
                              struct husk_error **err);
