/* The state root's seccomp cache as the config parser's judge of the rules' text. */
#include "container/seccomp-lookup.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"

char *husk_seccomp_cache_dir(const char *root)
{
        char *cache = NULL;
        return asprintf(&cache, "%s/.seccomp-cache", root) < 0 ? NULL : cache;
}

bool husk_seccomp_rules_cached(const struct husk_seccomp *seccomp, void *data)
{
        struct husk_seccomp_lookup *lookup = data;
        _cleanup_free_ char *cache = husk_seccomp_cache_dir(lookup->root);
        husk_seccomp_filter_freep(&lookup->filter);
        return cache && husk_seccomp_cache_get(seccomp, cache, &lookup->filter) > 0;
}
