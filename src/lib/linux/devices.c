/* /dev in the container: the default nodes, linux.devices, the standard links and /dev/console. */
#include "linux/rootfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/path.h"

/* The devices every container gets (runtime-spec "Default Devices"). */
static const struct husk_device default_devices[] = {
    {.type = 'c', .path = (char *)"/dev/null", .major = 1, .minor = 3},
    {.type = 'c', .path = (char *)"/dev/zero", .major = 1, .minor = 5},
    {.type = 'c', .path = (char *)"/dev/full", .major = 1, .minor = 7},
    {.type = 'c', .path = (char *)"/dev/random", .major = 1, .minor = 8},
    {.type = 'c', .path = (char *)"/dev/urandom", .major = 1, .minor = 9},
    {.type = 'c', .path = (char *)"/dev/tty", .major = 5, .minor = 0},
};

#define PTMX_TARGET "pts/ptmx"

static const struct {
        const char *name;
        const char *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

/*
 * The object named `name` in dir_fd to bind onto: a file or node already there (which the
 * runtime may have made for a mapped root that cannot create it in the rootfs's /dev), or a new
 * empty file. A symlink or socket is replaced (never mount onto what a link names); a directory
 * fails with EISDIR.
 */
static int make_bind_target(int dir_fd, const char *name)
{
        for (int attempt = 0; attempt < 2; attempt++) {
                int fd = openat(dir_fd, name, O_CREAT | O_EXCL | O_RDONLY | O_NOCTTY | O_CLOEXEC, 0600);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return -errno;
                /* O_PATH: a node is not opened; NOFOLLOW and the type check on the fd: a link is not mounted on. */
                fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) == 0 &&
                    (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)))
                        return fd;
                if (fd >= 0)
                        close(fd);
                if (unlinkat(dir_fd, name, 0) < 0)
                        return -errno;
        }
        return -EEXIST;
}

/* Bind host_path onto dir_fd/name; a non-zero `kind` insists the host node is that device. */
static int bind_device(int dir_fd, const char *name, const char *host_path, mode_t kind, dev_t dev)
{
        _cleanup_close_ int tree = husk_mount_clone_path(host_path, false);
        if (tree < 0)
                return tree;
        struct stat st;
        if (fstat(tree, &st) < 0)
                return -errno;
        /* A host whose node was replaced (a stray `> /dev/null` as root) must not hand its file over. */
        if (kind ? ((st.st_mode & S_IFMT) != kind || (kind != S_IFIFO && st.st_rdev != dev)) : !S_ISCHR(st.st_mode))
                return -ENODEV;
        _cleanup_close_ int dst = make_bind_target(dir_fd, name);
        if (dst < 0)
                return dst;
        return husk_mount_attach(tree, dst);
}

/* mknod, keeping an identical node that is already there; anything else is replaced, or with
 * !replace is -EEXIST. */
static int make_node(int dir_fd, const char *name, mode_t mode, dev_t dev, bool replace)
{
        if (mknodat(dir_fd, name, mode, dev) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if ((st.st_mode & S_IFMT) == (mode & S_IFMT) && st.st_rdev == dev)
                /* NOFOLLOW: the name may have become a symlink to a host file since the fstatat (CVE-2025-31133). */
                return fchmodat(dir_fd, name, mode & 07777, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        if (!replace)
                return -EEXIST;
        if (unlinkat(dir_fd, name, 0) < 0 || mknodat(dir_fd, name, mode, dev) < 0)
                return -errno;
        return 0;
}

static int create_device(const struct husk_device *d, int dir_fd, const char *name, bool bind, bool replace)
{
        mode_t kind = husk_device_kind(d->type);
        mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
        dev_t dev = kind == S_IFIFO ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
        int r = bind ? -EPERM : make_node(dir_fd, name, kind | perm, dev, replace);
        if (r == -EPERM) /* a user namespace, or no CAP_MKNOD: the host's node is the next best thing */
                return bind_device(dir_fd, name, d->path, kind, dev);
        if (r < 0)
                return r;
        if ((d->has_uid || d->has_gid) && fchownat(dir_fd, name, d->has_uid ? d->uid : (uid_t)-1,
                                                   d->has_gid ? d->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

/* "null" for "/dev/null": a device directly in /dev, whose directory fd we already hold. */
static const char *dev_child_name(const char *path)
{
        if (strncmp(path, "/dev/", 5) != 0)
                return NULL;
        const char *name = path + 5;
        if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return NULL;
        return name;
}

static bool device_in_spec(const struct husk_spec *spec, const char *path)
{
        for (size_t i = 0; i < spec->linux_.devices_len; i++)
                if (husk_mount_destination_is(spec->linux_.devices[i].path, path))
                        return true;
        return false;
}

/* runc's rule: /dev is ours to populate unless the config binds a directory there. */
static bool dev_is_bind_mounted(const struct husk_spec *spec)
{
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                if ((m->bind || (m->type && strcmp(m->type, "bind") == 0)) &&
                    husk_mount_destination_is(m->destination, "/dev"))
                        return true;
        }
        return false;
}

static int setup_nodes(const struct husk_rootfs_config *cfg, int root_fd, int dev_fd, struct husk_error **err)
{
        const struct husk_spec *spec = cfg->spec;
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                const struct husk_device *d = &default_devices[i];
                if (device_in_spec(spec, d->path))
                        continue;
                int r = create_device(d, dev_fd, dev_child_name(d->path), cfg->in_userns, true);
                if (r < 0)
                        return husk_error_set(err, -r, "create device `%s`", d->path);
        }
        for (size_t i = 0; i < spec->linux_.devices_len; i++) {
                const struct husk_device *d = &spec->linux_.devices[i];
                const char *name = dev_child_name(d->path);
                _cleanup_free_ char *other_name = NULL;
                _cleanup_close_ int other_dir = -1;
                if (!name) {
                        other_dir = husk_path_open_parent_in_root(root_fd, d->path, &other_name, err);
                        if (other_dir < 0) {
                                husk_error_wrap(err, "create device `%s`", d->path);
                                return other_dir;
                        }
                        name = other_name;
                }
                /* config-linux.md: "If a file already exists at path that does not match the requested
                 * device, the runtime MUST generate an error." */
                int r = create_device(d, other_dir >= 0 ? other_dir : dev_fd, name, cfg->in_userns, false);
                if (r == -EEXIST)
                        return husk_error_set(err, 0, "linux.devices[%zu]: `%s` already exists and is not that device",
                                              i, d->path);
                if (r < 0)
                        return husk_error_set(err, -r, "create device `%s`", d->path);
        }
        return 0;
}

/* Is `name` in dir_fd the symlink to `target`? */
static bool is_link_to(int dir_fd, const char *name, const char *target)
{
        char buf[64];
        ssize_t n = readlinkat(dir_fd, name, buf, sizeof(buf));
        return n >= 0 && (size_t)n == strlen(target) && memcmp(buf, target, (size_t)n) == 0;
}

static int setup_links(int dev_fd, struct husk_error **err)
{
        /* /dev/ptmx must be the devpts instance's own multiplexer, whatever the image has there. Kept when
         * it is already (the runtime makes it for a mapped root, which may not replace it). On a fresh
         * /dev tmpfs the first symlinkat is all. */
        if (symlinkat(PTMX_TARGET, dev_fd, "ptmx") < 0) {
                if (errno != EEXIST)
                        return husk_error_set(err, errno, "create symlink `/dev/ptmx`");
                if (!is_link_to(dev_fd, "ptmx", PTMX_TARGET)) {
                        if (unlinkat(dev_fd, "ptmx", 0) < 0 && errno != ENOENT)
                                return husk_error_set(err, errno, "remove `/dev/ptmx`");
                        if (symlinkat(PTMX_TARGET, dev_fd, "ptmx") < 0)
                                return husk_error_set(err, errno, "create symlink `/dev/ptmx`");
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
                if (symlinkat(dev_links[i].target, dev_fd, dev_links[i].name) < 0 && errno != EEXIST)
                        return husk_error_set(err, errno, "create symlink `/dev/%s`", dev_links[i].name);
        return 0;
}

static int setup_console(const char *console_path, int dev_fd, struct husk_error **err)
{
        int r = bind_device(dev_fd, "console", console_path, 0, 0);
        if (r < 0)
                return husk_error_set(err, -r, "bind `%s` on `/dev/console`", console_path);
        return 0;
}

int husk_devices_setup(const struct husk_rootfs_config *cfg, int root_fd, struct husk_error **err)
{
        bool populate = !dev_is_bind_mounted(cfg->spec);
        if (!populate && !cfg->console_path)
                return 0;
        _cleanup_close_ int dev_fd = husk_path_mkdir_all_in_root(root_fd, "/dev", 0755, err);
        if (dev_fd < 0)
                return dev_fd;
        if (populate) {
                /* Modes are the config's, not filtered by our umask. */
                mode_t saved = umask(0);
                int r = setup_nodes(cfg, root_fd, dev_fd, err);
                umask(saved);
                if (r < 0)
                        return r;
                r = setup_links(dev_fd, err);
                if (r < 0)
                        return r;
        }
        return cfg->console_path ? setup_console(cfg->console_path, dev_fd, err) : 0;
}

/* ---- made by the runtime on the host, for a mapped root (rootfs-internal.h) ---- */

/* The link /dev/`name` -> target for the mapped root; `replace`: whatever else is there goes. */
static void make_link_for_mapped_root(struct husk_mapped_root *mr, int dev_fd, const char *name, const char *target,
                                      bool replace)
{
        struct stat st;
        if (fstatat(dev_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!replace || is_link_to(dev_fd, name, target))
                        return;
        } else if (errno != ENOENT) {
                return;
        }
        uid_t uid;
        gid_t gid;
        if (!husk_mapped_root_ids(mr, &uid, &gid))
                return;
        /* unlinkat without AT_REMOVEDIR leaves a directory alone: the init then names it. */
        if ((replace && unlinkat(dev_fd, name, 0) < 0 && errno != ENOENT) || symlinkat(target, dev_fd, name) < 0) {
                husk_debug("symlink `/dev/%s` not made on the host for the container's root: %s", name,
                           strerror(errno));
                return;
        }
        if (fchownat(dev_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
                husk_debug("symlink `/dev/%s`: give it to %u:%u: %s", name, uid, gid, strerror(errno));
                unlinkat(dev_fd, name, 0);
        }
}

void husk_devices_prepare_host(const struct husk_spec *spec, int root_fd, struct husk_mapped_root *mr)
{
        /* A /dev that is a mount of the host's own in the rootfs (the host's devtmpfs, for a rootfs that is the
         * host's "/") is not the image's: the runtime, as the host's root, would change it for everyone. */
        if (!husk_mapped_root_on_rootfs(root_fd, "/dev"))
                return;
        /* Under a mount (a tmpfs or a bind on /dev), the init makes them in that filesystem, or not at all. */
        size_t n = spec->mounts_len;
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                const char *path = default_devices[i].path;
                if (!device_in_spec(spec, path) && !husk_mounts_cover(spec, n, path))
                        husk_mapped_root_make(mr, root_fd, path, true, 0600, "device");
        }
        for (size_t i = 0; i < spec->linux_.devices_len; i++) {
                const char *path = spec->linux_.devices[i].path;
                if (!husk_mounts_cover(spec, n, path))
                        husk_mapped_root_make(mr, root_fd, path, true, 0600, "device");
        }
        if (husk_mounts_cover(spec, n, "/dev"))
                return;
        /* terminal.c binds the pty there after pivot_root. */
        if (spec->has_process && spec->process.terminal)
                husk_mapped_root_make(mr, root_fd, "/dev/console", true, 0600, "device");
        _cleanup_close_ int dev_fd = husk_path_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, NULL);
        if (dev_fd < 0)
                return;
        make_link_for_mapped_root(mr, dev_fd, "ptmx", PTMX_TARGET, true);
        for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
                make_link_for_mapped_root(mr, dev_fd, dev_links[i].name, dev_links[i].target, false);
}
