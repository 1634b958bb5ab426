/* The container's session keyring: keys the session husk was started from are not the container's. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/*
 * As the init: join a new session keyring named `name` (runc and crun give each container its own,
 * so its processes do not possess the keys of the caller's session), and let the container's exec'd
 * processes find it: the kernel's permissions for a session keyring plus search for its owner, the
 * container's root, or in a user namespace for the others there (runc's). The name should be
 * unguessable (create.c adds a random part): a keyring of that name made beforehand by someone else
 * would be joined instead.
 * A kernel without keyrings (ENOSYS) is passed over. With selinux_label (process.selinuxLabel, which
 * husk_lsm_validate accepts only where SELinux is enabled) the keyring is made with that label, as
 * runc does, so the container's process may use it under SELinux policy.
 */
int husk_keyring_create_session(const char *name, bool in_userns, const char *selinux_label, struct husk_error **err);

/* As an exec'd process: join the container's session keyring `name` (a new one of that name, with
 * selinux_label, where this process may not search it). ENOSYS is passed over. */
int husk_keyring_join_session(const char *name, const char *selinux_label, struct husk_error **err);
