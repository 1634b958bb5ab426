/* The container process's identity: groups, gid, uid, umask, its environment and the owner of its stdio. */
#include "linux/user.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/io.h"
#include "util/path.h"

#define PASSWD_MAX (16 << 20)

int husk_user_switch(const struct husk_user *user, bool setgroups_allowed, bool setres, struct husk_error **err)
{
        if (setgroups_allowed && setgroups(user->additional_gids_len, user->additional_gids) < 0)
                return husk_error_set(err, errno, "process.user.additionalGids: setgroups");
        if (!setgroups_allowed && user->additional_gids_len)
                return husk_error_set(err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
        if (user->uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "keep capabilities across setuid");
        /* EINVAL: the id has no mapping in this user namespace. */
        if ((setres ? setresgid(user->gid, user->gid, user->gid) : setgid(user->gid)) < 0)
                return husk_error_set(err, errno, "process.user.gid: %s %u%s", setres ? "setresgid" : "setgid",
                                      user->gid, errno == EINVAL ? " (not mapped in the user namespace)" : "");
        if ((setres ? setresuid(user->uid, user->uid, user->uid) : setuid(user->uid)) < 0)
                return husk_error_set(err, errno, "process.user.uid: %s %u%s", setres ? "setresuid" : "setuid",
                                      user->uid, errno == EINVAL ? " (not mapped in the user namespace)" : "");
        return 0;
}

int husk_user_chown_stdio(const struct husk_process *process, struct husk_error **err)
{
        for (int fd = 0; fd < 3; fd++) {
                struct stat st;
                if (fstat(fd, &st) < 0) {
                        if (errno == EBADF)
                                continue;
                        return husk_error_set(err, errno, "stdio: stat fd %d", fd);
                }
                /* The filesystem is asked only of what could need a chown (a root process's usually does not). */
                bool chr = process->terminal && S_ISCHR(st.st_mode);
                if ((!chr && !S_ISFIFO(st.st_mode)) || st.st_uid == process->user.uid)
                        continue;
                struct statfs fs;
                if (fstatfs(fd, &fs) < 0)
                        return husk_error_set(err, errno, "stdio: stat the filesystem of fd %d", fd);
                if (fs.f_type != (chr ? DEVPTS_SUPER_MAGIC : PIPEFS_MAGIC))
                        continue;
                /* The group stays: devpts gives the pty its gid= option's (tty), as runc leaves it. EINVAL: the
                 * uid is not mapped; EPERM: the owner is not (a pipe of the host's, in a user namespace). */
                if (fchown(fd, process->user.uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
                        return husk_error_set(err, errno, "stdio: chown fd %d to process.user.uid %u", fd,
                                              process->user.uid);
        }
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

/* One entry of process.env: the name is the text before its first '='. */
struct env_entry {
        char *text;
        size_t name_len;
        size_t index;
};

static int compare_env_entries(const void *a, const void *b)
{
        const struct env_entry *x = a, *y = b;
        size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
        int c = memcmp(x->text, y->text, n);
        if (c)
                return c;
        if (x->name_len != y->name_len)
                return x->name_len < y->name_len ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

static bool same_name(const struct env_entry *a, const struct env_entry *b)
{
        return a->name_len == b->name_len && memcmp(a->text, b->text, a->name_len) == 0;
}

/*
 * process.env as runc 1.1 sets it (os.Setenv of each entry in turn): one entry per name, where the
 * name first appears, with the value it has last. *ret_env has room for one entry more.
 */
static int dedup_env(char **env, size_t n, char ***ret_env, size_t *ret_len, struct husk_error **err)
{
        _cleanup_free_ struct env_entry *entries = calloc(n ? n : 1, sizeof(*entries));
        _cleanup_free_ char **out = calloc(n + 2, sizeof(*out));
        if (!entries || !out)
                return husk_error_set(err, ENOMEM, "process.env");
        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq)
                        return husk_error_set(err, 0, "process.env: `%s` is not NAME=VALUE", env[i]);
                if (eq == env[i])
                        return husk_error_set(err, 0, "process.env: `%s`: the name is empty", env[i]);
                entries[i] = (struct env_entry){.text = env[i], .name_len = (size_t)(eq - env[i]), .index = i};
        }
        /* Sorted by name, then position: each run of one name goes to the slot of its first entry. */
        qsort(entries, n, sizeof(*entries), compare_env_entries);
        for (size_t i = 0, last; i < n; i = last + 1) {
                for (last = i; last + 1 < n && same_name(&entries[i], &entries[last + 1]); last++)
                        ;
                out[entries[i].index] = entries[last].text;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (out[i])
                        out[k++] = out[i];
        memset(out + k, 0, (n - k) * sizeof(*out));
        *ret_len = k;
        *ret_env = TAKE_PTR(out);
        return 0;
}

int husk_user_env(const struct husk_process *process, char ***ret_env, struct husk_error **err)
{
        size_t n = 0;
        while (process->env && process->env[n])
                n++;
        _cleanup_free_ char **env = NULL;
        size_t len = 0;
        int r = dedup_env(process->env, n, &env, &len, err);
        if (r < 0)
                return r;
        size_t home = 0;
        while (home < len && strncmp(env[home], "HOME=", 5) != 0)
                home++;
        if (home == len || !env[home][5]) {
                /* Missing or empty: runc sets it from the user's passwd entry, in the empty one's place. */
                _cleanup_free_ char *passwd = NULL;
                r = read_passwd(&passwd, err);
                if (r < 0)
                        return r;
                const char *dir = passwd ? passwd_home(passwd, process->user.uid) : NULL;
                const char *value = dir && *dir ? dir : "/";
                char *entry = malloc(strlen("HOME=") + strlen(value) + 1);
                if (!entry)
                        return husk_error_set(err, ENOMEM, "process.env: HOME");
                strcpy(stpcpy(entry, "HOME="), value);
                env[home] = entry;
                if (home == len)
                        env[++len] = NULL;
        }
        *ret_env = TAKE_PTR(env);
        return 0;
}
