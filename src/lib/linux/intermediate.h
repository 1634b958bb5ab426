/* run_oci's mounts made outside the container: loop images and performInIntermediateNamespace entries. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * ChromeOS run_oci makes some entries of spec.mounts with the runtime's own privileges, in
 * a mount namespace between the host's and the container's: those with
 * "performInIntermediateNamespace": true, and every "loop" mount (the image is attached to
 * a loop device and the device mounted; the container's user namespace and device cgroup
 * would forbid both). The container's mount namespace, cloned from the intermediate one
 * afterwards, starts with them; the host does not see them unless linux.rootfsPropagation
 * shares them back. They are made before any of the container's own mounts, as in run_oci,
 * so none of them may lie under the destination of a later in-container mount.
 */
struct husk_intermediate_mounts;

/* Does spec.mounts have an entry that must be made outside the container? */
bool husk_intermediate_mounts_needed(const struct husk_spec *spec);

/*
 * Move the calling process into a new mount namespace ("/" gets linux.rootfsPropagation,
 * default rslave, so nothing flows to the host), make there, in order, every entry that
 * must be made outside, onto the rootfs (resolved in root; relative sources and loop images
 * against `bundle`, an absolute path), and take those entries out of spec.mounts so that
 * the container's init does not make them again. Call it in the process that then creates
 * the container (husk_create_options.edit_spec). Needs CAP_SYS_ADMIN. On failure the
 * process stays in the new namespace with nothing of this call mounted in it.
 */
int husk_intermediate_mounts_apply(struct husk_spec *spec, const char *bundle,
                                   struct husk_intermediate_mounts **ret, struct husk_error **err);

/*
 * Unmount what apply made, last first (run: the container is gone). Loop devices go with
 * their last mount (autoclear). Without this, the mounts go with the intermediate namespace
 * when the process exits.
 */
void husk_intermediate_mounts_unmount(struct husk_intermediate_mounts *im);

void husk_intermediate_mounts_free(struct husk_intermediate_mounts *im);
void husk_intermediate_mounts_freep(struct husk_intermediate_mounts **im);
