/* process.rlimits applied with setrlimit before the user switch. */
#include "linux/rlimits.h"

#include <errno.h>
#include <sys/resource.h>

int husk_rlimits_apply(const struct husk_process *process, struct husk_error **err)
{
        for (size_t i = 0; i < process->rlimits_len; i++) {
                const struct husk_rlimit *rl = &process->rlimits[i];
                struct rlimit lim = {.rlim_cur = rl->soft, .rlim_max = rl->hard};
                if (setrlimit(rl->resource, &lim) < 0)
                        return husk_error_set(err, errno, "process.rlimits[%zu]: set %s to %llu/%llu", i,
                                              husk_rlimit_name(rl->resource), (unsigned long long)rl->soft,
                                              (unsigned long long)rl->hard);
        }
        return 0;
}
