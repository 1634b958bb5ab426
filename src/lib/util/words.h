/* Space-separated word lists, as the kernel writes them (cgroup.controllers, cgroup.subtree_control). */
#pragma once

#include <stdbool.h>

/* Whether `word` is one of the space-separated words of `list`. */
bool husk_word_listed(const char *list, const char *word);
