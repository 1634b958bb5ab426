/* The container process's identity: groups, gid, uid, umask. */
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
