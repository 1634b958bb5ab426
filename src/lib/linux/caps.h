/* Process capabilities: the bounding, effective, permitted, inheritable and ambient sets of the container process. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * Call before switching to the container user (setresgid/setresuid): PR_SET_KEEPCAPS keeps
 * the permitted set across the switch away from uid 0, so husk_caps_apply can still drop the
 * bounding set and set the final sets afterwards.
 */
int husk_caps_keep_for_setuid(struct husk_error **err);

/*
 * Call after the user switch (and before seccomp when no_new_privileges is false, see seccomp.h):
 *  1. raise the effective set to the whole permitted set (setuid cleared it; CAP_SETPCAP is
 *     needed to drop bounding caps),
 *  2. drop from the bounding set every cap not in caps->bounding (PR_CAPBSET_DROP),
 *  3. capset(2) effective/permitted/inheritable (raw syscall, _LINUX_CAPABILITY_VERSION_3),
 *  4. clear the ambient set, then raise each ambient cap (a cap that is not both permitted
 *     and inheritable cannot be ambient: skipped with husk_warn, as runc does),
 *  5. clear PR_SET_KEEPCAPS.
 * A capability the running kernel does not know (number above /proc/sys/kernel/cap_last_cap,
 * probed once with PR_CAPBSET_READ) is skipped with husk_warn.
 * When caps->present is false every set is empty, as in runc: the process keeps no capability.
 */
int husk_caps_apply(const struct husk_capabilities *caps, struct husk_error **err);

/* Highest capability number the running kernel knows (CAP_LAST_CAP of the kernel); probed once. */
int husk_caps_last_cap(void);
