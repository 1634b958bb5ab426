/* Verified procfs access: open and write files under /proc only through a real, un-overmounted procfs. */
#include "linux/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

/* The root directory of every procfs instance has this inode number (fs/proc/root.c). */
#define PROC_ROOT_INO 1

static int check_relative_path(const char *path, struct husk_error **err)
{
        if (!path || !*path || path[0] == '/')
                return husk_error_set(err, EINVAL, "procfs path `%s` must be relative to /proc", path ? path : "");
        /* RESOLVE_BENEATH would keep ".." inside /proc, but no caller has a reason to use it. */
        if (husk_path_has_dotdot(path))
                return husk_error_set(err, EINVAL, "procfs path `%s` must not contain `..`", path);
        return 0;
}

static int check_on_procfs(int fd, const char *what, struct husk_error **err)
{
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return husk_error_set(err, errno, "statfs `%s`", what);
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return husk_error_set(err, 0, "`%s` is not on procfs (filesystem type 0x%lx): refusing to use it",
                                      what, (unsigned long)sfs.f_type);
        return 0;
}

int husk_proc_root_open(struct husk_error **err)
{
        /* O_NOFOLLOW: a symlink at /proc (e.g. to a directory the container controls) is refused. */
        _cleanup_close_ int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "open `/proc`");
        int r = check_on_procfs(fd, "/proc", err);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return husk_error_set(err, errno, "stat `/proc`");
        /* A subdirectory of some procfs bind-mounted on /proc passes the statfs check, not this one. */
        if (st.st_ino != PROC_ROOT_INO)
                return husk_error_set(err, 0, "`/proc` is not the root of a procfs mount (inode %llu): refusing to use it",
                                      (unsigned long long)st.st_ino);
        return TAKE_FD(fd);
}

int husk_proc_openat(int proc_root, const char *path, int flags, struct husk_error **err)
{
        int r = check_relative_path(path, err);
        if (r < 0)
                return r;
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, proc_root, path, &how, sizeof(how));
        if (fd < 0) {
                int e = errno;
                if (e == EXDEV)
                        return husk_error_set(err, e, "open `/proc/%s`: a mount covers part of the path", path);
                if (e == ENOSYS)
                        return husk_error_set(err, e, "open `/proc/%s`: openat2 is not available (Linux 5.6 or later needed)",
                                              path);
                return husk_error_set(err, e, "open `/proc/%s`", path);
        }
        char what[256];
        snprintf(what, sizeof(what), "/proc/%s", path);
        r = check_on_procfs(fd, what, err);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

int husk_proc_open(const char *path, int flags, struct husk_error **err)
{
        _cleanup_close_ int root = husk_proc_root_open(err);
        if (root < 0)
                return root;
        return husk_proc_openat(root, path, flags, err);
}

int husk_proc_writeat(int proc_root, const char *path, const char *value, struct husk_error **err)
{
        _cleanup_close_ int fd = husk_proc_openat(proc_root, path, O_WRONLY, err);
        if (fd < 0)
                return fd;
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return husk_error_set(err, errno, "write `%s` to `/proc/%s`", value, path);
        if ((size_t)n != len)
                return husk_error_set(err, EIO, "write `%s` to `/proc/%s`: short write (%zd of %zu bytes)", value, path,
                                      n, len);
        return 0;
}

int husk_proc_write(const char *path, const char *value, struct husk_error **err)
{
        _cleanup_close_ int root = husk_proc_root_open(err);
        if (root < 0)
                return root;
        return husk_proc_writeat(root, path, value, err);
}

ssize_t husk_proc_read(const char *path, char *buf, size_t size, struct husk_error **err)
{
        if (size == 0)
                return husk_error_set(err, EINVAL, "read `/proc/%s`: empty buffer", path);
        _cleanup_close_ int fd = husk_proc_open(path, O_RDONLY, err);
        if (fd < 0)
                return fd;
        size_t len = 0;
        for (;;) {
                if (len == size - 1) {
                        char extra;
                        ssize_t more = read(fd, &extra, 1);
                        if (more > 0)
                                return husk_error_set(err, ENOBUFS, "read `/proc/%s`: more than %zu bytes", path,
                                                      size - 1);
                        break;
                }
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "read `/proc/%s`", path);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return (ssize_t)len;
}
