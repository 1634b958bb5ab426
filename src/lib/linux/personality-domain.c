/* linux.personality: the execution domain (LINUX or LINUX32) of the container process. */
#include "linux/personality-domain.h"

#include <errno.h>
#include <sys/personality.h>

int husk_personality_apply(const struct husk_personality *cfg, struct husk_error **err)
{
        if (!cfg || !cfg->present)
                return 0;
        if (cfg->flags && cfg->flags[0])
                return husk_error_set(err, 0, "linux.personality.flags: `%s` is not supported", cfg->flags[0]);
        if (cfg->domain != PER_LINUX && cfg->domain != PER_LINUX32)
                return husk_error_set(err, 0, "linux.personality.domain: 0x%lx is neither LINUX nor LINUX32",
                                      cfg->domain);
        /* personality(2) returns the previous persona, so only errno tells a failure. */
        errno = 0;
        if (personality(cfg->domain) == -1 && errno != 0)
                return husk_error_set(err, errno, "linux.personality: personality(0x%lx)", cfg->domain);
        return 0;
}
