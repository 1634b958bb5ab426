/* Idmapped mounts, and the binds of a container with a user namespace: the detached trees the runtime makes on the
 * host for the init to attach (idmap-mount.h). */
#include "linux/idmap-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "linux/mount-lock.h"
#include "linux/rootfs-internal.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/syscalls.h"

struct husk_idmap_mounts {
        int *trees; /* per index of spec.mounts: the tree, -1 for entries not made here (or taken) */
        size_t len;
        int *open; /* the fds still in trees, ascending */
        size_t open_len;
};

struct userns_entry {
        const struct husk_id_mappings *uids, *gids; /* NULL, NULL: the joined user namespace */
        int fd;
        bool owned; /* made or opened here, closed with the cache */
};

/* User namespaces made or opened while preparing, one per distinct mapping (all mounts usually share one). */
struct userns_cache {
        struct userns_entry *items;
        size_t len;
};

static void userns_cache_clear(struct userns_cache *c)
{
        for (size_t i = 0; i < c->len; i++)
                if (c->items[i].owned)
                        close(c->items[i].fd);
        free(c->items);
        *c = (struct userns_cache){0};
}

bool husk_mount_is_idmapped(const struct husk_mount *m)
{
        return m->idmap || m->uid_mappings.len || m->gid_mappings.len;
}

static bool is_bind(const struct husk_mount *m)
{
        return m->bind || (m->type && strcmp(m->type, "bind") == 0);
}

/*
 * A plain bind of a container with a user namespace, whose source the runtime opens: the container's root is a
 * host id that a source such as a 0700 directory of the host's root may not let in (upstream runc opens those on
 * the host too). The init binds the source itself where it can (mounts.c). Not a source inside the rootfs: what
 * earlier entries mount there is only in the container's view.
 */
static bool bind_opened_on_host(const struct husk_spec *spec, const struct husk_mount *m, const char *rootfs)
{
        if (!husk_spec_namespace(spec, HUSK_NS_USER) || !is_bind(m) || husk_mount_is_idmapped(m) ||
            husk_mount_made_outside(m) || !m->source)
                return false;
        return m->source[0] != '/' || !rootfs || !husk_mount_destination_within(m->source, rootfs);
}

/* Everything that can be said about an entry without touching the system; messages name the entry. */
static int check_entry(const struct husk_spec *spec, size_t index, struct husk_error **err)
{
        const struct husk_mount *m = &spec->mounts[index];
        if (!is_bind(m))
                return husk_error_set(err, 0,
                                      "config.json: mounts[%zu] (`%s`): only bind mounts can be idmapped: add `bind` "
                                      "or `rbind` to its options, or remove `idmap`, `ridmap` and the mappings",
                                      index, m->destination);
        if (!m->source)
                return husk_error_set(err, 0, "config.json: mounts[%zu] (`%s`): an idmapped bind mount needs a source",
                                      index, m->destination);
        if (geteuid() != 0)
                return husk_error_set(err, EPERM,
                                      "config.json: mounts[%zu] (`%s`): idmapped mounts need husk to run as root: "
                                      "the kernel wants CAP_SYS_ADMIN over the filesystem of the source",
                                      index, m->destination);
        if (!m->uid_mappings.len != !m->gid_mappings.len)
                return husk_error_set(err, 0,
                                      "config.json: mounts[%zu] (`%s`): uidMappings and gidMappings: give both, or "
                                      "neither to use the container's user namespace mappings",
                                      index, m->destination);
        if (m->uid_mappings.len) {
                _cleanup_free_ char *uids = NULL, *gids = NULL;
                if (asprintf(&uids, "config.json: mounts[%zu] (`%s`): uidMappings", index, m->destination) < 0 ||
                    asprintf(&gids, "config.json: mounts[%zu] (`%s`): gidMappings", index, m->destination) < 0)
                        return husk_error_set(err, ENOMEM, "config.json: mounts[%zu]", index);
                int r = husk_userns_check_mappings(&m->uid_mappings, uids, err);
                return r < 0 ? r : husk_userns_check_mappings(&m->gid_mappings, gids, err);
        }
        const struct husk_namespace *userns = husk_spec_namespace(spec, HUSK_NS_USER);
        if (!userns)
                return husk_error_set(err, 0,
                                      "config.json: mounts[%zu] (`%s`): `%s` without uidMappings and gidMappings uses "
                                      "the container's user namespace mappings, but linux.namespaces has no user "
                                      "namespace: give the mount its mappings",
                                      index, m->destination, m->idmap_recursive ? "ridmap" : "idmap");
        if (!userns->path && (!spec->linux_.uid_mappings.len || !spec->linux_.gid_mappings.len))
                return husk_error_set(err, 0,
                                      "config.json: mounts[%zu] (`%s`): `%s` without mappings of its own uses "
                                      "linux.uidMappings and linux.gidMappings, which are missing",
                                      index, m->destination, m->idmap_recursive ? "ridmap" : "idmap");
        return 0;
}

/* A user namespace holding these maps, as an fd: made by a child that exits once it is open. */
static int userns_with_maps(const struct husk_id_mappings *uids, const struct husk_id_mappings *gids,
                            struct husk_error **err)
{
        struct husk_userns_child child;
        int r = husk_userns_child_start(-1, &child, err);
        if (r == 0)
                r = husk_userns_write_map(child.pid, "uid_map", uids, err);
        if (r == 0)
                r = husk_userns_write_map(child.pid, "gid_map", gids, err);
        int ns = -1;
        if (r == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/user", child.pid);
                ns = open(path, O_RDONLY | O_CLOEXEC);
                if (ns < 0)
                        r = husk_error_set(err, errno, "open `%s`", path);
        }
        husk_userns_child_stop(&child);
        return r < 0 ? husk_error_wrap(err, "create a user namespace for the mappings") : ns;
}

static bool same_mappings(const struct husk_id_mappings *a, const struct husk_id_mappings *b)
{
        return a->len == b->len && memcmp(a->items, b->items, a->len * sizeof(*a->items)) == 0;
}

/* The user namespace whose mappings idmap spec.mounts[index]; owned by the cache. */
static int userns_for(const struct husk_spec *spec, size_t index, int joined_userns_fd, struct userns_cache *cache,
                      struct husk_error **err)
{
        const struct husk_mount *m = &spec->mounts[index];
        const struct husk_id_mappings *uids = &m->uid_mappings, *gids = &m->gid_mappings;
        const struct husk_namespace *userns = husk_spec_namespace(spec, HUSK_NS_USER);
        if (!uids->len && userns && userns->path) {
                uids = gids = NULL;
        } else if (!uids->len) {
                uids = &spec->linux_.uid_mappings;
                gids = &spec->linux_.gid_mappings;
        }
        for (size_t i = 0; i < cache->len; i++) {
                const struct userns_entry *e = &cache->items[i];
                if (!uids ? !e->uids : e->uids && same_mappings(e->uids, uids) && same_mappings(e->gids, gids))
                        return e->fd;
        }
        int fd;
        bool owned = true;
        if (!uids && joined_userns_fd >= 0) {
                fd = joined_userns_fd;
                owned = false;
        } else if (!uids) {
                fd = open(userns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return husk_error_set(err, errno, "idmapped mount on `%s`: open the user namespace `%s`",
                                              m->destination, userns->path);
        } else {
                fd = userns_with_maps(uids, gids, err);
                if (fd < 0)
                        return husk_error_wrap(err, "idmapped mount on `%s`", m->destination);
        }
        struct userns_entry *items = realloc(cache->items, (cache->len + 1) * sizeof(*items));
        if (!items) {
                if (owned)
                        close(fd);
                return husk_error_set(err, ENOMEM, "idmapped mount on `%s`", m->destination);
        }
        cache->items = items;
        cache->items[cache->len++] = (struct userns_entry){uids, gids, fd, owned};
        return fd;
}

static int idmap_error(int errnum, const struct husk_mount *m, const char *source, struct husk_error **err)
{
        const char *why = "";
        if (errnum == EINVAL)
                why = m->idmap_recursive ? ": the filesystem of the source, or of a mount under it (`ridmap`), does "
                                           "not support idmapped mounts"
                                         : ": the filesystem of the source does not support idmapped mounts";
        else if (errnum == EPERM)
                why = ": husk needs CAP_SYS_ADMIN over the filesystem of the source (root in the host's user "
                      "namespace), and the source must not be idmapped already";
        return husk_error_set(err, errnum, "idmapped bind mount `%s` on `%s`%s", source, m->destination, why);
}

/* What linux.rootfsPropagation gives the container's own binds; by default they are slaves of the host's. */
static unsigned long tree_propagation(const struct husk_spec *spec)
{
        unsigned long flag = 0;
        if (spec->linux_.has_rootfs_propagation)
                flag = husk_propagation_flag(spec->linux_.rootfs_propagation);
        return flag ? flag : MS_SLAVE;
}

/*
 * Clone the source, idmap it (userns_fd >= 0) and shape it as husk_mount_bind would, all detached: nothing is
 * visible yet.
 */
static int make_tree(const struct husk_spec *spec, size_t index, const char *bundle, int userns_fd, bool locked_later,
                     struct husk_error **err)
{
        const struct husk_mount *m = &spec->mounts[index];
        const char *what = userns_fd >= 0 ? "idmapped bind mount" : "bind mount";
        _cleanup_free_ char *absolute = NULL;
        const char *source = m->source;
        if (source[0] != '/') {
                if (asprintf(&absolute, "%s/%s", bundle ? bundle : ".", source) < 0)
                        return husk_error_set(err, ENOMEM, "%s `%s` on `%s`", what, source, m->destination);
                source = absolute;
        }
        _cleanup_close_ int tree = husk_mount_clone_path(source, m->recursive);
        if (tree < 0)
                return husk_error_set(err, -tree, "%s `%s` on `%s`", what, source, m->destination);
        struct mount_attr idmap = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
        if (userns_fd >= 0 &&
            mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &idmap, sizeof(idmap)) < 0)
                return idmap_error(errno, m, source, err);
        struct mount_attr a = husk_mount_attr_from_flags(m->flags, m->clear_flags);
        /* Made here, the tree has none of the locks the kernel gives a mount a user namespace inherits: it keeps
         * what they would. A plain bind's tree may go unused: the init warns when it binds the source itself. */
        bool userns = husk_spec_namespace(spec, HUSK_NS_USER);
        char kept[HUSK_LOCKED_ATTRS_LEN];
        if (userns && husk_mount_keep_locked_attrs(tree, &a, kept) && userns_fd >= 0)
                husk_warn("%s `%s` on `%s` keeps %s of its source: the kernel locks them in a user namespace", what,
                          source, m->destination, kept);
        int r = 0;
        if (a.attr_set || a.attr_clr)
                r = husk_mount_setattr(tree, false, a.attr_set, a.attr_clr, 0);
        if (r == 0 && (m->rec_attr_set || m->rec_attr_clr))
                r = husk_mount_setattr(tree, true, m->rec_attr_set, m->rec_attr_clr, 0);
        if (r < 0)
                return husk_error_set(err, -r, "%s `%s` on `%s`: set mount attributes", what, source, m->destination);
        /* A clone of a shared host mount joins its peer group: without this, what the container mounts
         * under it would appear on the host. A container with a user namespace never shares the host's group
         * (the kernel makes what it inherits slaves): a shared tree is a slave of the host's first. Trees locked
         * later get theirs there (husk_mount_trees_lock), as slaves already. */
        unsigned long propagation = tree_propagation(spec);
        if (!locked_later && userns && propagation == MS_SHARED)
                r = husk_mount_setattr(tree, true, 0, 0, MS_SLAVE);
        if (!locked_later && r == 0)
                r = husk_mount_setattr(tree, true, 0, 0, propagation);
        if (r < 0)
                return husk_error_set(err, -r, "%s `%s` on `%s`: set propagation", what, source, m->destination);
        husk_debug("%s %s for %s, made on the host", what, source, m->destination);
        return TAKE_FD(tree);
}

int husk_idmap_mount_make(const struct husk_spec *spec, size_t index, const char *bundle, struct husk_error **err)
{
        int r = check_entry(spec, index, err);
        if (r < 0)
                return r;
        struct userns_cache cache = {0};
        int userns = userns_for(spec, index, -1, &cache, err);
        int tree = userns < 0 ? userns : make_tree(spec, index, bundle, userns, false, err);
        userns_cache_clear(&cache);
        return tree;
}

static void insert_sorted(struct husk_idmap_mounts *set, int fd)
{
        size_t i = set->open_len++;
        for (; i > 0 && set->open[i - 1] > fd; i--)
                set->open[i] = set->open[i - 1];
        set->open[i] = fd;
}

/* Give the trees the locks of a user namespace (mount-lock.h), then list their new fds again. */
static int lock_trees(const struct husk_spec *spec, struct husk_idmap_mounts *set, struct husk_error **err)
{
        _cleanup_free_ bool *recursive = calloc(set->len, sizeof(*recursive));
        _cleanup_free_ unsigned long *propagation = calloc(set->len, sizeof(*propagation));
        if (!recursive || !propagation)
                return husk_error_set(err, ENOMEM, "lock the bind mounts made on the host");
        for (size_t i = 0; i < set->len; i++) {
                recursive[i] = spec->mounts[i].recursive;
                propagation[i] = tree_propagation(spec);
        }
        int r = husk_mount_trees_lock(set->trees, recursive, propagation, set->len, err);
        set->open_len = 0;
        for (size_t i = 0; i < set->len; i++)
                if (set->trees[i] >= 0)
                        insert_sorted(set, set->trees[i]);
        return r;
}

int husk_idmap_mounts_prepare(const struct husk_spec *spec, const char *bundle, const char *rootfs,
                              int joined_userns_fd, struct husk_idmap_mounts **ret, struct husk_error **err)
{
        *ret = NULL;
        size_t count = 0;
        /* Every entry is checked before any process or mount is made. */
        for (size_t i = 0; i < spec->mounts_len; i++) {
                if (bind_opened_on_host(spec, &spec->mounts[i], rootfs)) {
                        count++;
                        continue;
                }
                if (!husk_mount_is_idmapped(&spec->mounts[i]))
                        continue;
                int r = check_entry(spec, i, err);
                if (r < 0)
                        return r;
                count++;
        }
        if (count == 0)
                return 0;

        _cleanup_(husk_idmap_mounts_freep) struct husk_idmap_mounts *set = calloc(1, sizeof(*set));
        if (!set || !(set->trees = malloc(spec->mounts_len * sizeof(*set->trees))) ||
            !(set->open = calloc(count, sizeof(*set->open))))
                return husk_error_set(err, ENOMEM, "idmapped mounts");
        set->len = spec->mounts_len;
        for (size_t i = 0; i < set->len; i++)
                set->trees[i] = -1;
        struct userns_cache cache = {0};
        int r = 0;
        /* With a user namespace, the container must not get from the host what the kernel would lock. */
        bool locked = husk_spec_namespace(spec, HUSK_NS_USER);
        for (size_t i = 0; i < spec->mounts_len && r == 0; i++) {
                if (bind_opened_on_host(spec, &spec->mounts[i], rootfs)) {
                        /* Best effort: where the runtime cannot make it (no privilege over its mount
                         * namespace, a missing source), the init tries and names the reason. */
                        _cleanup_error_ struct husk_error *ignored = NULL;
                        int tree = make_tree(spec, i, bundle, -1, true, &ignored);
                        if (tree >= 0) {
                                set->trees[i] = tree;
                                insert_sorted(set, tree);
                        }
                        continue;
                }
                if (!husk_mount_is_idmapped(&spec->mounts[i]))
                        continue;
                int userns = userns_for(spec, i, joined_userns_fd, &cache, err);
                int tree = userns < 0 ? userns : make_tree(spec, i, bundle, userns, locked, err);
                if (tree < 0) {
                        r = tree;
                        break;
                }
                set->trees[i] = tree;
                insert_sorted(set, tree);
        }
        userns_cache_clear(&cache);
        if (r == 0 && locked)
                r = lock_trees(spec, set, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(set);
        return 0;
}

int husk_idmap_mounts_take(struct husk_idmap_mounts *set, size_t index)
{
        if (!set || index >= set->len || set->trees[index] < 0)
                return -1;
        int fd = TAKE_FD(set->trees[index]);
        size_t i = 0;
        while (i < set->open_len && set->open[i] != fd)
                i++;
        if (i < set->open_len) {
                memmove(&set->open[i], &set->open[i + 1], (set->open_len - i - 1) * sizeof(*set->open));
                set->open_len--;
        }
        return fd;
}

const int *husk_idmap_mounts_fds(const struct husk_idmap_mounts *set, size_t *ret_len)
{
        *ret_len = set ? set->open_len : 0;
        return set ? set->open : NULL;
}

void husk_idmap_mounts_free(struct husk_idmap_mounts *set)
{
        if (!set)
                return;
        for (size_t i = 0; i < set->open_len; i++)
                close(set->open[i]);
        free(set->trees);
        free(set->open);
        free(set);
}

void husk_idmap_mounts_freep(struct husk_idmap_mounts **set)
{
        husk_idmap_mounts_free(*set);
        *set = NULL;
}
