/* The container process's identity: groups, gid, uid, umask, HOME. */
#include "linux/user.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/io.h"
#include "util/path.h"

#define PASSWD_MAX (16 << 20)

int husk_user_switch(const struct husk_user *user, bool setgroups_allowed, struct husk_error **err)
{
        if (setgroups_allowed && setgroups(user->additional_gids_len, user->additional_gids) < 0)
                return husk_error_set(err, errno, "process.user.additionalGids: setgroups");
        if (!setgroups_allowed && user->additional_gids_len)
                return husk_error_set(err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
        if (user->uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "keep capabilities across setuid");
        if (setresgid(user->gid, user->gid, user->gid) < 0)
                return husk_error_set(err, errno, "process.user.gid: setresgid %u", user->gid);
        if (setresuid(user->uid, user->uid, user->uid) < 0)
                return husk_error_set(err, errno, "process.user.uid: setresuid %u", user->uid);
        return 0;
}

void husk_user_umask(const struct husk_user *user)
{
        umask(user->has_umask ? user->umask : 0022);
}

/* The home field of the first line of a passwd text whose uid is uid; NULL when none. */
static const char *passwd_home(char *text, uid_t uid)
{
        for (char *line = text, *next; *line; line = next) {
                next = line + strcspn(line, "\n");
                if (*next)
                        *next++ = '\0';
                /* name:password:uid:gid:gecos:home:shell */
                char *field[7];
                char *p = line;
                size_t n = 0;
                for (; n < 7 && p; n++) {
                        field[n] = p;
                        p = strchr(p, ':');
                        if (p)
                                *p++ = '\0';
                }
                if (n < 6 || !isdigit((unsigned char)field[2][0]))
                        continue;
                char *end;
                errno = 0;
                unsigned long v = strtoul(field[2], &end, 10);
                if (!errno && !*end && v == (unsigned long)uid)
                        return field[5];
        }
        return NULL;
}

/* The container's /etc/passwd as a string (*ret NULL when there is none to read). */
static int read_passwd(char **ret, struct husk_error **err)
{
        *ret = NULL;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return husk_error_set(err, errno, "process.env: HOME: open `/`");
        /* O_NONBLOCK: a FIFO in its place must not hang the start; only a regular file is read. */
        _cleanup_close_ int fd = husk_path_open_in_root(root, "/etc/passwd", O_RDONLY | O_NONBLOCK, 0, NULL);
        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0)
                return husk_error_set(err, -fd, "process.env: HOME: open the container's `/etc/passwd`");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return husk_error_set(err, errno, "process.env: HOME: stat the container's `/etc/passwd`");
        if (!S_ISREG(st.st_mode))
                return 0;
        if (st.st_size > PASSWD_MAX)
                return husk_error_set(err, EFBIG, "process.env: HOME: the container's `/etc/passwd` is over %d MiB",
                                      PASSWD_MAX >> 20);
        size_t size = (size_t)st.st_size;
        _cleanup_free_ char *text = malloc(size + 1);
        if (!text)
                return husk_error_set(err, ENOMEM, "process.env: HOME");
        int r = husk_read_all(fd, text, size);
        if (r < 0)
                return husk_error_set(err, -r, "process.env: HOME: read the container's `/etc/passwd`");
        text[size] = '\0';
        *ret = TAKE_PTR(text);
        return 0;
}

int husk_user_home_env(const struct husk_process *process, char ***ret_env, struct husk_error **err)
{
        *ret_env = NULL;
        size_t n = 0;
        for (char **e = process->env; e && *e; e++, n++)
                if (strncmp(*e, "HOME=", 5) == 0 && (*e)[5])
                        return 0;

        _cleanup_free_ char *passwd = NULL;
        int r = read_passwd(&passwd, err);
        if (r < 0)
                return r;
        const char *home = passwd ? passwd_home(passwd, process->user.uid) : NULL;
        const char *value = home && *home ? home : "/";
        _cleanup_free_ char **env = calloc(n + 2, sizeof(*env));
        _cleanup_free_ char *entry = malloc(strlen("HOME=") + strlen(value) + 1);
        if (!env || !entry)
                return husk_error_set(err, ENOMEM, "process.env: HOME");
        strcpy(stpcpy(entry, "HOME="), value);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp(process->env[i], "HOME=", 5) != 0) /* an empty HOME= is replaced */
                        env[k++] = process->env[i];
        env[k++] = TAKE_PTR(entry);
        env[k] = NULL;
        *ret_env = TAKE_PTR(env);
        return 0;
}
