/* Space-separated word lists, as the kernel writes them (cgroup.controllers, cgroup.subtree_control). */
#include "util/words.h"

#include <string.h>

bool husk_word_listed(const char *list, const char *word)
{
        size_t len = strlen(word);
        for (const char *p = list; (p = strstr(p, word)); p += len)
                if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
                        return true;
        return false;
}
