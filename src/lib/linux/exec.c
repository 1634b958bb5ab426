/* The last steps of the container init: find the program, close fds, execve. */
#include "linux/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool is_executable_file(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int husk_exec_resolve(const struct husk_process *process, char **ret_path, struct husk_error **err)
{
        const char *arg0 = process->args[0];
        if (strchr(arg0, '/')) {
                if (!is_executable_file(arg0))
                        return husk_error_set(err, errno ? errno : EACCES, "exec: `%s`", arg0);
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
                if (is_executable_file(candidate)) {
                        *ret_path = TAKE_PTR(candidate);
                        return 0;
                }
                if (!*end)
                        break;
                p = end + 1;
        }
        return husk_error_set(err, 0, "exec: `%s`: executable file not found in $PATH", arg0);
}

int husk_exec_cloexec_from(int first, struct husk_error **err)
{
        if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                return husk_error_set(err, errno, "mark fds close-on-exec");
        return 0;
}
