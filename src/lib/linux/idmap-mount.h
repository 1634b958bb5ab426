/* Idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP): made by the runtime on the host, attached by the init. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * An entry of spec.mounts is idmapped when it has the `idmap` or `ridmap` option, or
 * uidMappings/gidMappings (runc reads mappings without either option as `idmap`). Through
 * the mount, a file the filesystem stores as owned by containerID + k shows as owned by
 * hostID + k: the mappings are written to a user namespace of their own, used only to idmap
 * the mount. Without mappings the container's are used: linux.uidMappings/gidMappings, or
 * the user namespace it joins (runtime-spec 1.2, as runc 1.2 and crun). `ridmap` idmaps
 * every mount of an `rbind` tree, `idmap` only its top. Only bind mounts can be idmapped,
 * and only by a runtime running as root (as in runc).
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the user namespace owning the
 * source's filesystem (the host's, for a disk), which the init of a container with a user
 * namespace lacks. So the runtime makes each idmapped tree before the init is cloned: a
 * detached clone of the source (open_tree), idmapped, with the entry's per-mount options
 * applied (ro, nosuid, rro...) and made a slave (or what linux.rootfsPropagation says) so
 * that nothing mounted under it in the container reaches the host. The init inherits the
 * fds and only attaches each tree onto its destination, resolved in the rootfs, at its
 * place in spec.mounts (move_mount works across user namespaces).
 */
struct husk_idmap_mounts;

bool husk_mount_is_idmapped(const struct husk_mount *m);

/*
 * Check every idmapped entry of spec.mounts (a bind, both mappings or none, valid mappings,
 * a user namespace to take them from when none are given, husk running as root) and make its
 * tree. joined_userns_fd: the user namespace the container joins (linux.namespaces path),
 * -1 to open the path from spec when there is one. Bind sources that are relative resolve
 * against `bundle`. With a user namespace, the plain bind entries' trees are made here too (their sources opened
 * with the runtime's credentials, as runc does), except those with a source inside `rootfs`; one that cannot be
 * made is left to the init. *ret is NULL when there is no tree. On failure nothing is left.
 */
int husk_idmap_mounts_prepare(const struct husk_spec *spec, const char *bundle, const char *rootfs,
                              int joined_userns_fd, struct husk_idmap_mounts **ret, struct husk_error **err);

/*
 * The tree of spec.mounts[index], for one idmapped entry made where the caller already has
 * the privileges (the runtime's intermediate mount namespace): checked and made as prepare does.
 */
int husk_idmap_mount_make(const struct husk_spec *spec, size_t index, const char *bundle, struct husk_error **err);

/* Hand over the tree prepared for spec.mounts[index] (the caller closes it); -1 when there is none. */
int husk_idmap_mounts_take(struct husk_idmap_mounts *set, size_t index);

/* The fds of the trees not taken yet, ascending (for the init to keep them open); *ret_len 0 when none. */
const int *husk_idmap_mounts_fds(const struct husk_idmap_mounts *set, size_t *ret_len);

void husk_idmap_mounts_free(struct husk_idmap_mounts *set);
void husk_idmap_mounts_freep(struct husk_idmap_mounts **set);
