/* The systemd cgroup driver (--systemd-cgroup): a transient scope unit per container, made over D-Bus. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "spec/spec.h"
#include "util/error.h"

/*
 * As runc's systemd driver: linux.cgroupsPath is "slice:prefix:name" and names the scope unit
 * "prefix-name.scope" in "slice" (empty: "system.slice:husk:<id>"). systemd makes the scope around
 * the container's init (PIDs), with Delegate=yes so that husk, and the container, own what is below
 * it, and with the limits systemd knows as unit properties, so that a daemon-reload keeps them.
 * husk then applies every limit through cgroupfs at the scope's cgroup, as with the cgroupfs driver,
 * and joins the hierarchies systemd does not manage (v1). systemd is reached on its private socket,
 * which needs no bus daemon: the system manager's /run/systemd/private, or with user (rootless) the
 * caller's own manager's, $XDG_RUNTIME_DIR/systemd/private, which delegates its scopes to the user.
 */

struct husk_systemd_unit {
        char *slice; /* "system.slice" */
        char *name;  /* "husk-web.scope" */
};

/* Parse linux.cgroupsPath (NULL or "" for the default: user.slice for a user's manager) for container id;
 * errors name the field. */
int husk_systemd_unit_parse(const char *cgroups_path, const char *id, bool user, struct husk_systemd_unit *ret,
                            struct husk_error **err);
void husk_systemd_unit_clear(struct husk_systemd_unit *u);

/*
 * Start the scope around pid and wait for systemd to have made it; *ret_cgroup_path is its cgroup
 * ("/system.slice/husk-web.scope", from the unit's ControlGroup). A failed scope left by an earlier
 * husk under the same name is reset once.
 */
int husk_systemd_start_scope(const struct husk_systemd_unit *u, bool user, const char *description, pid_t pid,
                             const struct husk_resources *res, enum husk_cgroup_layout layout, char **ret_cgroup_path,
                             struct husk_error **err);

/* Stop the unit (and forget it if it failed); a unit systemd no longer knows is fine. */
int husk_systemd_stop_unit(const char *unit, bool user, struct husk_error **err);

/* `update`: set the limits systemd knows on the running unit, for the runtime only, as runc does; cg is the
 * container's cgroup, for the values of the update's counterparts (the cpu period of a quota). */
int husk_systemd_set_resources(const char *unit, bool user, const struct husk_resources *res, struct husk_cgroup *cg,
                               struct husk_error **err);
