/* The last steps of the container init: find the program, close fds, execve. */
#include "linux/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * 0 when path is a regular file execve would run for us, else a negative errno. With our effective
 * ids and capabilities (faccessat2 AT_EACCESS), as execve checks: access(2) asks for the real ids
 * and, for a user but root, no capabilities at all, so it refuses a file only CAP_DAC_OVERRIDE lets
 * the user run. Without faccessat2 (before Linux 5.8, or refused by seccomp): an execute bit is
 * enough, and execve itself has the last word.
 */
static int check_executable(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EACCES;
        if (syscall(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
                return 0;
        if (errno != ENOSYS && errno != EPERM)
                return -errno;
        return st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH) ? 0 : -EACCES;
}

/* The program cannot be run: errno's words as runc prints them, which clients match (husk_errno_text_go). */
static int cannot_exec(const char *arg0, int errnum, struct husk_error **err)
{
        char text[128];
        return husk_error_set(err, 0, "exec: `%s`: %s", arg0, husk_errno_text_go(errnum, text, sizeof(text)));
}

int husk_exec_resolve(const struct husk_process *process, char **ret_path, struct husk_error **err)
{
        const char *arg0 = process->args[0];
        if (strchr(arg0, '/')) {
                int r = check_executable(arg0);
                if (r < 0)
                        return cannot_exec(arg0, -r, err);
                *ret_path = strdup(arg0);
                return *ret_path ? 0 : husk_error_set(err, ENOMEM, "exec");
        }
        const char *path_env = DEFAULT_PATH;
        for (char **e = process->env; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path_env = *e + 5;
        const char *p = path_env;
        while (true) {
                const char *end = strchrnul(p, ':');
                _cleanup_free_ char *candidate = NULL;
                /* An empty element means the current directory, as execvp treats it. */
                if (asprintf(&candidate, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", arg0) < 0)
                        return husk_error_set(err, ENOMEM, "exec");
                if (check_executable(candidate) == 0) {
                        *ret_path = TAKE_PTR(candidate);
                        return 0;
                }
                if (!*end)
                        break;
                p = end + 1;
        }
        return husk_error_set(err, 0, "exec: `%s`: executable file not found in $PATH", arg0);
}

/* Without close_range: every fd in /proc/self/fd from first on gets FD_CLOEXEC (what runc always does). */
static int cloexec_from_proc(int first, struct husk_error **err)
{
        DIR *dir = opendir("/proc/self/fd");
        if (!dir)
                return husk_error_set(err, errno, "mark fds close-on-exec: open /proc/self/fd");
        int r = 0;
        struct dirent *de;
        while ((de = readdir(dir))) {
                char *end;
                errno = 0;
                long fd = strtol(de->d_name, &end, 10);
                if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || errno || fd < first || fd == dirfd(dir))
                        continue;
                int flags = fcntl((int)fd, F_GETFD);
                if (flags < 0 || (!(flags & FD_CLOEXEC) && fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0)) {
                        if (errno == EBADF)
                                continue;
                        r = husk_error_set(err, errno, "mark fd %ld close-on-exec", fd);
                        break;
                }
        }
        closedir(dir);
        return r;
}

int husk_exec_cloexec_from(int first, bool try_close_range, struct husk_error **err)
{
        if (try_close_range && syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        /* Not in the kernel (CLOSE_RANGE_CLOEXEC is 5.11: EINVAL before), or refused by the container's
         * seccomp profile, which may predate close_range (ENOSYS from the stub, or its default errno,
         * whatever that is). */
        return cloexec_from_proc(first, err);
}
