/* The container process's identity: groups, gid, uid, umask, HOME. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * setgroups (unless setgroups is denied in a user namespace), setresgid, setresuid. Capabilities
 * are kept across the switch (PR_SET_KEEPCAPS) so that caps.c can set them afterwards.
 */
int husk_user_switch(const struct husk_user *user, bool setgroups_allowed, struct husk_error **err);

void husk_user_umask(const struct husk_user *user);

/*
 * process.env plus HOME when it has none (or an empty one), as runc and crun add it: the home
 * directory of process.user.uid in the container's /etc/passwd (the first entry with that uid),
 * else "/". *ret_env is NULL when process.env is to be used as it is, else a new array (free the
 * array and its last string only: the others are process.env's). Call in the container's root
 * before the user switch; the file is parsed here, never through NSS (which would load the
 * container's libraries into husk), and reached without magic links.
 */
int husk_user_home_env(const struct husk_process *process, char ***ret_env, struct husk_error **err);
