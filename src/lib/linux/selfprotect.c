/* A write-protected /proc/self/exe for the husk processes that enter a container (CVE-2019-5736). */
#include "linux/selfprotect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: ask for an executable memfd where vm.memfd_noexec would refuse */
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3: nobody may chmod the copy */
#endif

#define BASE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/*
 * A sealed memfd cannot be written by anyone. A file on an overlayfs mount that reports
 * read-only is, for the overlay husk builds, a lower-only overlay (no upper layer exists to write
 * to, whatever the mount flags). An overlay that husk did not build (the binary installed in a
 * read-only container image) passes too: writing it would need CAP_SYS_ADMIN over that mount.
 */
static bool fd_is_protected(int fd)
{
        int seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0)
                return (seals & BASE_SEALS) == BASE_SEALS;
        struct statfs sfs;
        struct statvfs svfs;
        return fstatfs(fd, &sfs) == 0 && sfs.f_type == OVERLAYFS_SUPER_MAGIC && fstatvfs(fd, &svfs) == 0 &&
               (svfs.f_flag & ST_RDONLY);
}

bool husk_selfprotect_active(void)
{
        /* A process's binary changes only by execve, which starts over with this unknown again: asked by
         * husk_launch_protect, then by husk_selfprotect_reexec. */
        static int known = -1;
        if (known < 0) {
                _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
                known = fd >= 0 && fd_is_protected(fd);
        }
        return known;
}

bool husk_selfprotect_pid_exposed(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd >= 0 && !fd_is_protected(fd);
}

/* An empty read-only tmpfs that belongs to no mount tree: the second lower layer (overlayfs needs
 * two layers to run without an upper one) that can never overlap the binary's directory. */
static int empty_dir_mount(struct husk_error **err)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return husk_error_set(err, errno, "selfprotect: open a tmpfs context");
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return husk_error_set(err, errno, "selfprotect: create an empty tmpfs");
        int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
        return mnt < 0 ? husk_error_set(err, errno, "selfprotect: mount an empty tmpfs") : mnt;
}

/* lowerdir's own syntax: ':' separates layers and '\' escapes. */
static char *escape_lowerdir(const char *path)
{
        char *out = malloc(strlen(path) * 2 + 1);
        if (!out)
                return NULL;
        char *o = out;
        for (const char *p = path; *p; p++) {
                if (*p == ':' || *p == '\\')
                        *o++ = '\\';
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

/* The layers as fds (lowerdir+ with FSCONFIG_SET_FD, recent kernels), else as one lowerdir string. */
static int overlay_context(const char *dir, int dir_fd, int empty_fd, struct husk_error **err)
{
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return husk_error_set(err, errno, "selfprotect: open an overlayfs context");
        if (fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, dir_fd) == 0 &&
            fsconfig(fs, FSCONFIG_SET_FD, "lowerdir+", NULL, empty_fd) == 0)
                return TAKE_FD(fs);
        /* A context that refused a parameter may not take another: start over. */
        close(fs);
        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        _cleanup_free_ char *escaped = escape_lowerdir(dir);
        _cleanup_free_ char *layers = NULL;
        if (fs < 0 || !escaped || asprintf(&layers, "%s:/proc/self/fd/%d", escaped, empty_fd) < 0)
                return husk_error_set(err, fs < 0 ? errno : ENOMEM, "selfprotect: overlayfs layers");
        if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", layers, 0) < 0)
                return husk_error_set(err, errno, "selfprotect: overlayfs lowerdir `%s`", layers);
        return TAKE_FD(fs);
}

static int open_overlay_view(int exe_fd, struct husk_error **err)
{
        char path[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
        if (len <= 0)
                return husk_error_set(err, len < 0 ? errno : ENOENT, "selfprotect: readlink `/proc/self/exe`");
        path[len] = '\0';
        char *slash = strrchr(path, '/');
        if (path[0] != '/' || !slash || !slash[1])
                return husk_error_set(err, ENOENT, "selfprotect: `%s` is not a path", path);
        *slash = '\0';
        const char *name = slash + 1;
        const char *dir = path[0] ? path : "/";

        /* The name must still be this binary (not replaced or deleted since exec). */
        _cleanup_close_ int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat want, got;
        if (dir_fd < 0 || fstat(exe_fd, &want) < 0 || fstatat(dir_fd, name, &got, AT_SYMLINK_NOFOLLOW) < 0)
                return husk_error_set(err, errno, "selfprotect: find `%s/%s`", dir, name);
        if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
                return husk_error_set(err, ESTALE, "selfprotect: `%s/%s` is no longer the running binary", dir, name);

        _cleanup_close_ int empty_fd = empty_dir_mount(err);
        if (empty_fd < 0)
                return empty_fd;
        _cleanup_close_ int fs = overlay_context(dir, dir_fd, empty_fd, err);
        if (fs < 0)
                return fs;
        /* xino only renumbers inodes (and logs when layers span filesystems); nothing here needs it. */
        (void)fsconfig(fs, FSCONFIG_SET_STRING, "xino", "off", 0);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return husk_error_set(err, errno, "selfprotect: create the overlayfs over `%s`", dir);
        _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
        if (mnt < 0)
                return husk_error_set(err, errno, "selfprotect: mount the overlayfs over `%s`", dir);
        int fd = openat(mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "selfprotect: open `%s` on the overlayfs", name);
        return fd;
}

int husk_selfprotect_memfd(const char *name, struct husk_error **err)
{
        int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL) /* before Linux 6.3 */
                fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return husk_error_set(err, errno, "selfprotect: memfd_create");
        return fd;
}

int husk_selfprotect_seal(int fd, struct husk_error **err)
{
        if (fchmod(fd, 0555) < 0)
                return husk_error_set(err, errno, "selfprotect: chmod the copy");
        (void)fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC); /* Linux 6.3+; the base seals suffice */
        if (fcntl(fd, F_ADD_SEALS, BASE_SEALS) < 0)
                return husk_error_set(err, errno, "selfprotect: seal the copy");
        if (!fd_is_protected(fd))
                return husk_error_set(err, EPERM, "selfprotect: the sealed copy is writable");
        return 0;
}

static int open_sealed_copy(int exe_fd, struct husk_error **err)
{
        struct stat st;
        if (fstat(exe_fd, &st) < 0)
                return husk_error_set(err, errno, "selfprotect: stat `/proc/self/exe`");
        _cleanup_close_ int fd = husk_selfprotect_memfd("husk", err);
        if (fd < 0)
                return fd;
        off_t offset = 0;
        while (offset < st.st_size) {
                ssize_t n = sendfile(fd, exe_fd, &offset, (size_t)(st.st_size - offset));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return husk_error_set(err, n < 0 ? errno : EIO, "selfprotect: copy `/proc/self/exe`");
        }
        int r = husk_selfprotect_seal(fd, err);
        return r < 0 ? r : TAKE_FD(fd);
}

int husk_selfprotect_open(struct husk_error **err)
{
        _cleanup_close_ int exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exe_fd < 0)
                return husk_error_set(err, errno, "selfprotect: open `/proc/self/exe`");
        _cleanup_error_ struct husk_error *overlay_err = NULL;
        _cleanup_close_ int fd = open_overlay_view(exe_fd, &overlay_err);
        if (fd >= 0 && fd_is_protected(fd)) {
                husk_debug("selfprotect: running from a read-only overlayfs view of the binary");
                return TAKE_FD(fd);
        }
        if (fd < 0) {
                _cleanup_free_ char *msg = husk_error_format(overlay_err);
                husk_debug("%s; falling back to a sealed copy", msg ? msg : "selfprotect: no overlayfs");
        }
        if (fd >= 0)
                close(fd);
        fd = open_sealed_copy(exe_fd, err);
        if (fd < 0)
                return fd;
        husk_debug("selfprotect: running from a sealed memfd copy of the binary");
        return TAKE_FD(fd);
}

/* argv as the kernel holds it: NUL-separated words in /proc/self/cmdline. */
static int read_cmdline(char ***ret_argv, struct husk_error **err)
{
        _cleanup_close_ int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "selfprotect: open `/proc/self/cmdline`");
        size_t len = 0, cap = 4096;
        _cleanup_free_ char *buf = malloc(cap);
        while (buf) {
                if (len == cap) {
                        char *bigger = realloc(buf, cap * 2);
                        if (!bigger)
                                break;
                        buf = bigger;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return husk_error_set(err, errno, "selfprotect: read `/proc/self/cmdline`");
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (!buf || len == 0 || buf[len - 1] != '\0')
                return husk_error_set(err, buf ? EINVAL : ENOMEM, "selfprotect: read `/proc/self/cmdline`");
        size_t words = 0;
        for (size_t i = 0; i < len; i++)
                words += buf[i] == '\0';
        /* One allocation: the pointers, then the words they point into. */
        char **argv = malloc((words + 1) * sizeof(char *) + len);
        if (!argv)
                return husk_error_set(err, ENOMEM, "selfprotect: argv");
        char *text = (char *)(argv + words + 1);
        memcpy(text, buf, len);
        for (size_t i = 0, w = 0; w < words; w++) {
                argv[w] = text + i;
                i += strlen(text + i) + 1;
        }
        argv[words] = NULL;
        *ret_argv = argv;
        return 0;
}

int husk_selfprotect_reexec(struct husk_error **err)
{
        if (husk_selfprotect_active())
                return 0;
        _cleanup_close_ int fd = husk_selfprotect_open(err);
        if (fd < 0)
                return fd;
        _cleanup_free_ char **argv = NULL;
        int r = read_cmdline(&argv, err);
        if (r < 0)
                return r;
        fflush(NULL);
        syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
        return husk_error_set(err, errno, "selfprotect: execute the protected binary");
}
