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

/* An org.systemd.property.<Name> annotation, parsed from its GVariant text ("uint64 123", "true", "'x'"). */
struct husk_systemd_property {
        char *name;     /* "TimeoutStopUSec" (a ...Sec name is made ...USec, its value microseconds, as runc) */
        char type;      /* its D-Bus type: y n q i u x t d b s */
        uint64_t value; /* the number's bits (a double's too), 0 or 1 for b */
        char *string;   /* s */
};

struct husk_systemd_unit {
        char *slice; /* "system.slice" */
        char *name;  /* "husk-web.scope" */
        struct husk_systemd_property *properties; /* from the annotations, after husk's own (they may override) */
        size_t properties_len;
};

/* Parse linux.cgroupsPath (NULL or "" for the default: user.slice for a user's manager) for container id;
 * errors name the field. */
int husk_systemd_unit_parse(const char *cgroups_path, const char *id, bool user, struct husk_systemd_unit *ret,
                            struct husk_error **err);
void husk_systemd_unit_clear(struct husk_systemd_unit *u);
/* runc's auxiliary properties: each org.systemd.property.<Name> annotation into u->properties; an error names
 * the annotation whose name or value cannot be read. */
int husk_systemd_unit_parse_properties(const struct husk_kv_list *annotations, struct husk_systemd_unit *u,
                                       struct husk_error **err);

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
