/* Whole-buffer reads and writes on an fd, across short transfers and EINTR. */
#include "util/io.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

static int transfer_all(int fd, char *p, size_t n, bool out)
{
        for (size_t done = 0; done < n;) {
                ssize_t r = out ? write(fd, p + done, n - done) : read(fd, p + done, n - done);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r < 0 ? -errno : -EIO;
                done += (size_t)r;
        }
        return 0;
}

int husk_write_all(int fd, const void *p, size_t n)
{
        return transfer_all(fd, (char *)p, n, true); /* write(2) only reads the buffer */
}

int husk_read_all(int fd, void *p, size_t n)
{
        return transfer_all(fd, p, n, false);
}
