/* cgroup v2 delegation: whether an unprivileged caller may create and join a cgroup, and what is missing if not. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/words.h"

/* How an administrator hands a subtree to a user; systemd does the same for a unit with Delegate=yes. */
#define DELEGATE_HINT                                                                                                  \
        "delegate a subtree: give the user its directory and the cgroup.procs, cgroup.subtree_control and "            \
        "cgroup.threads in it, as systemd's Delegate=yes does"

/* Length of the next component of a cgroup path at *p (leading slashes skipped, *p moved to its start). */
static size_t next_component(const char **p)
{
        while (**p == '/')
                (*p)++;
        return strcspn(*p, "/");
}

/* Open the directory `len` bytes of path name, relative to the hierarchy's root. */
static int open_prefix(const struct cg_hierarchy *h, const char *path, size_t len)
{
        char rel[PATH_MAX];
        if (len >= sizeof(rel)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(rel, path, len);
        rel[len] = '\0';
        return openat(h->mount_fd, cg_inner_rel(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

static unsigned owner_of(int fd, const char *file)
{
        struct stat st;
        return fstatat(fd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 ? (unsigned)st.st_uid : UINT_MAX;
}

/* Length of the longest common ancestor of two cgroup paths, on component boundaries ("/a/b", "/a/c" -> 2). */
static size_t common_ancestor_len(const char *a, const char *b)
{
        size_t common = 0;
        for (size_t i = 0;; i++) {
                bool end_a = a[i] == '\0' || a[i] == '/';
                bool end_b = b[i] == '\0' || b[i] == '/';
                if (end_a && end_b)
                        common = i;
                if (a[i] != b[i] || a[i] == '\0')
                        return common;
        }
}

bool cg_v2_explain_refused_mkdir(const struct cg_hierarchy *h, struct husk_error **err)
{
        char shown[4200];
        /* The deepest directory of the path that exists: the first missing one was to be made in it. */
        _cleanup_close_ int fd = openat(h->mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        const char *p = h->path;
        size_t n;
        while (fd >= 0 && (n = next_component(&p)) > 0) {
                char comp[256];
                if (n >= sizeof(comp))
                        return false;
                memcpy(comp, p, n);
                comp[n] = '\0';
                int child = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (child < 0) {
                        if (errno != ENOENT || faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == 0)
                                return false;
                        int e = errno;
                        cg_error_clear(err);
                        husk_error_set(err, e,
                                       "cgroup `%s` is not delegated to uid %u: it cannot create `%s` in `%s`, owned by "
                                       "uid %u (" DELEGATE_HINT ")",
                                       h->path, (unsigned)geteuid(), comp,
                                       cg_display(h, h->path, (int)(p - h->path) - 1, shown, sizeof(shown)),
                                       owner_of(fd, "."));
                        return true;
                }
                close(fd);
                fd = child;
                p += n;
        }
        return false;
}

int cg_v2_check_movable(const struct cg_hierarchy *h, const char *own, struct husk_error **err)
{
        unsigned uid = (unsigned)geteuid();
        char shown[4200], shown2[4200];
        /*
         * The kernel lets a process move (write cgroup.procs, or clone3 CLONE_INTO_CGROUP) only with write
         * access to cgroup.procs of the common ancestor of where it is and where it goes: the caller must
         * already live inside the delegated subtree.
         */
        size_t common = common_ancestor_len(own, h->path);
        _cleanup_close_ int common_fd = open_prefix(h, h->path, common);
        if (common_fd < 0)
                return husk_error_set(err, errno, "open `%s`",
                                      cg_display(h, h->path, (int)common, shown, sizeof(shown)));
        if (faccessat(common_fd, "cgroup.procs", W_OK, AT_EACCESS) < 0)
                return husk_error_set(err, errno,
                                      "cgroup `%s` is not delegated to uid %u together with husk's own cgroup `%s`: "
                                      "moving a process between them needs write access to `%s/cgroup.procs`, in "
                                      "their common ancestor, owned by uid %u (run husk from a cgroup inside the "
                                      "delegated subtree, e.g. a leaf beside the container's)",
                                      h->path, uid, own, cg_display(h, h->path, (int)common, shown2, sizeof(shown2)),
                                      owner_of(common_fd, "cgroup.procs"));
        return 0;
}

int cg_v2_controller_missing(const struct cg_hierarchy *h, enum cg_controller c, struct husk_error **err)
{
        const char *name = cg_controller_name(c, true);
        char shown[4200], buf[512];

        /* A controller reaches a cgroup only when every ancestor has it in cgroup.subtree_control: find the
         * first one that does not (husk tried to enable it at each level it could write). */
        size_t len = 0;
        for (const char *p = h->path;;) {
                _cleanup_close_ int fd = open_prefix(h, h->path, len);
                if (fd < 0)
                        break;
                size_t n = next_component(&p);
                if (n == 0)
                        break;
                if (cg_read(fd, "cgroup.subtree_control", buf, sizeof(buf), NULL) < 0 || husk_word_listed(buf, name)) {
                        len = (size_t)(p + n - h->path);
                        p += n;
                        continue;
                }
                const char *dir = cg_display(h, h->path, (int)len, shown, sizeof(shown));
                if (cg_read(fd, "cgroup.controllers", buf, sizeof(buf), NULL) >= 0 && !husk_word_listed(buf, name))
                        break; /* not even at the root: the host lacks it */
                if (faccessat(fd, "cgroup.subtree_control", W_OK, AT_EACCESS) < 0)
                        return husk_error_set(err, EACCES,
                                              "cgroup controller `%s` is not delegated to uid %u: enable it in "
                                              "`%s/cgroup.subtree_control`, which it cannot write (as root: `echo "
                                              "+%s > %s/cgroup.subtree_control`)",
                                              name, (unsigned)geteuid(), dir, name, dir);
                if (cg_read(fd, "cgroup.procs", buf, sizeof(buf), NULL) > 0)
                        return husk_error_set(err, EBUSY,
                                              "cgroup controller `%s` cannot be enabled in `%s`: it has processes of "
                                              "its own, and cgroup v2 gives controllers only to the children of a "
                                              "cgroup without processes (move them into a leaf cgroup)",
                                              name, dir);
                return husk_error_set(
                    err, ENOENT, "cgroup controller `%s` is not enabled in `%s/cgroup.subtree_control`", name, dir);
        }
        return husk_error_set(err, ENOENT, "cgroup controller `%s` is not available", name);
}
