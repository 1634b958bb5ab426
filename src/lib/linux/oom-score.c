/* process.oomScoreAdj: the OOM killer's score adjustment of the container process. */
#include "linux/oom-score.h"

#include <stdio.h>

#include "linux/proc.h"

static int write_score(const char *path, int value, struct husk_error **err)
{
        if (value < -1000 || value > 1000)
                return husk_error_set(err, 0, "process.oomScoreAdj: %d is out of range (-1000..1000)", value);
        char text[16];
        snprintf(text, sizeof(text), "%d", value);
        int r = husk_proc_write(path, text, err);
        if (r < 0)
                return husk_error_wrap(err, "process.oomScoreAdj");
        return 0;
}

int husk_oom_score_adj_apply(int value, struct husk_error **err)
{
        return write_score("self/oom_score_adj", value, err);
}

int husk_oom_score_adj_apply_pid(pid_t pid, int value, struct husk_error **err)
{
        char path[64];
        snprintf(path, sizeof(path), "%d/oom_score_adj", (int)pid);
        return write_score(path, value, err);
}
