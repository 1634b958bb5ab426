/* The kernel's user namespace locks for the bind trees the runtime makes on the host. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/*
 * A mount a user namespace inherits is locked by the kernel when it copies the mount namespace into the user
 * namespace (lock_mnt_tree): its ro, nosuid, nodev, noexec and atime cannot be changed, and its submounts cannot
 * be unmounted to show what they cover. A tree the runtime makes on the host (open_tree) and the init attaches
 * was never copied so: the container's root, with CAP_SYS_ADMIN in its user namespace, could remount a host
 * read-only mount writable through it, or unmount its submounts. Each tree of trees[] (-1: none) is replaced by
 * a clone taken in a copy of it made for a new user namespace, which carries those locks (a clone keeps them),
 * with recursive[i] as it was made (its submounts) and propagation[i] (MS_SLAVE...; 0: as cloned) set on the
 * clone. A child process does it: the runtime's own namespaces do not change. On failure the trees are gone.
 */
int husk_mount_trees_lock(int *trees, const bool *recursive, const unsigned long *propagation, size_t len,
                          struct husk_error **err);
