/* The container process's identity: groups, gid, uid, umask, its environment and the owner of its stdio. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * setgroups (unless setgroups is denied in a user namespace), then setgid and setuid (runc's calls), or
 * setresgid and setresuid (crun's) with setres: the same here, where the caller holds CAP_SETGID and
 * CAP_SETUID, but a seccomp profile loaded before the switch may allow only one pair. Capabilities are kept
 * across the switch (PR_SET_KEEPCAPS) so that caps.c can set them afterwards.
 */
int husk_user_switch(const struct husk_user *user, bool setgroups_allowed, bool setres, struct husk_error **err);

void husk_user_umask(const struct husk_user *user);

/*
 * The process's stdio that exists nowhere but as its fds, owned by process.user.uid as runc's
 * fixStdioPermissions makes it (so that the user can reopen it, e.g. as /dev/stdout, and own its
 * terminal): the pty of process.terminal and pipes. The group is left alone (the pty keeps the tty
 * group of devpts' gid= option). Unlike runc, never what has a place on the host (a file, a device,
 * a named FIFO, the caller's own terminal) handed over as stdio: no host path changes owner. An id
 * the user namespace cannot map is left as it is. Call as root, before the user switch.
 */
int husk_user_chown_stdio(const struct husk_process *process, struct husk_error **err);

/*
 * process.env as runc 1.1 gives it to the process, in a new array (free the array and the HOME
 * entry when it was added; the other strings are process.env's): one entry per name, at the place
 * where the name first appears, with the value it has last; an entry that is not NAME=VALUE, or
 * whose name is empty, is an error. A HOME that is missing or empty is set, in the empty one's
 * place or at the end, to the home directory of process.user.uid in the container's /etc/passwd
 * (the first entry with that uid), else "/". Call in the container's root before the user switch;
 * the file is parsed here, never through NSS (which would load the container's libraries into
 * husk), and reached without magic links.
 */
int husk_user_env(const struct husk_process *process, char ***ret_env, struct husk_error **err);
