/* A container's cgroup under the systemd cgroup driver: the scope around its init, then cgroupfs below it. */
#include "container/lifecycle.h"

#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"
#include "util/log.h"

int husk_launch_systemd_plan(struct husk_launch *l, struct husk_error **err)
{
        if (!l->rt->systemd_cgroup)
                return 0;
        /* Asked where the cgroup is planned (create, run, restore), as runc: state, list, kill or delete of a
         * container need no systemd. */
        if (access("/run/systemd/system", F_OK) < 0)
                return husk_error_set(err, 0,
                                      "--systemd-cgroup: systemd is not running on this host "
                                      "(no /run/systemd/system): use the default cgroupfs driver");
        const char *path = l->spec->has_linux ? l->spec->linux_.cgroups_path : NULL;
        int r = husk_systemd_unit_parse(path, l->id, l->rt->rootless, &l->systemd, err);
        if (r < 0)
                return r;
        r = husk_systemd_unit_parse_properties(&l->spec->annotations, &l->systemd, err);
        if (r < 0)
                return r;
        l->state.systemd_unit = l->systemd.name;
        return 0;
}

/*
 * The init exists and waits for GO: systemd makes the scope around it, husk makes the hierarchies
 * systemd leaves alone at the same path (v1; rootless, only those the user may write), applies every
 * limit and moves the init into all of them.
 */
int husk_launch_systemd_attach(struct husk_launch *l, struct husk_error **err)
{
        enum husk_cgroup_layout layout;
        int r = husk_cgroup_detect_layout(&layout, err);
        if (r < 0)
                return r;
        const struct husk_resources *res =
            l->spec->has_linux && l->spec->linux_.resources.present ? &l->spec->linux_.resources : NULL;
        _cleanup_free_ char *description = NULL;
        if (asprintf(&description, "husk container %s", l->id) < 0)
                return husk_error_set(err, ENOMEM, "allocate");
        _cleanup_free_ char *path = NULL;
        r = husk_systemd_start_scope(&l->systemd, l->rt->rootless, description, l->pid, res, layout, &path, err);
        if (r < 0)
                return r;
        l->systemd_started = true;
        husk_debug("systemd: unit `%s` has cgroup `%s`", l->systemd.name, path);
        r = husk_cgroup_create_at(l->spec, path, l->rt->rootless, &l->cgroup, err);
        if (r < 0)
                return r;
        r = husk_cgroup_enter(l->cgroup, l->pid, err);
        if (r < 0)
                return husk_error_wrap(err, "move the init into cgroup `%s`", path);
        l->state.cgroup_path = (char *)husk_cgroup_path(l->cgroup);
        return husk_state_write_cgroup(l->dirfd, l->state.cgroup_path, err);
}

int husk_launch_systemd_stop(struct husk_launch *l, struct husk_error **err)
{
        if (!l->systemd_started)
                return 0;
        l->systemd_started = false;
        return husk_systemd_stop_unit(l->systemd.name, l->rt->rootless, err);
}
