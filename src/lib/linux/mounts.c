/* spec.mounts: bind and filesystem mounts onto destinations resolved inside the rootfs; run_oci's intermediate ones. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "linux/copyup.h"
#include "linux/idmap-mount.h"
#include "linux/intermediate.h"
#include "linux/loop.h"
#include "linux/lsm.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
/* Flags that select a mount(2) operation rather than describe the new mount. */

struct mount_attr husk_mount_attr_from_flags(unsigned long set, unsigned long clear)
{
        static const struct {
                unsigned long ms;
                uint64_t attr;
        } map[] = {
            {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
            {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
            {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
        };
        struct mount_attr a = {0};
        for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
                if (set & map[i].ms)
                        a.attr_set |= map[i].attr;
                else if (clear & map[i].ms)
                        a.attr_clr |= map[i].attr;
        }
        /* The atime mode is one field; as mount(2) does: strictatime over noatime over relatime. */
        if (set & ATIME_FLAGS) {
                a.attr_clr |= MOUNT_ATTR__ATIME;
                a.attr_set |= (set & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                              : (set & MS_NOATIME)   ? MOUNT_ATTR_NOATIME
                                                     : MOUNT_ATTR_RELATIME;
        } else if (clear & ATIME_FLAGS) {
                a.attr_clr |= MOUNT_ATTR__ATIME; /* back to the default, relatime */
        }
        return a;
}

int husk_mount_setattr(int tree_fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation)
{
        if (set & MOUNT_ATTR__ATIME)
                clr |= MOUNT_ATTR__ATIME; /* the kernel wants the whole atime field cleared to set it */
        struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = propagation};
        if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
                return -errno;
        return 0;
}

int husk_mount_attach(int tree_fd, int dst_fd)
{
        if (move_mount(tree_fd, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

int husk_mount_clone_path(const char *source, bool recursive)
{
        int fd = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
        return fd < 0 ? -errno : fd;
}

int husk_mount_bind_path_onto(const char *source, int dst_fd)
{
        _cleanup_close_ int tree = husk_mount_clone_path(source, false);
        if (tree < 0)
                return tree;
        return husk_mount_attach(tree, dst_fd);
}

int husk_mount_fs_onto(const char *source, const char *type, unsigned long flags, const char *data, int dst_fd)
{
        char target[32];
        snprintf(target, sizeof(target), "/proc/self/fd/%d", dst_fd);
        if (mount(source, target, type, flags & ~OPERATION_FLAGS, data) < 0)
                return -errno;
        return 0;
}

unsigned long husk_propagation_flag(enum husk_propagation p)
{
        switch (p) {
        case HUSK_PROPAGATION_SHARED:
                return MS_SHARED;
        case HUSK_PROPAGATION_SLAVE:
                return MS_SLAVE;
        case HUSK_PROPAGATION_PRIVATE:
                return MS_PRIVATE;
        case HUSK_PROPAGATION_UNBINDABLE:
                return MS_UNBINDABLE;
        case HUSK_PROPAGATION_NONE:
                break;
        }
        return 0;
}

/* The fs context's own message ("tmpfs: Bad value for 'size'") is the useful part of a failure. */
static int fs_error(int fs_fd, int errnum, struct husk_error **err, const char *what)
{
        char log[512];
        ssize_t n = fs_fd >= 0 ? read(fs_fd, log, sizeof(log) - 1) : -1;
        if (n > 2) {
                log[n] = '\0';
                log[strcspn(log, "\n")] = '\0';
                return husk_error_set(err, errnum, "%s: %s", what, log + 2); /* skip the "e " level tag */
        }
        return husk_error_set(err, errnum, "%s", what);
}

/* Pass mount data to fsconfig one option at a time; values may be "quoted" (SELinux contexts hold commas). */
static int fs_config_data(int fs_fd, const char *data, struct husk_error **err)
{
        _cleanup_free_ char *copy = strdup(data);
        if (!copy)
                return husk_error_set(err, ENOMEM, "copy mount data");
        char *p = copy;
        while (*p) {
                char *opt = p;
                bool quoted = false;
                for (; *p && (quoted || *p != ','); p++)
                        if (*p == '"')
                                quoted = !quoted;
                if (*p)
                        *p++ = '\0';
                if (!*opt)
                        continue;
                char *value = strchr(opt, '=');
                int r;
                if (value) {
                        *value++ = '\0';
                        size_t vlen = strlen(value);
                        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
                                value[vlen - 1] = '\0';
                                value++;
                        }
                        r = fsconfig(fs_fd, FSCONFIG_SET_STRING, opt, value, 0);
                } else {
                        r = fsconfig(fs_fd, FSCONFIG_SET_FLAG, opt, NULL, 0);
                }
                if (r < 0)
                        return fs_error(fs_fd, errno, err, "set mount option");
        }
        return 0;
}

int husk_mount_fs_create(const char *type, const char *source, unsigned long flags, const char *data,
                         struct husk_error **err)
{
        return husk_mount_fs_create_in(type, source, flags, data, -1, err);
}

int husk_mount_fs_create_in(const char *type, const char *source, unsigned long flags, const char *data,
                            int pidns_fd, struct husk_error **err)
{
        static const struct {
                unsigned long ms;
                const char *name;
        } sb_flags[] = {
            {MS_RDONLY, "ro"},         {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"},
            {MS_LAZYTIME, "lazytime"}, {MS_MANDLOCK, "mand"},
        };
        _cleanup_close_ int fs_fd = fsopen(type, FSOPEN_CLOEXEC);
        if (fs_fd < 0)
                return husk_error_set(err, errno, "open `%s` filesystem context", type);
        if (source && fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return fs_error(fs_fd, errno, err, "set mount source");
        if (pidns_fd >= 0 && fsconfig(fs_fd, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0)
                return fs_error(fs_fd, errno, err, "set the pid namespace");
        /* As mount(2) does: these flags apply to the superblock too, not only to the mount. */
        for (size_t i = 0; i < ARRAY_SIZE(sb_flags); i++)
                if ((flags & sb_flags[i].ms) && fsconfig(fs_fd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
                        return fs_error(fs_fd, errno, err, "set mount flag");
        /* mount(2) hands MS_POSIXACL to the superblock, which a filesystem without that option ignores: "acl"
         * to those that take it (ext4), nothing to the others (tmpfs has ACLs whenever the kernel does). */
        if ((flags & MS_POSIXACL) && fsconfig(fs_fd, FSCONFIG_SET_FLAG, "acl", NULL, 0) < 0) {
                char ignored[512]; /* the log's messages, not to be taken for a later error's */
                while (read(fs_fd, ignored, sizeof(ignored)) > 0)
                        ;
        }
        if (data) {
                int r = fs_config_data(fs_fd, data, err);
                if (r < 0)
                        return r;
        }
        if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_error(fs_fd, errno, err, "create filesystem");
        struct mount_attr a = husk_mount_attr_from_flags(flags, 0);
        int mnt_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, (unsigned int)a.attr_set);
        if (mnt_fd < 0)
                return fs_error(fs_fd, errno, err, "create mount");
        return mnt_fd;
}

bool husk_mount_proc_pidns_supported(int pidns_fd)
{
        _cleanup_close_ int fs_fd = fsopen("proc", FSOPEN_CLOEXEC);
        return fs_fd >= 0 && fsconfig(fs_fd, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) == 0;
}

bool husk_mount_destination_is(const char *destination, const char *want)
{
        const char *a = destination, *b = want;
        for (;;) {
                a += strspn(a, "/");
                b += strspn(b, "/");
                while (a[0] == '.' && (a[1] == '/' || a[1] == '\0')) {
                        a += 1;
                        a += strspn(a, "/");
                }
                size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
                if (na != nb || strncmp(a, b, na) != 0)
                        return false;
                if (na == 0)
                        return true;
                a += na;
                b += nb;
        }
}

const char *husk_mount_path_below(const char *path, const char *dir)
{
        const char *a = path, *b = dir;
        for (;;) {
                a += strspn(a, "/");
                b += strspn(b, "/");
                while (a[0] == '.' && (a[1] == '/' || a[1] == '\0'))
                        a += 1 + strspn(a + 1, "/");
                while (b[0] == '.' && (b[1] == '/' || b[1] == '\0'))
                        b += 1 + strspn(b + 1, "/");
                size_t na = strcspn(a, "/"), nb = strcspn(b, "/");
                if (nb == 0)
                        return a;
                if (na != nb || strncmp(a, b, na) != 0)
                        return NULL;
                a += na;
                b += nb;
        }
}

bool husk_mount_destination_within(const char *path, const char *dir)
{
        return husk_mount_path_below(path, dir) != NULL;
}

/* linux.mountLabel goes to the filesystems whose files the container creates, as runc does. */
static int data_with_label(const struct husk_rootfs_config *cfg, const struct husk_mount *m, char **ret)
{
        const char *label = cfg->spec->linux_.mount_label;
        *ret = NULL;
        if (!label || !*label || !m->type ||
            (strcmp(m->type, "tmpfs") != 0 && strcmp(m->type, "devpts") != 0 && strcmp(m->type, "mqueue") != 0) ||
            !husk_selinux_enabled())
                return 0;
        bool has_data = m->data && *m->data;
        if (asprintf(ret, "%s%scontext=\"%s\"", has_data ? m->data : "", has_data ? "," : "", label) < 0)
                return -ENOMEM;
        return 0;
}

/*
 * proc and sysfs are mounted only on a directory reached without any symlink (CVE-2019-19921,
 * CVE-2023-27561, CVE-2023-28642): the masked and read-only paths under them are resolved again by
 * path, so a mount point behind a symlink into a volume another container shares could be swapped
 * between the mount and the masking, leaving the real /proc unmasked elsewhere. runc refuses too.
 */
static bool needs_plain_directory(const struct husk_mount *m)
{
        return m->type && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0);
}

static int open_plain_directory(int root_fd, const char *destination, struct husk_error **err)
{
        const uint64_t flags = O_PATH | O_DIRECTORY;
        int fd = husk_path_open_in_root(root_fd, destination, flags, RESOLVE_NO_SYMLINKS, NULL);
        if (fd == -ENOENT) {
                _cleanup_close_ int made = husk_path_mkdir_all_in_root(root_fd, destination, 0755, err);
                if (made < 0)
                        return made;
                fd = husk_path_open_in_root(root_fd, destination, flags, RESOLVE_NO_SYMLINKS, NULL);
        }
        if (fd == -ELOOP)
                return husk_error_set(err, ELOOP,
                                      "`%s` is a symlink or lies behind one in the rootfs; proc and sysfs are "
                                      "mounted only on a directory reached without symlinks",
                                      destination);
        if (fd < 0)
                return husk_error_set(err, -fd, "open `%s`", destination);
        return fd;
}

static bool on_procfs(int fd)
{
        struct statfs st;
        return fd >= 0 && fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

/*
 * Nothing but a procfs covers /proc, and below it only the files lxcfs serves (CVE-2019-16884; runc's rule): the
 * masked and read-only paths would land on whatever hid the real ones. dst_fd is where the destination resolved
 * (on procfs: below a /proc mounted before, perhaps through a symlink); tree_fd, a bind's source (-1 otherwise).
 */
static int check_proc_destination(const struct husk_mount *m, int dst_fd, int tree_fd, struct husk_error **err)
{
        static const char *const lxcfs[] = {"cpuinfo",
                                            "diskstats",
                                            "meminfo",
                                            "stat",
                                            "swaps",
                                            "uptime",
                                            "loadavg",
                                            "slabinfo",
                                            "net/dev",
                                            "sys/kernel/ns_last_pid",
                                            "sys/crypto/fips_enabled"};
        const char *below = husk_mount_path_below(m->destination, "/proc");
        if (below && !*below) {
                bool proc = tree_fd < 0 ? m->type && strcmp(m->type, "proc") == 0 : on_procfs(tree_fd);
                if (proc)
                        return 0;
                return husk_error_set(err, 0,
                                      "config.json: mounts: `%s`: only a proc filesystem (or a bind of one) "
                                      "may be mounted on /proc",
                                      m->destination);
        }
        if (!below && !on_procfs(dst_fd))
                return 0;
        for (size_t i = 0; below && i < ARRAY_SIZE(lxcfs); i++)
                if (husk_mount_destination_is(below, lxcfs[i]))
                        return 0;
        return husk_error_set(err, 0,
                              "config.json: mounts: `%s` %s /proc: only the files lxcfs serves (cpuinfo, meminfo, "
                              "stat, uptime...) may be mounted there",
                              m->destination, below ? "is inside" : "resolves into");
}

/* Resolve the mount point, creating a directory, or a file when a bind source is not a directory. */
static int open_bind_destination(int root_fd, const char *destination, int tree_fd, struct husk_error **err)
{
        int fd = husk_path_open_in_root(root_fd, destination, O_PATH, 0, NULL);
        if (fd != -ENOENT)
                return fd < 0 ? husk_error_set(err, -fd, "open `%s`", destination) : fd;
        struct stat st;
        if (fstat(tree_fd, &st) < 0)
                return husk_error_set(err, errno, "stat bind source");
        if (S_ISDIR(st.st_mode))
                return husk_path_mkdir_all_in_root(root_fd, destination, 0755, err);
        return husk_path_mkfile_in_root(root_fd, destination, 0644, err);
}

/* Attach a shaped, detached bind tree onto its destination, then give it the entry's propagation. */
static int attach_bind(const struct husk_mount *m, int root_fd, int tree, const char *source, struct husk_error **err)
{
        _cleanup_close_ int dst = needs_plain_directory(m) ? open_plain_directory(root_fd, m->destination, err)
                                                           : open_bind_destination(root_fd, m->destination, tree, err);
        if (dst < 0) {
                husk_error_wrap(err, "bind mount `%s` on `%s`", source, m->destination);
                return dst;
        }
        int r = check_proc_destination(m, dst, tree, err);
        if (r < 0)
                return r;
        r = husk_mount_attach(tree, dst);
        if (r < 0) {
                /* The kernel's EINVAL says nothing of why: a directory and a file do not cover each other. */
                struct stat src_st, dst_st;
                if (fstat(tree, &src_st) == 0 && fstat(dst, &dst_st) == 0 &&
                    S_ISDIR(src_st.st_mode) != S_ISDIR(dst_st.st_mode))
                        return husk_error_set(err, 0, "bind mount `%s` on `%s`: %s", source, m->destination,
                                              S_ISDIR(src_st.st_mode) ? "a directory cannot cover a file"
                                                                      : "a file cannot cover a directory");
                return husk_error_set(err, -r, "bind mount `%s` on `%s`", source, m->destination);
        }
        if (m->propagation != HUSK_PROPAGATION_NONE) {
                r = husk_mount_setattr(tree, m->propagation_recursive, 0, 0, husk_propagation_flag(m->propagation));
                if (r < 0)
                        return husk_error_set(err, -r, "bind mount `%s` on `%s`: set propagation", source,
                                              m->destination);
        }
        return 0;
}

/*
 * In a user namespace the kernel locks the flags of the mounts it inherited: ro, nosuid, nodev and noexec
 * cannot be cleared on a bind of one, nor its atime mode changed. Such a bind keeps them, with a warning naming
 * them (runc keeps the flags silently, and refuses the atime).
 */
bool husk_mount_keep_locked_attrs(int tree, struct mount_attr *a, char kept[static HUSK_LOCKED_ATTRS_LEN])
{
        *kept = '\0';
        struct statvfs st;
        if (fstatvfs(tree, &st) < 0)
                return false;
        static const struct {
                unsigned long st;
                uint64_t attr;
                const char *name;
        } lockable[] = {{ST_RDONLY, MOUNT_ATTR_RDONLY, "ro"},
                        {ST_NOSUID, MOUNT_ATTR_NOSUID, "nosuid"},
                        {ST_NODEV, MOUNT_ATTR_NODEV, "nodev"},
                        {ST_NOEXEC, MOUNT_ATTR_NOEXEC, "noexec"}};
        for (size_t i = 0; i < ARRAY_SIZE(lockable); i++) {
                if ((st.f_flag & lockable[i].st) && (a->attr_clr & lockable[i].attr)) {
                        a->attr_clr &= ~lockable[i].attr;
                        snprintf(kept + strlen(kept), HUSK_LOCKED_ATTRS_LEN - strlen(kept), "%s%s", *kept ? ", " : "",
                                 lockable[i].name);
                }
        }
        uint64_t atime = (st.f_flag & ST_NOATIME)    ? MOUNT_ATTR_NOATIME
                         : (st.f_flag & ST_RELATIME) ? MOUNT_ATTR_RELATIME
                                                     : MOUNT_ATTR_STRICTATIME;
        if ((a->attr_clr & MOUNT_ATTR__ATIME) && (a->attr_set & MOUNT_ATTR__ATIME) != atime) {
                a->attr_clr &= ~MOUNT_ATTR__ATIME;
                a->attr_set &= ~MOUNT_ATTR__ATIME;
                snprintf(kept + strlen(kept), HUSK_LOCKED_ATTRS_LEN - strlen(kept), "%sits atime mode",
                         *kept ? ", " : "");
        }
        return *kept;
}

int husk_mount_bind(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd, const char *source,
                    bool recursive, struct husk_error **err)
{
        _cleanup_free_ char *absolute = NULL;
        if (!source)
                return husk_error_set(err, EINVAL, "bind mount on `%s`: no source", m->destination);
        if (source[0] != '/') {
                if (asprintf(&absolute, "%s/%s", cfg->bundle ? cfg->bundle : ".", source) < 0)
                        return husk_error_set(err, ENOMEM, "bind mount `%s` on `%s`", source, m->destination);
                source = absolute;
        }

        /* Shape the detached clone before it is attached: never visible with the wrong flags. */
        _cleanup_close_ int tree = husk_mount_clone_path(source, recursive);
        if (tree < 0)
                return husk_error_set(err, -tree, "bind mount `%s` on `%s`", source, m->destination);
        struct mount_attr a = husk_mount_attr_from_flags(m->flags, m->clear_flags);
        int r = 0;
        if (a.attr_set || a.attr_clr)
                r = husk_mount_setattr(tree, false, a.attr_set, a.attr_clr, 0);
        /* Retried only when the tree has one of the flags asked away, or its atime differs. */
        char kept[HUSK_LOCKED_ATTRS_LEN];
        if (r == -EPERM && husk_mount_keep_locked_attrs(tree, &a, kept)) {
                r = husk_mount_setattr(tree, false, a.attr_set, a.attr_clr, 0);
                if (r == 0)
                        husk_warn("bind mount `%s` on `%s` keeps %s of its source: the kernel locks them in a user "
                                  "namespace",
                                  source, m->destination, kept);
        }
        if (r == 0 && (m->rec_attr_set || m->rec_attr_clr))
                r = husk_mount_setattr(tree, true, m->rec_attr_set, m->rec_attr_clr, 0);
        if (r < 0)
                return husk_error_set(err, -r, "bind mount `%s` on `%s`: set mount attributes", source, m->destination);
        return attach_bind(m, root_fd, tree, source, err);
}

/*
 * An idmapped entry: the tree the runtime made on the host (idmap-mount.h), or, where this
 * process has the privileges itself (the intermediate mount namespace), one made here.
 */
static int mount_idmapped(const struct husk_rootfs_config *cfg, const struct husk_mount *m, size_t index, int root_fd,
                          struct husk_error **err)
{
        _cleanup_close_ int tree = husk_idmap_mounts_take(cfg->idmap_mounts, index);
        if (tree < 0) {
                tree = husk_idmap_mount_make(cfg->spec, index, cfg->bundle, err);
                if (tree < 0)
                        return tree;
        }
        return attach_bind(m, root_fd, tree, m->source, err);
}

/* Does the comma-separated mount data name option `key` ("mode=...")? */
static bool data_has_option(const char *data, const char *key)
{
        size_t n = strlen(key);
        for (const char *p = data; p && *p; p += strcspn(p, ","), p += *p == ',')
                if (strncmp(p, key, n) == 0)
                        return true;
        return false;
}

/*
 * A tmpfs without mode= on a directory the rootfs already has takes that directory's mode, setuid, setgid
 * and sticky bits included, as with runc (a tmpfs on an image's 0755 /run stays 0755, not tmpfs's 1777).
 * *ret is the data to mount with, or NULL to keep it; *ret_dst the directory, found here, or -1 when it is
 * still to be made (then tmpfs's own mode applies).
 */
static int tmpfs_mode_from_mountpoint(const struct husk_mount *m, int root_fd, const char *data, char **ret,
                                      int *ret_dst)
{
        *ret = NULL;
        *ret_dst = -1;
        if (!m->type || strcmp(m->type, "tmpfs") != 0 || data_has_option(data, "mode="))
                return 0;
        _cleanup_close_ int fd = husk_path_open_in_root(root_fd, m->destination, O_PATH | O_DIRECTORY, 0, NULL);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return 0;
        bool has_data = data && *data;
        if (asprintf(ret, "mode=%04o%s%s", (unsigned)(st.st_mode & 07777), has_data ? "," : "", has_data ? data : "") <
            0)
                return -ENOMEM;
        *ret_dst = TAKE_FD(fd);
        return 0;
}

int husk_mount_fs(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd, int *ret_mnt,
                  struct husk_error **err)
{
        const char *source = m->source ? m->source : m->type;
        _cleanup_free_ char *labelled = NULL, *with_mode = NULL;
        if (data_with_label(cfg, m, &labelled) < 0)
                return husk_error_set(err, ENOMEM, "mount `%s` on `%s`", source, m->destination);
        const char *data = labelled ? labelled : m->data;
        _cleanup_close_ int dst = -1;
        if (tmpfs_mode_from_mountpoint(m, root_fd, data, &with_mode, &dst) < 0)
                return husk_error_set(err, ENOMEM, "mount `%s` on `%s`", source, m->destination);
        if (with_mode)
                data = with_mode;

        if (dst < 0)
                dst = needs_plain_directory(m) ? open_plain_directory(root_fd, m->destination, err)
                                               : husk_path_mkdir_all_in_root(root_fd, m->destination, 0755, err);
        if (dst < 0) {
                husk_error_wrap(err, "mount `%s` on `%s`", source, m->destination);
                return dst;
        }
        if (check_proc_destination(m, dst, -1, err) < 0)
                return -EINVAL;

        bool proc_in_pidns = cfg->proc_in_pidns && strcmp(m->type, "proc") == 0;
        unsigned long flags = husk_mount_ro_deferred(m) ? m->flags & ~MS_RDONLY : m->flags;
        bool copyup = m->tmpcopyup && strcmp(m->type, "tmpfs") == 0;
        /* The common case is one mount(2): the kernel parses data exactly as for runc and crun. */
        if (m->propagation == HUSK_PROPAGATION_NONE && !m->rec_attr_set && !m->rec_attr_clr && !proc_in_pidns &&
            !copyup && !ret_mnt) {
                int r = husk_mount_fs_onto(source, m->type, flags, data, dst);
                if (r < 0 && data && *data)
                        return husk_error_set(err, -r, "mount `%s` on `%s` (data: %s)", source, m->destination, data);
                if (r < 0)
                        return husk_error_set(err, -r, "mount `%s` on `%s`", source, m->destination);
                return 0;
        }
        /* Attributes for the whole tree, propagation, tmpcopyup and the caller need a handle on the new mount. */
        _cleanup_close_ int mnt = husk_mount_fs_create_in(m->type, source, flags & ~OPERATION_FLAGS, data,
                                                          proc_in_pidns ? cfg->proc_pidns_fd : -1, err);
        if (mnt < 0) {
                husk_error_wrap(err, "mount `%s` on `%s`", source, m->destination);
                return mnt;
        }
        /* Filled while nothing can see it: it covers the directory only once attached. */
        if (copyup && husk_copyup(dst, mnt, err) < 0)
                return husk_error_wrap(err, "mount `%s` on `%s`", source, m->destination);
        int r = 0;
        if (m->rec_attr_set || m->rec_attr_clr)
                r = husk_mount_setattr(mnt, true, m->rec_attr_set, m->rec_attr_clr, 0);
        if (r == 0)
                r = husk_mount_attach(mnt, dst);
        if (r == 0 && m->propagation != HUSK_PROPAGATION_NONE)
                r = husk_mount_setattr(mnt, m->propagation_recursive, 0, 0, husk_propagation_flag(m->propagation));
        if (r < 0)
                return husk_error_set(err, -r, "mount `%s` on `%s`", source, m->destination);
        if (ret_mnt)
                *ret_mnt = TAKE_FD(mnt);
        return 0;
}

bool husk_mount_made_outside(const struct husk_mount *m)
{
        return m->loop || m->perform_in_intermediate_namespace;
}

bool husk_mount_ro_deferred(const struct husk_mount *m)
{
        return (m->flags & MS_RDONLY) && m->type && !m->bind && !husk_mount_made_outside(m) &&
               strcmp(m->type, "bind") != 0 &&
               (strcmp(m->type, "tmpfs") == 0 || husk_mount_destination_is(m->destination, "/dev"));
}

/*
 * run_oci: a "bind" entry without bind or rbind mounts nothing (run_oci's ConfigureMounts). It changes the
 * propagation, then the per-mount flags, of the mount already on its destination: run_oci remounts with
 * MS_REMOUNT|MS_BIND. The flags it does not name stay as they are (run_oci takes them from the host mount
 * holding the source, which for its usual empty source is the bundle's and no better a guess).
 */
static int change_mount(const struct husk_mount *m, int root_fd, struct husk_error **err)
{
        struct mount_attr a = husk_mount_attr_from_flags(m->flags, m->clear_flags);
        uint64_t propagation = husk_propagation_flag(m->propagation);
        if (!propagation && !a.attr_set && !a.attr_clr && !m->rec_attr_set && !m->rec_attr_clr) {
                husk_warn("mount on `%s`: a `bind` entry without `bind` or `rbind` only changes the mount there, "
                          "and its options change nothing",
                          m->destination);
                return 0;
        }
        _cleanup_error_ struct husk_error *open_err = NULL;
        _cleanup_close_ int fd = husk_path_open_in_root(root_fd, m->destination, O_PATH, 0, &open_err);
        int r = fd < 0 ? husk_error_code(open_err) : 0;
        if (r == -ENOENT)
                r = -EINVAL; /* no mount there either */
        else if (r < 0) {
                *err = TAKE_PTR(open_err);
                return husk_error_wrap(err, "change the mount on `%s`", m->destination);
        }
        if (r == 0 && propagation)
                r = husk_mount_setattr(fd, m->propagation_recursive, 0, 0, propagation);
        if (r == 0 && (a.attr_set || a.attr_clr))
                r = husk_mount_setattr(fd, false, a.attr_set, a.attr_clr, 0);
        if (r == 0 && (m->rec_attr_set || m->rec_attr_clr))
                r = husk_mount_setattr(fd, true, m->rec_attr_set, m->rec_attr_clr, 0);
        if (r == -EINVAL)
                return husk_error_set(err, 0,
                                      "change the mount on `%s`: no mount there (a `bind` entry without `bind` or "
                                      "`rbind` changes the mount on its destination, as with run_oci)",
                                      m->destination);
        if (r < 0)
                return husk_error_set(err, -r, "change the mount on `%s`", m->destination);
        return 0;
}

/* Does the bind source (relative: to the bundle) exist for this process, as the container's root? */
static bool bind_source_reachable(const struct husk_rootfs_config *cfg, const char *source)
{
        _cleanup_free_ char *absolute = NULL;
        if (source[0] != '/' && asprintf(&absolute, "%s/%s", cfg->bundle ? cfg->bundle : ".", source) < 0)
                return false;
        struct stat st;
        return stat(absolute ? absolute : source, &st) == 0;
}

/* spec.mounts[index]: the index finds the idmapped tree prepared for it. */
static int mount_entry(const struct husk_rootfs_config *cfg, size_t index, int root_fd, struct husk_error **err)
{
        const struct husk_mount *m = &cfg->spec->mounts[index];
        const char *type = m->type;
        if (m->change_only)
                return change_mount(m, root_fd, err);
        if (husk_mount_is_idmapped(m))
                return mount_idmapped(cfg, m, index, root_fd, err);
        if (m->bind || (type && strcmp(type, "bind") == 0)) {
                /* With a user namespace, the runtime made a tree of the source on the host where it could
                 * (idmap-mount.h), for a source the container's root cannot reach. Any other is bound here: a
                 * bind of a mount this namespace inherited keeps what the kernel locks on it (flags, submounts),
                 * which a tree made on the host lacks (upstream runc's rule). */
                _cleanup_close_ int tree = husk_idmap_mounts_take(cfg->idmap_mounts, index);
                if (tree >= 0 && !bind_source_reachable(cfg, m->source))
                        return attach_bind(m, root_fd, tree, m->source, err);
                return husk_mount_bind(cfg, m, root_fd, m->source, m->recursive, err);
        }
        if (!type)
                return husk_error_set(err, EINVAL, "mount on `%s`: no type and no bind option", m->destination);
        /* sysfs belongs to the network namespace: without our own, a user namespace may only bind the host's. */
        if (strcmp(type, "sysfs") == 0 && cfg->in_userns && !cfg->new_netns) {
                /* The host's submounts (cgroups, securityfs, debugfs...) come along: the flags go to all of them. */
                struct husk_mount whole = *m;
                struct mount_attr a = husk_mount_attr_from_flags(m->flags, 0);
                whole.rec_attr_set |=
                    a.attr_set & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
                return husk_mount_bind(cfg, &whole, root_fd, "/sys", true, err);
        }
        if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0)
                return husk_mount_cgroup(cfg, m, root_fd, err);
        int *held = cfg->ro_deferred_fds && husk_mount_ro_deferred(m) ? &cfg->ro_deferred_fds[index] : NULL;
        /* A tmpfs takes the mode of a directory the rootfs has (tmpfs_mode_from_mountpoint), not that of one made
         * for it on the host for a user namespace: there it keeps tmpfs's own 1777, as without a user namespace. */
        if (cfg->mount_points_made && cfg->mount_points_made[index] && strcmp(type, "tmpfs") == 0 &&
            !data_has_option(m->data, "mode=")) {
                _cleanup_free_ char *data = NULL;
                bool more = m->data && *m->data;
                if (asprintf(&data, "mode=1777%s%s", more ? "," : "", more ? m->data : "") < 0)
                        return husk_error_set(err, ENOMEM, "mount `%s` on `%s`", type, m->destination);
                struct husk_mount own_mode = *m;
                own_mode.data = data;
                return husk_mount_fs(cfg, &own_mode, root_fd, held, err);
        }
        return husk_mount_fs(cfg, m, root_fd, held, err);
}

static int mount_one(const struct husk_rootfs_config *cfg, size_t index, int root_fd, struct husk_error **err)
{
        const struct husk_mount *m = &cfg->spec->mounts[index];
        /* husk_intermediate_mounts_apply takes these out of the spec; one left here was never made. */
        if (husk_mount_made_outside(m))
                return husk_error_set(err, EOPNOTSUPP,
                                      "mount on `%s`: %s mounts are made outside the container's mount namespace, "
                                      "which only husk's run_oci mode does",
                                      m->destination, m->loop ? "loop" : "performInIntermediateNamespace");
        return mount_entry(cfg, index, root_fd, err);
}

int husk_mounts_apply(const struct husk_rootfs_config *cfg, int root_fd, struct husk_error **err)
{
        const struct husk_spec *spec = cfg->spec;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                husk_debug("mount %s on %s", m->source ? m->source : m->type ? m->type : "?", m->destination);
                int r = mount_one(cfg, i, root_fd, err);
                if (r < 0)
                        return r;
        }
        /* A tree not taken (there is none unless an entry was skipped) must not stay open: it would be
         * a host directory at /proc/self/fd/N for the container's process (CVE-2024-21626). */
        for (size_t i = 0; i < spec->mounts_len; i++) {
                int tree = husk_idmap_mounts_take(cfg->idmap_mounts, i);
                if (tree >= 0)
                        close(tree);
        }
        return 0;
}

/* ---- run_oci: mounts made in an intermediate mount namespace (intermediate.h) ---- */

struct husk_intermediate_mounts {
        int *fds;                  /* O_PATH fd of each mount made, in order */
        const char **destinations; /* for messages: the destination of each */
        size_t len;
        struct husk_spec *taken;   /* owns the entries taken out of spec.mounts */
};

bool husk_intermediate_mounts_needed(const struct husk_spec *spec)
{
        for (size_t i = 0; i < spec->mounts_len; i++)
                if (husk_mount_made_outside(&spec->mounts[i]))
                        return true;
        return false;
}

/* Attach the image (relative: to the bundle) to a loop device and mount the device in its place. */
static int mount_loop(const struct husk_rootfs_config *cfg, const struct husk_mount *m, int root_fd,
                      struct husk_error **err)
{
        if (m->bind || !m->type || strcmp(m->type, "bind") == 0)
                return husk_error_set(err, EINVAL, "loop mount on `%s`: needs a filesystem type, not a bind",
                                      m->destination);
        if (!m->source)
                return husk_error_set(err, EINVAL, "loop mount on `%s`: no source image", m->destination);
        _cleanup_free_ char *absolute = NULL;
        const char *image = m->source;
        if (image[0] != '/') {
                if (asprintf(&absolute, "%s/%s", cfg->bundle, image) < 0)
                        return husk_error_set(err, ENOMEM, "loop mount `%s` on `%s`", image, m->destination);
                image = absolute;
        }
        bool read_only = (m->flags & MS_RDONLY) != 0;
        _cleanup_close_ int image_fd = open(image, (read_only ? O_RDONLY : O_RDWR) | O_NOCTTY | O_CLOEXEC);
        if (image_fd < 0)
                return husk_error_set(err, errno, "loop mount `%s` on `%s`: open the image", image, m->destination);
        _cleanup_free_ char *device = NULL;
        /* Closed on return: from then on the mount is the device's only holder, and autoclear frees the
         * device with the last copy of the mount, or at once when the mount failed. */
        _cleanup_close_ int loop_fd = husk_loop_attach(image_fd, image, read_only, &device, err);
        if (loop_fd < 0) {
                husk_error_wrap(err, "loop mount `%s` on `%s`", image, m->destination);
                return loop_fd;
        }
        husk_debug("loop mount %s (%s) on %s", image, device, m->destination);
        struct husk_mount on_device = *m;
        on_device.source = device;
        int r = husk_mount_fs(cfg, &on_device, root_fd, NULL, err);
        if (r < 0)
                husk_error_wrap(err, "loop image `%s`", image);
        return r;
}

static void unmount_made(struct husk_intermediate_mounts *im)
{
        for (size_t i = im->len; i-- > 0;) {
                char path[32];
                snprintf(path, sizeof(path), "/proc/self/fd/%d", im->fds[i]);
                /* Through the fd of the mount itself: the container may have moved things around in the rootfs. */
                if (umount2(path, MNT_DETACH) < 0)
                        husk_warn("unmount `%s` in the intermediate mount namespace: %s", im->destinations[i],
                                  strerror(errno));
                close(im->fds[i]);
        }
        im->len = 0;
}

/*
 * run_oci's container root is a bind mount of the rootfs (libcontainer's runfs), which an entry that changes
 * the mount on "/" changes. husk's init binds the rootfs only in the container's namespace: bind it here too
 * (with what is mounted below it), so that the change has a mount to act on and the init's bind copies it.
 */
static int bind_rootfs_onto_itself(const char *rootfs, int *root_fd, struct husk_intermediate_mounts *im,
                                   struct husk_error **err)
{
        _cleanup_close_ int tree = husk_mount_clone_path(rootfs, true);
        int r = tree < 0 ? tree : husk_mount_attach(tree, *root_fd);
        if (r < 0)
                return husk_error_set(err, -r, "bind the rootfs `%s` onto itself", rootfs);
        int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "open rootfs `%s`", rootfs);
        closep(root_fd);
        *root_fd = fd;
        fd = fcntl(*root_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return husk_error_set(err, errno, "open rootfs `%s`", rootfs);
        im->fds[im->len] = fd;
        im->destinations[im->len++] = "/";
        return 0;
}

static int make_outside_mounts(const struct husk_rootfs_config *cfg, int *root_fd, struct husk_intermediate_mounts *im,
                               struct husk_error **err)
{
        const struct husk_spec *spec = cfg->spec;
        bool rootfs_bound = false;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                if (!husk_mount_made_outside(m))
                        continue;
                husk_debug("mount %s on %s in the intermediate mount namespace", m->source ? m->source : "?",
                           m->destination);
                if (m->change_only && !rootfs_bound) {
                        int r = bind_rootfs_onto_itself(cfg->rootfs, root_fd, im, err);
                        if (r < 0)
                                return husk_error_wrap(err, "intermediate mount namespace");
                        rootfs_bound = true;
                }
                int r = m->loop ? mount_loop(cfg, m, *root_fd, err) : mount_entry(cfg, i, *root_fd, err);
                if (r < 0)
                        return husk_error_wrap(err, "intermediate mount namespace");
                if (m->change_only)
                        continue; /* nothing of its own to unmount */
                int fd = husk_path_open_in_root(*root_fd, m->destination, O_PATH, 0, err);
                if (fd < 0)
                        return husk_error_wrap(err, "intermediate mount namespace: open the mount on `%s`",
                                               m->destination);
                im->fds[im->len] = fd;
                im->destinations[im->len++] = m->destination;
        }
        return 0;
}

int husk_intermediate_mounts_apply(struct husk_spec *spec, const char *bundle, struct husk_intermediate_mounts **ret,
                                   struct husk_error **err)
{
        if (!spec->root.path)
                return husk_error_set(err, 0, "config.json: root.path: required");
        _cleanup_free_ char *joined = NULL;
        if (spec->root.path[0] != '/' && asprintf(&joined, "%s/%s", bundle, spec->root.path) < 0)
                return husk_error_set(err, ENOMEM, "root.path");
        _cleanup_free_ char *rootfs = realpath(joined ? joined : spec->root.path, NULL);
        if (!rootfs)
                return husk_error_set(err, errno, "config.json: root.path: `%s`", joined ? joined : spec->root.path);

        _cleanup_(husk_intermediate_mounts_freep) struct husk_intermediate_mounts *im = calloc(1, sizeof(*im));
        /* One more than the entries: the rootfs bound onto itself (bind_rootfs_onto_itself). */
        if (!im || !(im->fds = calloc(spec->mounts_len + 1, sizeof(*im->fds))) ||
            !(im->destinations = calloc(spec->mounts_len + 1, sizeof(*im->destinations))) ||
            !(im->taken = calloc(1, sizeof(*im->taken))) ||
            !(im->taken->mounts = calloc(spec->mounts_len, sizeof(*im->taken->mounts))))
                return husk_error_set(err, ENOMEM, "intermediate mount namespace");

        if (unshare(CLONE_NEWNS) < 0)
                return husk_error_set(err, errno,
                                      errno == EPERM ? "create the intermediate mount namespace: loop and "
                                                       "performInIntermediateNamespace mounts need CAP_SYS_ADMIN"
                                                     : "create the intermediate mount namespace");
        /* As run_oci: "/" gets linux.rootfsPropagation; runc's default otherwise, so nothing reaches the host. */
        unsigned long propagation = MS_SLAVE | MS_REC;
        if (spec->linux_.has_rootfs_propagation && husk_propagation_flag(spec->linux_.rootfs_propagation))
                propagation = husk_propagation_flag(spec->linux_.rootfs_propagation) |
                              (spec->linux_.rootfs_propagation_recursive ? MS_REC : 0);
        if (mount(NULL, "/", NULL, propagation, NULL) < 0)
                return husk_error_set(err, errno, "intermediate mount namespace: set propagation of `/`");
        _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return husk_error_set(err, errno, "open rootfs `%s`", rootfs);

        struct husk_rootfs_config cfg = {.spec = spec, .rootfs = rootfs, .bundle = bundle};
        int r = make_outside_mounts(&cfg, &root_fd, im, err);
        if (r < 0) {
                unmount_made(im);
                return r;
        }
        /* Hand the entries made here to im, in order; the init sees only the rest. */
        size_t kept = 0;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                if (husk_mount_made_outside(&spec->mounts[i]))
                        im->taken->mounts[im->taken->mounts_len++] = spec->mounts[i];
                else
                        spec->mounts[kept++] = spec->mounts[i];
        }
        spec->mounts_len = kept; /* the destination strings in im stay valid: im->taken owns them now */
        *ret = TAKE_PTR(im);
        return 0;
}

void husk_intermediate_mounts_unmount(struct husk_intermediate_mounts *im)
{
        if (im)
                unmount_made(im);
}

void husk_intermediate_mounts_free(struct husk_intermediate_mounts *im)
{
        if (!im)
                return;
        for (size_t i = 0; i < im->len; i++)
                close(im->fds[i]);
        free(im->fds);
        free(im->destinations);
        husk_spec_free(im->taken);
        free(im);
}

void husk_intermediate_mounts_freep(struct husk_intermediate_mounts **im)
{
        husk_intermediate_mounts_free(*im);
        *im = NULL;
}
