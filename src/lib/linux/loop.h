/* Loop devices: attach an image file to a free /dev/loopN (autoclear), detach it. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/*
 * Attach the file image_fd refers to (a regular file or a block device) to a free loop
 * device, read-only when read_only, with LO_FLAGS_AUTOCLEAR: the kernel detaches the device
 * once nobody holds it open, so a device whose last holders are mounts is freed when the
 * last of them goes (when the container's mount namespace dies, or husk itself), and a
 * device nobody mounted is freed when the returned fd is closed. backing_name (may be NULL)
 * is recorded for `losetup --list`.
 *
 * Returns an O_CLOEXEC fd of the device and sets *ret_path ("/dev/loop7", caller frees).
 * A device taken by someone else between LOOP_CTL_GET_FREE and the attach is skipped.
 */
int husk_loop_attach(int image_fd, const char *backing_name, bool read_only, char **ret_path,
                     struct husk_error **err);

/* Detach now (LOOP_CLR_FD). A device still mounted is only marked autoclear by the kernel. */
int husk_loop_detach(int loop_fd, struct husk_error **err);
