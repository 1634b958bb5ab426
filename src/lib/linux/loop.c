/* Loop devices: LOOP_CTL_GET_FREE + LOOP_CONFIGURE with autoclear, LOOP_CLR_FD. */
#include "linux/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Racing attachers: each EBUSY sends us to the next free device, but not forever. */
#define ATTACH_ATTEMPTS 64

/* LOOP_CONFIGURE (5.8) is one atomic call; before it, LOOP_SET_FD then LOOP_SET_STATUS64. */
static int configure(int loop_fd, const struct loop_config *config)
{
        if (ioctl(loop_fd, LOOP_CONFIGURE, config) == 0)
                return 0;
        if (errno != ENOTTY && errno != EINVAL)
                return -errno;
        if (ioctl(loop_fd, LOOP_SET_FD, config->fd) < 0)
                return -errno;
        if (ioctl(loop_fd, LOOP_SET_STATUS64, &config->info) < 0) {
                int r = -errno;
                ioctl(loop_fd, LOOP_CLR_FD, 0);
                return r;
        }
        return 0;
}

int husk_loop_attach(int image_fd, const char *backing_name, bool read_only, char **ret_path,
                     struct husk_error **err)
{
        const char *name = backing_name ? backing_name : "image";
        struct stat st;
        if (fstat(image_fd, &st) < 0)
                return husk_error_set(err, errno, "stat loop image `%s`", name);
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return husk_error_set(err, EINVAL, "loop image `%s` is not a regular file or block device", name);

        struct loop_config config = {
                .fd = (uint32_t)image_fd,
                .info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0),
        };
        if (backing_name)
                snprintf((char *)config.info.lo_file_name, sizeof(config.info.lo_file_name), "%s", backing_name);

        _cleanup_close_ int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (control < 0)
                return husk_error_set(err, errno, "open `/dev/loop-control`");
        for (int attempt = 0; attempt < ATTACH_ATTEMPTS; attempt++) {
                int n = ioctl(control, LOOP_CTL_GET_FREE);
                if (n < 0)
                        return husk_error_set(err, errno, "find a free loop device");
                char path[32];
                snprintf(path, sizeof(path), "/dev/loop%d", n);
                _cleanup_close_ int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (fd < 0)
                        return husk_error_set(err, errno, "open `%s`", path);
                int r = configure(fd, &config);
                if (r == -EBUSY)
                        continue; /* taken since GET_FREE */
                if (r < 0)
                        return husk_error_set(err, -r, "attach `%s` to `%s`", name, path);
                *ret_path = strdup(path);
                if (!*ret_path)
                        return husk_error_set(err, ENOMEM, "attach `%s`", name); /* closing fd detaches */
                return TAKE_FD(fd);
        }
        return husk_error_set(err, EBUSY, "attach `%s`: free loop devices kept being taken by others", name);
}

int husk_loop_detach(int loop_fd, struct husk_error **err)
{
        if (ioctl(loop_fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO)
                return husk_error_set(err, errno, "detach loop device");
        return 0;
}
