/* Signalling every process of a container's cgroup tree, frozen meanwhile so that none forks past the list. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/cleanup.h"

int husk_cgroup_signal_all(struct husk_cgroup *cg, int sig, struct husk_error **err)
{
        /* cgroup.kill (5.14+) kills the whole v2 subtree at once, frozen or not. */
        if (sig == SIGKILL && cg->layout == HUSK_CGROUP_V2 && cg->unified >= 0 &&
            cg->hierarchies[cg->unified].fd >= 0 &&
            cg_write(cg->hierarchies[cg->unified].fd, "cgroup.kill", "1", NULL) == 0)
                return 0;

        _cleanup_free_ pid_t *pids = NULL;
        size_t len = 0;
        int r = husk_cgroup_pids(cg, &pids, &len, err);
        if (r < 0 || len == 0)
                return r; /* an emptied cgroup (the usual delete) needs no freezing */

        /* Without a freezer (rootless v1) the list is all there is: a process forking right now may escape. */
        bool was_frozen = false;
        if (husk_cgroup_is_frozen(cg, &was_frozen, NULL) < 0)
                was_frozen = false;
        bool froze = !was_frozen && cg_freezer_set(cg, true, NULL) == 0;
        if (froze) {
                free(TAKE_PTR(pids));
                len = 0;
                r = husk_cgroup_pids(cg, &pids, &len, err);
        }
        /* One process the caller may not signal (rootless) does not spare the others: the first error is kept. */
        pid_t self = getpid();
        for (size_t i = 0; i < len; i++)
                if (pids[i] != self && kill(pids[i], sig) < 0 && errno != ESRCH && r == 0)
                        r = husk_error_set(err, errno, "kill pid %d", (int)pids[i]);
        /* A task frozen by the v1 freezer dies of SIGKILL only once thawed; the container is going anyway. */
        if (froze || (was_frozen && sig == SIGKILL))
                (void)cg_freezer_set(cg, false, NULL);
        return r;
}
