/* Path resolution and creation confined to a directory tree (openat2 RESOLVE_IN_ROOT). */
#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
/* One component below a directory fd we already trust: no symlink, no `..` escape. */
#define ONE_STEP (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
/* As the kernel's MAXSYMLINKS: the same budget a plain path walk has. */
#define MAX_SYMLINKS 40
/* A component that vanishes or appears between our create and open is retried this often. */
#define MAX_RACES 8

enum want {
        WANT_DIR,
        WANT_FILE,
};

/* Who what we create belongs to; NULL: whoever creates it (our fsuid, the directory's setgid group). */
struct owner {
        uid_t uid;
        gid_t gid;
};

static int openat2_fd(int dirfd, const char *path, uint64_t flags, mode_t mode, uint64_t resolve)
{
        struct open_how how = {.flags = flags | O_CLOEXEC, .mode = (flags & O_CREAT) ? mode : 0, .resolve = resolve};
        /* RESOLVE_IN_ROOT and RESOLVE_BENEATH give EAGAIN when a rename raced the walk. */
        for (int i = 0; i < 16; i++) {
                long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
                if (fd >= 0)
                        return (int)fd;
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

static bool is_dot(const char *s, size_t n)
{
        return n == 1 && s[0] == '.';
}

static bool is_dotdot(const char *s, size_t n)
{
        return n == 2 && s[0] == '.' && s[1] == '.';
}

/* Next component of *p, skipping empty ones and `.`; false at the end. */
static bool next_component(const char **p, const char **ret, size_t *ret_len)
{
        for (;;) {
                const char *s = *p + strspn(*p, "/");
                size_t n = strcspn(s, "/");
                *p = s + n;
                if (n == 0)
                        return false;
                if (is_dot(s, n))
                        continue;
                *ret = s;
                *ret_len = n;
                return true;
        }
}

static bool has_more_components(const char *p)
{
        const char *c;
        size_t n;
        return next_component(&p, &c, &n);
}

/* Split off the last component: *ret_dir (caller frees) and *ret_base (points into path). */
static int split_last(const char *path, char **ret_dir, const char **ret_base, size_t *ret_base_len)
{
        size_t len = strlen(path);
        while (len > 0 && path[len - 1] == '/')
                len--;
        size_t start = len;
        while (start > 0 && path[start - 1] != '/')
                start--;
        size_t n = len - start;
        if (n == 0 || is_dot(path + start, n) || is_dotdot(path + start, n))
                return -EINVAL;
        char *dir = start == 0 ? strdup(".") : strndup(path, start);
        if (!dir)
                return -ENOMEM;
        *ret_dir = dir;
        *ret_base = path + start;
        *ret_base_len = n;
        return 0;
}

/* ONE_STEP: a symlink in name's place (raced in, or the image's) is refused, not followed. */
static int open_one(int dir_fd, const char *name, enum want want)
{
        return openat2_fd(dir_fd, name, O_PATH | (want == WANT_DIR ? O_DIRECTORY : 0), 0, ONE_STEP);
}

/*
 * Create `name` in dir_fd as `want`; EEXIST is fine (someone, maybe a symlink, is there). With an
 * owner, what was made is opened (*ret_fd) and given to it; when that fails it is removed again, so
 * that nothing is left with an owner nobody asked for.
 */
static int create_one(int dir_fd, const char *name, enum want want, mode_t mode, const struct owner *owner, int *ret_fd)
{
        *ret_fd = -1;
        _cleanup_close_ int fd = -1;
        if (want == WANT_DIR) {
                if (mkdirat(dir_fd, name, mode) < 0)
                        return errno == EEXIST ? 0 : -errno;
                if (!owner)
                        return 0;
                fd = open_one(dir_fd, name, WANT_DIR);
        } else {
                fd = openat2_fd(dir_fd, name, O_CREAT | O_EXCL | O_RDONLY | O_NOCTTY, mode, ONE_STEP);
                if (fd == -EEXIST)
                        return 0;
        }
        if (fd < 0)
                return fd;
        if (owner && fchownat(fd, "", owner->uid, owner->gid, AT_EMPTY_PATH) < 0) {
                int r = -errno;
                unlinkat(dir_fd, name, want == WANT_DIR ? AT_REMOVEDIR : 0);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Re-open an already walked prefix, which holds real directories only: no symlink allowed. */
static int reopen_prefix(int root_fd, const char *done, int *cur, int *owned)
{
        closep(owned);
        *owned = -1;
        *cur = root_fd;
        if (!*done)
                return 0;
        int fd = openat2_fd(root_fd, done, O_PATH | O_DIRECTORY, 0, IN_ROOT | RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return fd;
        *cur = *owned = fd;
        return 0;
}

/*
 * The general walk, one component at a time from a trusted directory fd. Symlinks are
 * read and spliced into the remaining path, so their targets are walked (and created)
 * by the same code; `done` keeps the walked prefix, which `..` shortens.
 */
static int walk_create(int root_fd, const char *path, enum want want, mode_t mode, const struct owner *owner)
{
        _cleanup_free_ char *todo = strdup(path);
        _cleanup_free_ char *done = calloc(1, strlen(path) + 1);
        _cleanup_close_ int owned = -1;
        size_t done_len = 0, done_cap = strlen(path) + 1;
        int cur = root_fd, links = 0;
        const char *p = todo;

        if (!todo || !done)
                return -ENOMEM;
        for (;;) {
                const char *comp;
                size_t n;
                if (!next_component(&p, &comp, &n))
                        return openat2_fd(cur, ".", O_PATH | O_DIRECTORY, 0, ONE_STEP);
                bool last = !has_more_components(p);

                if (is_dotdot(comp, n)) {
                        while (done_len > 0 && done[done_len - 1] != '/')
                                done_len--;
                        if (done_len > 0)
                                done_len--;
                        done[done_len] = '\0';
                        int r = reopen_prefix(root_fd, done, &cur, &owned);
                        if (r < 0)
                                return r;
                        continue;
                }

                char name[NAME_MAX + 1];
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, comp, n);
                name[n] = '\0';
                enum want step = last ? want : WANT_DIR;

                int fd = open_one(cur, name, step);
                for (int races = 0; fd == -ENOENT && races < MAX_RACES; races++) {
                        int r = create_one(cur, name, step, step == want ? mode : 0755, owner, &fd);
                        if (r < 0)
                                return r;
                        if (fd < 0)
                                fd = open_one(cur, name, step);
                }
                if (fd == -ELOOP) {
                        /* With RESOLVE_NO_SYMLINKS on one component, ELOOP means it is a symlink. */
                        char target[PATH_MAX];
                        ssize_t len = readlinkat(cur, name, target, sizeof(target) - 1);
                        if (len < 0)
                                return errno == EINVAL ? -ELOOP : -errno;
                        if (++links > MAX_SYMLINKS)
                                return -ELOOP;
                        target[len] = '\0';
                        char *spliced = NULL;
                        if (asprintf(&spliced, "%s/%s", target, p) < 0)
                                return -ENOMEM;
                        free(todo);
                        todo = spliced;
                        p = todo;
                        if (target[0] == '/') {
                                done_len = 0;
                                done[0] = '\0';
                                int r = reopen_prefix(root_fd, done, &cur, &owned);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (fd < 0)
                        return fd;
                if (last)
                        return fd;

                closep(&owned);
                cur = owned = fd;
                size_t need = done_len + 1 + n + 1;
                if (need > done_cap) {
                        char *grown = realloc(done, need * 2);
                        if (!grown)
                                return -ENOMEM;
                        done = grown;
                        done_cap = need * 2;
                }
                done[done_len++] = '/';
                memcpy(done + done_len, name, n + 1);
                done_len += n;
        }
}

/*
 * Create (or find) `path` as `want`. Most calls find it at once or miss only the last
 * component, so try those two cheap cases before the component-by-component walk.
 */
static int resolve_create(int root_fd, const char *path, enum want want, mode_t mode, const struct owner *owner)
{
        int fd = openat2_fd(root_fd, path, O_PATH | (want == WANT_DIR ? O_DIRECTORY : 0), 0, IN_ROOT);
        if (fd != -ENOENT)
                return fd;

        _cleanup_free_ char *dir = NULL;
        const char *base;
        size_t base_len;
        char name[NAME_MAX + 1];
        if (split_last(path, &dir, &base, &base_len) == 0 && base_len <= NAME_MAX) {
                /* A parent of "/" is root_fd itself: no lookup needed. */
                bool top = dir[strspn(dir, "/")] == '\0' || strcmp(dir, ".") == 0;
                _cleanup_close_ int opened = top ? -1 : openat2_fd(root_fd, dir, O_PATH | O_DIRECTORY, 0, IN_ROOT);
                int parent = top ? root_fd : opened;
                if (parent >= 0) {
                        memcpy(name, base, base_len);
                        name[base_len] = '\0';
                        int r = create_one(parent, name, want, mode, owner, &fd);
                        if (r < 0)
                                return r;
                        if (fd >= 0)
                                return fd;
                        fd = open_one(parent, name, want);
                        /* ELOOP: a dangling symlink is in the way; the walk follows it. */
                        if (fd != -ELOOP)
                                return fd;
                } else if (parent != -ENOENT) {
                        return parent;
                }
        }
        return walk_create(root_fd, path, want, mode, owner);
}

int husk_path_open_in_root(int root_fd, const char *path, uint64_t open_flags, uint64_t resolve_extra,
                           struct husk_error **err)
{
        if ((open_flags & O_CREAT) || (open_flags & O_TMPFILE) == O_TMPFILE)
                return husk_error_set(err, EINVAL, "open `%s`: creating is not allowed here", path);
        int fd = openat2_fd(root_fd, path, open_flags, 0, IN_ROOT | resolve_extra);
        if (fd < 0)
                return husk_error_set(err, -fd, "open `%s`", path);
        return fd;
}

int husk_path_mkdir_all_in_root(int root_fd, const char *path, mode_t mode, struct husk_error **err)
{
        int fd = resolve_create(root_fd, path, WANT_DIR, mode, NULL);
        if (fd < 0)
                return husk_error_set(err, -fd, "create directory `%s`", path);
        return fd;
}

int husk_path_mkdir_all_in_root_owned(int root_fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
                                      struct husk_error **err)
{
        struct owner owner = {uid, gid};
        int fd = resolve_create(root_fd, path, WANT_DIR, mode, &owner);
        if (fd < 0)
                return husk_error_set(err, -fd, "create directory `%s` owned by %u:%u", path, uid, gid);
        return fd;
}

int husk_path_mkfile_in_root(int root_fd, const char *path, mode_t mode, struct husk_error **err)
{
        int fd = resolve_create(root_fd, path, WANT_FILE, mode, NULL);
        if (fd < 0)
                return husk_error_set(err, -fd, "create file `%s`", path);
        return fd;
}

int husk_path_mkfile_in_root_owned(int root_fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
                                   struct husk_error **err)
{
        struct owner owner = {uid, gid};
        int fd = resolve_create(root_fd, path, WANT_FILE, mode, &owner);
        if (fd < 0)
                return husk_error_set(err, -fd, "create file `%s` owned by %u:%u", path, uid, gid);
        return fd;
}

int husk_path_open_parent_in_root(int root_fd, const char *path, char **ret_name, struct husk_error **err)
{
        _cleanup_free_ char *dir = NULL;
        const char *base;
        size_t base_len;
        int r = split_last(path, &dir, &base, &base_len);
        if (r < 0)
                return husk_error_set(err, -r, "`%s` does not name a file", path);
        _cleanup_free_ char *name = strndup(base, base_len);
        if (!name)
                return husk_error_set(err, ENOMEM, "open parent of `%s`", path);
        int fd = resolve_create(root_fd, dir, WANT_DIR, 0755, NULL);
        if (fd < 0)
                return husk_error_set(err, -fd, "create directory `%s`", dir);
        *ret_name = TAKE_PTR(name);
        return fd;
}

bool husk_path_has_dotdot(const char *path)
{
        for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
                if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
                        return true;
        return false;
}

char *husk_path_clean(const char *path)
{
        char *out = malloc(strlen(path) + 2);
        if (!out)
                return NULL;
        size_t o = 0;
        for (const char *p = path; *p;) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                size_t n = (size_t)(end - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        /* nothing to add */
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else {
                        out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p = end;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        return out;
}

void husk_path_unescape_mountinfo(char *s)
{
        char *out = s;
        for (char *in = s; *in; in++) {
                if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
                    in[3] <= '7') {
                        *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
                        in += 3;
                } else {
                        *out++ = *in;
                }
        }
        *out = '\0';
}

DIR *husk_opendir_at(int dirfd)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        DIR *dir = fdopendir(fd);
        if (!dir) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return dir;
}
