/* process.oomScoreAdj: the OOM killer's score adjustment of the container process. */
#pragma once

#include <sys/types.h>

#include "util/error.h"

/* Write value (-1000..1000) to /proc/self/oom_score_adj through the verified procfs (proc.h). */
int husk_oom_score_adj_apply(int value, struct husk_error **err);

/* The same for another process (e.g. the parent setting it on the container init): /proc/<pid>/oom_score_adj. */
int husk_oom_score_adj_apply_pid(pid_t pid, int value, struct husk_error **err);
