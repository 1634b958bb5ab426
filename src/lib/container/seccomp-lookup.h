/* A state root's cache of compiled seccomp filters, asked while config.json is read. */
#pragma once

#include <stdbool.h>

#include "linux/seccomp-filter.h"
#include "spec/spec.h"

/* <root>/.seccomp-cache, the caller's to free; NULL when out of memory. */
char *husk_seccomp_cache_dir(const char *root);

/* What husk_seccomp_rules_cached looks in, and the filter it found (the caller's to free). */
struct husk_seccomp_lookup {
        const char *root;
        struct husk_seccomp_filter *filter;
};

/*
 * husk_spec_parse_options.rules_known, data a struct husk_seccomp_lookup: a filter cached for this
 * profile means this husk read the same rules' text before, so the parse only finds where it ends.
 * The filter is kept in the lookup, for the container or the exec'd process.
 */
bool husk_seccomp_rules_cached(const struct husk_seccomp *seccomp, void *data);
