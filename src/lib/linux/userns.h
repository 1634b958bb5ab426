/* User namespace id maps: written by the parent for the init process, directly or through newuidmap. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * How the parent will write each map of a new user namespace. As root: directly. Unprivileged:
 * directly when the map is only the caller's own id (the kernel allows that, for gid_map only
 * after "deny" is written to setgroups), otherwise through the setuid helper newuidmap/newgidmap,
 * which checks the ranges against /etc/subuid and /etc/subgid.
 */
struct husk_userns_plan {
        bool uid_helper;     /* newuidmap writes uid_map */
        bool gid_helper;     /* newgidmap writes gid_map */
        bool setgroups_deny; /* the parent writes "deny" to setgroups before gid_map */
};

/*
 * Decide how the maps of spec will be written and check, before anything is created, that it can
 * work: the helper is installed, the caller has /etc/subuid and /etc/subgid entries covering every
 * range, and no process.user.additionalGids are asked for when setgroups will be denied. Every
 * error names the missing piece and the fix.
 */
int husk_userns_plan(const struct husk_spec *spec, struct husk_userns_plan *ret, struct husk_error **err);

/* Write linux.uidMappings/gidMappings of the child pid (in a new user namespace) as planned. */
int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, const struct husk_userns_plan *plan,
                           struct husk_error **err);

/*
 * Whether processes of pid's user namespace may call setgroups(2): false when /proc/<pid>/setgroups
 * says "deny". pid 0: the caller's own (/proc/self; after a setns into a user namespace the mounted
 * /proc may show another pid namespace, so name a pid only from the host's procfs).
 */
bool husk_userns_setgroups_allowed(pid_t pid);

/*
 * The uid and gid maps of the user namespace userns_fd (an fd of /proc/<pid>/ns/user or of a bind
 * mount of it), as /proc/<pid>/uid_map shows them to the caller: host ids relative to the caller's
 * own user namespace. A short-lived child joins the namespace so that its /proc files can be read,
 * which needs CAP_SYS_ADMIN over that namespace. `what` names the namespace in errors (its path).
 * On success the caller frees ret_uids->items and ret_gids->items; on failure they are untouched.
 */
int husk_userns_read_maps(int userns_fd, const char *what, struct husk_id_mappings *ret_uids,
                          struct husk_id_mappings *ret_gids, struct husk_error **err);

/*
 * A child parked in a user namespace, so that its /proc/<pid> files (maps, ns/user) can be used: a new
 * one when userns_fd < 0 (the caller writes its maps), else userns_fd, joined with setns (CAP_SYS_ADMIN
 * over it). It waits until husk_userns_child_stop, or until the caller dies.
 */
struct husk_userns_child {
        pid_t pid;
        int pidfd;
        int hold; /* its end of the pipe the child waits on */
};
int husk_userns_child_start(int userns_fd, struct husk_userns_child *ret, struct husk_error **err);
void husk_userns_child_stop(struct husk_userns_child *c);

/* Write maps to /proc/<pid>/<file> ("uid_map", "gid_map") directly, in the one write the kernel takes. */
int husk_userns_write_map(pid_t pid, const char *file, const struct husk_id_mappings *maps, struct husk_error **err);

/*
 * Whether the caller runs in a user namespace other than the initial (host's) one, as under rootless
 * podman, which runs the runtime as root of its own user namespace: /proc/self/ns/user is then not the
 * kernel's fixed inode of the initial namespace (one stat per process, no file read). false when /proc
 * cannot tell.
 */
bool husk_userns_nested(void);

/*
 * Check a list of id mappings as the kernel will (1 to 340 entries, size >= 1, no range past
 * 2^32 - 1, no two ranges overlapping on either side). `what` names the list in the message
 * ("config.json: mounts[3].uidMappings").
 */
int husk_userns_check_mappings(const struct husk_id_mappings *maps, const char *what, struct husk_error **err);

/* The id in the caller's user namespace that `id` in a namespace with these maps stands for, or -1. */
int64_t husk_userns_host_id(const struct husk_id_mappings *maps, uint32_t id);
