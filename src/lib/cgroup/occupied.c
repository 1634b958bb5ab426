/*
 * A container's cgroup that exists already must hold no process (runc 1.2 refuses one too): `kill --all`, a
 * SIGKILL of a container without its own pid namespace and `delete` signal everything in the cgroup, and would
 * reach processes that are not the container's; its limits and stats would be shared with them.
 */
#include "cgroup/cgroup-internal.h"

#include <limits.h>
#include <stdlib.h>

#include "util/cleanup.h"

int cg_check_unoccupied(struct husk_cgroup *cg, struct husk_error **err)
{
        for (size_t i = 0; i < cg->hierarchies_len; i++) {
                struct cg_hierarchy *h = &cg->hierarchies[i];
                /* Made now (the last component at least): nothing can be in it yet. */
                if (h->fd < 0 || h->created)
                        continue;
                _cleanup_free_ pid_t *pids = NULL;
                size_t len = 0, cap = 0;
                char shown[4200];
                if (cg_collect_pids(h->fd, &pids, &len, &cap, err) < 0)
                        return husk_error_wrap(err, "`%s`", cg_display(h, h->path, INT_MAX, shown, sizeof(shown)));
                if (len)
                        return husk_error_set(err, 0,
                                              "container's cgroup is not empty: `%s` holds %zu process%s (pid %d): "
                                              "a container's cgroup must be its own",
                                              cg_display(h, h->path, INT_MAX, shown, sizeof(shown)), len,
                                              len == 1 ? "" : "es", (int)pids[0]);
        }
        return 0;
}
