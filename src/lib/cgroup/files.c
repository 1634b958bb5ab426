/* Reading and writing cgroup control files through directory fds, with errors that name the file. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

int cg_write(int dirfd, const char *file, const char *value, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return husk_error_set(err, errno, "write `%s` = `%s`", file, value);
        size_t len = strlen(value);
        /* A control file takes the whole value in one write(); a short write is an error. */
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return husk_error_set(err, errno, "write `%s` = `%s`", file, value);
        if ((size_t)n != len)
                return husk_error_set(err, EIO, "write `%s` = `%s`: short write", file, value);
        return 0;
}

int cg_writef(int dirfd, const char *file, struct husk_error **err, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return husk_error_set(err, EINVAL, "write `%s`: value too long", file);
        return cg_write(dirfd, file, buf, err);
}

ssize_t cg_read(int dirfd, const char *file, char *buf, size_t size, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return husk_error_set(err, errno, "read `%s`", file);
        size_t off = 0;
        for (;;) {
                if (off + 1 >= size)
                        return husk_error_set(err, EFBIG, "read `%s`: larger than %zu bytes", file, size);
                ssize_t n = read(fd, buf + off, size - 1 - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "read `%s`", file);
                }
                if (n == 0)
                        break;
                off += (size_t)n;
                /* Control files come from seq_file, which fills the buffer as far as it can: short is EOF. */
                if (off + 1 < size)
                        break;
        }
        while (off > 0 && (buf[off - 1] == '\n' || buf[off - 1] == ' '))
                off--;
        buf[off] = '\0';
        return (ssize_t)off;
}

static int parse_u64(const char *s, uint64_t *ret)
{
        if (strcmp(s, "max") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        if (*s < '0' || *s > '9')
                return -EINVAL;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || (*end != '\0' && *end != '\n' && *end != ' '))
                return -EINVAL;
        *ret = v;
        return 0;
}

int cg_read_u64(int dirfd, const char *file, uint64_t *ret, struct husk_error **err)
{
        char buf[64];
        ssize_t n = cg_read(dirfd, file, buf, sizeof(buf), err);
        if (n < 0)
                return (int)n;
        if (parse_u64(buf, ret) < 0)
                return husk_error_set(err, EINVAL, "read `%s`: not a number: `%s`", file, buf);
        return 0;
}

int cg_read_key_u64(int dirfd, const char *file, const char *key, uint64_t *ret, struct husk_error **err)
{
        char buf[4096];
        ssize_t n = cg_read(dirfd, file, buf, sizeof(buf), err);
        if (n < 0)
                return (int)n;
        size_t klen = strlen(key);
        for (char *line = buf; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        if (parse_u64(line + klen + 1, ret) < 0)
                                return husk_error_set(err, EINVAL, "read `%s`: bad value of `%s`", file, key);
                        return 0;
                }
                line = next;
        }
        return -ENOENT;
}

bool cg_file_exists(int dirfd, const char *file)
{
        return faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

struct dirent *cg_next_child(DIR *dir)
{
        struct dirent *de;
        while ((de = readdir(dir)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return de;
        return NULL;
}

bool cg_is_permission_error(int r)
{
        return r == -EPERM || r == -EACCES || r == -EROFS;
}

int cg_check_usage_below(int dirfd, const char *usage_file, int64_t limit, struct husk_error **err)
{
        uint64_t usage;
        int r = cg_read_u64(dirfd, usage_file, &usage, err);
        if (r < 0)
                return r;
        if (usage >= (uint64_t)limit)
                return husk_error_set(err, EBUSY, "rejecting memory limit %" PRId64 " below current usage %" PRIu64,
                                      limit, usage);
        return 0;
}
