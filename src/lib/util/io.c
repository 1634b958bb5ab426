/* Whole-buffer reads and writes on an fd, across short transfers and EINTR. */
#include "util/io.h"

#include <errno.h>
#include <unistd.h>

int husk_write_all(int fd, const void *p, size_t n)
{
        for (size_t done = 0; done < n;) {
                ssize_t r = write(fd, (const char *)p + done, n - done);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r < 0 ? -errno : -EIO;
                done += (size_t)r;
        }
        return 0;
}

int husk_read_all(int fd, void *p, size_t n)
{
        for (size_t done = 0; done < n;) {
                ssize_t r = read(fd, (char *)p + done, n - done);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r < 0 ? -errno : -EIO;
                done += (size_t)r;
        }
        return 0;
}
