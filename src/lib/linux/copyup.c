/*
 * tmpcopyup (a runc and crun extension to mount options): a tmpfs starts with a copy of what the directory it
 * covers holds. podman asks for it on every --tmpfs mount, so that an image's files there are not hidden.
 *
 * The copy goes from the directory in the rootfs into the new tmpfs before it is attached (its detached mount
 * fd), with *at() calls that never follow a symlink: a symlink is copied as one, whatever it points at. Kept:
 * contents, mode (setuid, setgid and sticky bits too), owner, and the kinds of file a tmpfs holds (directories,
 * regular files, symlinks, fifos, sockets, device nodes). Hard links become separate files, as with runc.
 */
#include "linux/copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"

#define COPYUP_MAX_DEPTH 128

struct copyup {
        char path[PATH_MAX]; /* of the entry being copied, relative to the covered directory, for errors */
        size_t len;
        struct husk_error **err;
};

static int fail(struct copyup *c, int errnum, const char *what)
{
        return husk_error_set(c->err, errnum, "tmpcopyup: %s `%s`", what, c->len ? c->path : ".");
}

/* The owner, then the mode: chown clears setuid and setgid bits. An id the user namespace does not map
 * (EINVAL) leaves the copy to the container's root. */
static int set_owner_mode(struct copyup *c, int fd, const struct stat *st)
{
        if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EINVAL)
                return fail(c, errno, "chown");
        if (fchmod(fd, st->st_mode & 07777) < 0)
                return fail(c, errno, "chmod");
        return 0;
}

static int copy_data(struct copyup *c, int in, int out, off_t size)
{
        while (size > 0) {
                ssize_t n = sendfile(out, in, NULL, size > 1 << 30 ? 1 << 30 : (size_t)size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return fail(c, errno, "copy");
                if (n == 0)
                        break; /* the file shrank meanwhile */
                size -= n;
        }
        return 0;
}

static int copy_file(struct copyup *c, int src_dir, int dst_dir, const char *name, const struct stat *st)
{
        /* The entry may have become something else since fstatat (a fifo, a device node): it is opened for
         * reading only once an O_PATH open, which opens nothing, shows it is still a regular file, and then
         * through that fd, so the file read is the one checked. */
        _cleanup_close_ int path = openat(src_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat now;
        if (path < 0 || fstat(path, &now) < 0)
                return fail(c, errno, "open");
        if (!S_ISREG(now.st_mode))
                return fail(c, EAGAIN, "changed while copied:");
        char self[64];
        snprintf(self, sizeof(self), "/proc/self/fd/%d", path);
        _cleanup_close_ int in = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
        if (in < 0)
                return fail(c, errno, "open");
        _cleanup_close_ int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return fail(c, errno, "create");
        int r = copy_data(c, in, out, now.st_size);
        return r < 0 ? r : set_owner_mode(c, out, st);
}

static int copy_symlink(struct copyup *c, int src_dir, int dst_dir, const char *name, const struct stat *st)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
        if (n < 0)
                return fail(c, errno, "read the symlink");
        target[n] = '\0';
        if (symlinkat(target, dst_dir, name) < 0)
                return fail(c, errno, "create the symlink");
        if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
                return fail(c, errno, "chown");
        return 0;
}

/* Fifos and sockets anyone may make; a device node only with CAP_MKNOD (not in a user namespace): then it is
 * left out, as the container could not have made it either. */
static int copy_node(struct copyup *c, int dst_dir, const char *name, const struct stat *st)
{
        if (mknodat(dst_dir, name, st->st_mode & (S_IFMT | 0600), st->st_rdev) < 0) {
                if (errno == EPERM && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))) {
                        husk_debug("tmpcopyup: device node `%s` left out: %s", c->path, strerror(errno));
                        return 0;
                }
                return fail(c, errno, "create the node");
        }
        /* By name: the tmpfs is not attached yet, nobody else can swap the node for a symlink. */
        if (fchownat(dst_dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
                return fail(c, errno, "chown");
        if (fchmodat(dst_dir, name, st->st_mode & 07777, 0) < 0)
                return fail(c, errno, "chmod");
        return 0;
}

static int copy_dir(struct copyup *c, int src_dir, int dst_dir, int depth);

static int copy_entry(struct copyup *c, int src_dir, int dst_dir, const char *name, int depth)
{
        struct stat st;
        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : fail(c, errno, "stat");
        switch (st.st_mode & S_IFMT) {
        case S_IFREG:
                return copy_file(c, src_dir, dst_dir, name, &st);
        case S_IFLNK:
                return copy_symlink(c, src_dir, dst_dir, name, &st);
        case S_IFDIR: {
                if (depth >= COPYUP_MAX_DEPTH)
                        return fail(c, ELOOP, "nested too deep at");
                _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (in < 0)
                        return fail(c, errno, "open");
                if (mkdirat(dst_dir, name, 0700) < 0)
                        return fail(c, errno, "create");
                _cleanup_close_ int out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (out < 0)
                        return fail(c, errno, "open");
                int r = copy_dir(c, in, out, depth + 1);
                /* Its mode last: a directory without write permission for its owner is still filled. */
                return r < 0 ? r : set_owner_mode(c, out, &st);
        }
        default:
                return copy_node(c, dst_dir, name, &st);
        }
}

static int copy_dir(struct copyup *c, int src_dir, int dst_dir, int depth)
{
        DIR *dir = husk_opendir_at(src_dir);
        if (!dir)
                return fail(c, errno, "open");
        int r = 0;
        size_t base = c->len;
        struct dirent *de;
        while (r == 0 && (errno = 0, de = readdir(dir))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int n = snprintf(c->path + base, sizeof(c->path) - base, "%s%s", base ? "/" : "", de->d_name);
                if (n < 0 || (size_t)n >= sizeof(c->path) - base) {
                        r = fail(c, ENAMETOOLONG, "path too long at");
                        break;
                }
                c->len = base + (size_t)n;
                r = copy_entry(c, src_dir, dst_dir, de->d_name, depth);
                c->len = base;
                c->path[base] = '\0';
        }
        if (r == 0 && errno != 0)
                r = fail(c, errno, "read the directory");
        closedir(dir);
        return r;
}

int husk_copyup(int src_dir, int dst_dir, struct husk_error **err)
{
        struct copyup c = {.err = err};
        return copy_dir(&c, src_dir, dst_dir, 0);
}
