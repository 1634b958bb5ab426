/* checkpoint: dump a running container's processes with criu, then (unless asked not to) delete it. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/criu-opts.h"
#include "linux/criu.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/path.h"

/* Keys already given to criu, so that a mount named twice (a config bind that is also a cgroup
 * directory) is passed once. */
struct externals {
        char **keys;
        size_t len;
        int *mount_ids; /* the container's mounts, from its mountinfo */
        size_t mount_ids_len;
};

static void externals_done(struct externals *x)
{
        for (size_t i = 0; i < x->len; i++)
                free(x->keys[i]);
        free(x->keys);
        free(x->mount_ids);
}

/* --external mnt[KEY]:KEY: criu leaves the mount out of the image, naming it by its mount point. */
static void add_external_mount(struct husk_criu_args *a, struct externals *x, const char *key)
{
        for (size_t i = 0; i < x->len; i++)
                if (strcmp(x->keys[i], key) == 0)
                        return;
        char **grown = realloc(x->keys, (x->len + 1) * sizeof(char *));
        char *copy = strdup(key);
        if (!grown || !copy) {
                free(copy);
                if (grown)
                        x->keys = grown;
                a->oom = true;
                return;
        }
        x->keys = grown;
        x->keys[x->len++] = copy;
        husk_criu_add(a, "--external");
        husk_criu_addf(a, "mnt[%s]:%s", key, key);
}

/*
 * The mounts of the container that come from the host and that criu cannot take into its image:
 * the binds of its cgroup directories (a cgroup filesystem rooted below its root: with a cgroup
 * namespace the mounts are the container's own and criu keeps them) and device nodes bound from the
 * host's /dev (a user namespace cannot mknod). Read from the container's own mount table.
 */
static int add_host_mounts(struct husk_criu_args *a, struct externals *x, pid_t pid, struct husk_error **err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return husk_error_set(err, errno, "read `%s`", path);
        char *line = NULL;
        size_t size = 0;
        while (getline(&line, &size, f) > 0) {
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
                char *fields[5] = {0}, *save = NULL, *tok = strtok_r(line, " \n", &save);
                for (int i = 0; tok && i < 5; i++, tok = i < 5 ? strtok_r(NULL, " \n", &save) : tok)
                        fields[i] = tok;
                char *sep = fields[4] ? strstr(fields[4] + strlen(fields[4]) + 1, " - ") : NULL;
                if (!fields[4] || !sep)
                        continue;
                int *grown = realloc(x->mount_ids, (x->mount_ids_len + 1) * sizeof(int));
                if (!grown) {
                        free(line);
                        return husk_error_set(err, ENOMEM, "checkpoint");
                }
                x->mount_ids = grown;
                x->mount_ids[x->mount_ids_len++] = atoi(fields[0]);
                char *fstype = sep + 3;
                fstype[strcspn(fstype, " ")] = '\0';
                bool cgroup = strcmp(fstype, "cgroup") == 0 || strcmp(fstype, "cgroup2") == 0;
                if ((cgroup && strcmp(fields[3], "/") != 0) || strcmp(fstype, "devtmpfs") == 0) {
                        husk_path_unescape_mountinfo(fields[4]);
                        add_external_mount(a, x, fields[4]);
                }
        }
        free(line);
        return 0;
}

/* The config's binds, and namespaces joined by path: criu leaves those to whoever restores. */
static int add_externals(struct husk_criu_args *a, struct externals *x, const struct husk_spec *spec, pid_t pid,
                         struct husk_error **err)
{
        for (size_t i = 0; i < spec->mounts_len; i++) {
                if (!husk_criu_mount_is_bind(&spec->mounts[i]))
                        continue;
                _cleanup_free_ char *key = husk_criu_mount_key(spec->mounts[i].destination);
                if (!key)
                        return husk_error_set(err, ENOMEM, "checkpoint");
                add_external_mount(a, x, key);
        }
        int r = add_host_mounts(a, x, pid, err);
        if (r < 0)
                return r;
        static const struct {
                enum husk_ns_type type;
                const char *criu, *key;
        } joined[] = {{HUSK_NS_NETWORK, "net", "extRootNetNS"}, {HUSK_NS_PID, "pid", "extRootPidNS"}};
        for (size_t i = 0; i < sizeof(joined) / sizeof(joined[0]); i++) {
                const struct husk_namespace *ns = husk_spec_namespace(spec, joined[i].type);
                if (!ns || !ns->path)
                        continue;
                struct stat st;
                if (stat(ns->path, &st) < 0)
                        return husk_error_set(err, errno, "linux.namespaces: %s `%s`",
                                              husk_ns_type_name(joined[i].type), ns->path);
                husk_criu_add(a, "--external");
                husk_criu_addf(a, "%s[%llu]:%s", joined[i].criu, (unsigned long long)st.st_ino, joined[i].key);
        }
        return 0;
}

/* The mount an fd of pid is on (its fdinfo's mnt_id), -1 when unknown. */
static int fd_mount_id(pid_t pid, int fd)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[256];
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "mnt_id:", 7) == 0)
                        return atoi(line + 7);
        return -1;
}

static bool mount_seen(const struct externals *x, int id)
{
        for (size_t i = 0; i < x->mount_ids_len; i++)
                if (x->mount_ids[i] == id)
                        return true;
        return false;
}

/*
 * What the init's fd is, as runc's descriptors.json gives it: the link's target ("pipe:[123]",
 * "/dev/null"). A file on a mount outside the container (a host file its stdio was redirected to,
 * which runc cannot dump) is made external instead and named by criu's key for it,
 * file[<mount id>:<inode>] in hex, which restore hands criu as the caller's own fd.
 */
static char *describe_fd(struct husk_criu_args *a, const struct externals *x, pid_t pid, int fd)
{
        char link[64], target[4096];
        snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        struct stat st;
        int mount_id = target[0] == '/' ? fd_mount_id(pid, fd) : -1;
        if (mount_id < 0 || mount_seen(x, mount_id) || stat(link, &st) < 0)
                return strdup(target);
        char *key = NULL;
        if (asprintf(&key, "file[%x:%llx]", (unsigned)mount_id, (unsigned long long)st.st_ino) < 0)
                return NULL;
        husk_criu_add(a, "--external");
        husk_criu_add(a, key);
        return key;
}

/* runc's descriptors.json: what the init's fds 0, 1 and 2 are, for restore to reconnect them. */
static int write_descriptors(struct husk_criu_args *a, const struct externals *x, const char *image_dir, pid_t pid,
                             struct husk_error **err)
{
        json_t *fds = json_array();
        for (int fd = 0; fds && fd < 3; fd++) {
                char *what = describe_fd(a, x, pid, fd);
                if (!what || json_array_append_new(fds, json_string(what)) < 0) {
                        free(what);
                        json_decref(fds);
                        fds = NULL;
                        break;
                }
                free(what);
        }
        _cleanup_free_ char *text = fds ? json_dumps(fds, JSON_COMPACT) : NULL;
        json_decref(fds);
        _cleanup_free_ char *path = NULL;
        if (!text || asprintf(&path, "%s/%s", image_dir, HUSK_CRIU_DESCRIPTORS) < 0)
                return husk_error_set(err, ENOMEM, "checkpoint: %s", HUSK_CRIU_DESCRIPTORS);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        int r = fd < 0 ? -errno : husk_write_all(fd, text, strlen(text));
        return r < 0 ? husk_error_set(err, -r, "write `%s`", path) : 0;
}

/* Create the directory path (0700), with its missing parents (0755) when asked, as runc's MkdirAll for
 * the image directory. */
static int make_dir(const char *flag, const char *path, bool parents, struct husk_error **err)
{
        int r = mkdir(path, 0700) < 0 ? -errno : 0;
        if (r == -ENOENT && parents) {
                _cleanup_free_ char *copy = strdup(path);
                if (!copy)
                        return husk_error_set(err, ENOMEM, "%s `%s`", flag, path);
                for (char *p = copy + 1; *p; p++) {
                        if (*p != '/')
                                continue;
                        *p = '\0';
                        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                                return husk_error_set(err, errno, "%s `%s`: create `%s`", flag, path, copy);
                        *p = '/';
                }
                r = mkdir(path, 0700) < 0 ? -errno : 0;
        }
        if (r < 0 && r != -EEXIST)
                return husk_error_set(err, -r, "%s `%s`", flag, path);
        struct stat st;
        if (stat(path, &st) < 0)
                return husk_error_set(err, errno, "%s `%s`", flag, path);
        if (!S_ISDIR(st.st_mode))
                return husk_error_set(err, ENOTDIR, "%s `%s`", flag, path);
        return 0;
}

/* --parent-path must name a directory, from the image one as criu takes it (runc checks the same).
 * Checked once the image directory exists, so that `../pre` from a new one is found where criu finds it. */
static int check_parent(const char *image_path, const char *parent, struct husk_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", image_path, parent) < 0)
                return husk_error_set(err, ENOMEM, "checkpoint");
        struct stat st;
        if (stat(path, &st) < 0)
                return husk_error_set(err, errno, "invalid --parent-path: `%s`", path);
        if (!S_ISDIR(st.st_mode))
                return husk_error_set(err, ENOTDIR, "invalid --parent-path: `%s`", path);
        return 0;
}

static int add_options(struct husk_criu_args *a, const struct husk_checkpoint_options *o, struct husk_error **err)
{
        const struct husk_criu_flag flags[] = {
            {o->leave_running, "--leave-running"},
            {o->tcp_skip_in_flight, "--skip-in-flight"},
            {o->link_remap, "--link-remap"},
        };
        husk_criu_add_flags(a, flags, sizeof(flags) / sizeof(flags[0]));
        if (o->parent_path && *o->parent_path) {
                husk_criu_add(a, "--prev-images-dir");
                husk_criu_add(a, o->parent_path);
                husk_criu_add(a, "--track-mem");
        }
        if (o->page_server && *o->page_server) {
                const char *colon = strrchr(o->page_server, ':');
                if (!colon || colon == o->page_server || !colon[1] ||
                    strspn(colon + 1, "0123456789") != strlen(colon + 1))
                        return husk_error_set(err, 0, "--page-server: `%s` is not ADDRESS:PORT", o->page_server);
                husk_criu_add(a, "--page-server");
                husk_criu_add(a, "--address");
                husk_criu_addf(a, "%.*s", (int)(colon - o->page_server), o->page_server);
                husk_criu_add(a, "--port");
                husk_criu_add(a, colon + 1);
        }
        if (o->status_fd >= 0) {
                if (!o->criu.lazy_pages)
                        return husk_error_set(err, 0, "--status-fd: only with --lazy-pages");
                int fl = fcntl(o->status_fd, F_GETFL);
                if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
                        return husk_error_set(err, fl < 0 ? errno : EBADF, "--status-fd %d: not open for writing",
                                              o->status_fd);
                husk_criu_add(a, "--status-fd");
                husk_criu_addf(a, "%d", o->status_fd);
        }
        return husk_criu_add_common(a, &o->criu, err);
}

static int dump(const struct husk_runtime *rt, const struct husk_state *state, const struct husk_spec *spec,
                const struct husk_checkpoint_options *o, struct husk_error **err)
{
        struct husk_criu_args a = {0};
        struct externals x = {0};
        const char *log_dir = o->criu.work_path && *o->criu.work_path ? o->criu.work_path : o->criu.image_path;
        _cleanup_free_ char *log_path = NULL;
        if (asprintf(&log_path, "%s/dump.log", log_dir) < 0)
                return husk_error_set(err, ENOMEM, "checkpoint");
        husk_criu_add_command(&a, rt, o->pre_dump ? "pre-dump" : "dump");
        husk_criu_add(&a, "--tree");
        husk_criu_addf(&a, "%d", (int)state->pid);
        husk_criu_add(&a, "--images-dir");
        husk_criu_add(&a, o->criu.image_path);
        husk_criu_add(&a, "--log-file");
        husk_criu_add(&a, log_path);
        husk_criu_add(&a, "-v4");
        husk_criu_add(&a, "--root");
        husk_criu_add(&a, state->rootfs);
        int r = add_options(&a, o, err);
        if (r < 0)
                goto out;
        husk_criu_config_file(&a, spec);
        if (state->cgroup_path) {
                _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
                _cleanup_error_ struct husk_error *cg_err = NULL;
                if (husk_cgroup_open(state->cgroup_path, state->rootless, &cg, &cg_err) == 0) {
                        _cleanup_free_ char *freezer = husk_cgroup_freezer_dir(cg);
                        if (freezer) {
                                husk_criu_add(&a, "--freeze-cgroup");
                                husk_criu_add(&a, freezer);
                        }
                }
        }
        if (!o->pre_dump) {
                r = add_externals(&a, &x, spec, state->pid, err);
                if (r < 0)
                        goto out;
                r = write_descriptors(&a, &x, o->criu.image_path, state->pid, err);
                if (r < 0)
                        goto out;
        }
        r = husk_criu_run(&a, NULL, log_path, err);
out:
        externals_done(&x);
        husk_criu_args_clear(&a);
        return r;
}

int husk_container_checkpoint(const struct husk_runtime *rt, const char *id,
                              const struct husk_checkpoint_options *given, struct husk_error **err)
{
        if (!given->criu.image_path || !*given->criu.image_path)
                return husk_error_set(err, 0, "--image-path: required");
        /* As runc: criu links the images to their parent by this path, from the image directory. */
        if (given->parent_path && given->parent_path[0] == '/')
                return husk_error_set(err, 0, "--parent-path must be relative to the image directory: `%s`",
                                      given->parent_path);
        if (geteuid() != 0 || rt->rootless)
                return husk_error_set(err, EPERM, "checkpoint needs root: criu cannot dump a rootless container");
        int r = husk_criu_check_choices(&given->criu, err);
        if (r < 0)
                return r;
        struct husk_checkpoint_options resolved = *given;
        const struct husk_checkpoint_options *opts = &resolved;
        _cleanup_free_ char *image_path = NULL, *work_path = NULL;
        r = husk_criu_absolute_dirs(&given->criu, &image_path, &work_path, err);
        if (r < 0)
                return r;
        resolved.criu.image_path = image_path;
        resolved.criu.work_path = work_path;
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_state_load(root, id, true, &dirfd, &state, err);
        if (r < 0)
                return r;
        if (state->status != HUSK_STATUS_RUNNING && state->status != HUSK_STATUS_PAUSED)
                return husk_error_set(err, 0, "container `%s` is not running: %s", id, husk_status_name(state->status));
        _cleanup_(husk_spec_freep) struct husk_spec *spec = NULL;
        r = husk_state_read_config(dirfd, NULL, &spec, err);
        if (r < 0)
                return husk_error_wrap(err, "config of `%s`", id);
        if (spec->process.terminal)
                return husk_error_set(err, ENOTSUP,
                                      "process.terminal: a container with a terminal cannot be checkpointed yet");
        r = make_dir("--image-path", opts->criu.image_path, true, err);
        if (r == 0 && opts->criu.work_path && *opts->criu.work_path)
                r = make_dir("--work-path", opts->criu.work_path, false, err);
        if (r == 0 && opts->parent_path && *opts->parent_path)
                r = check_parent(opts->criu.image_path, opts->parent_path, err);
        if (r < 0)
                return r;
        r = dump(rt, state, spec, opts, err);
        if (r < 0)
                return r;
        if (opts->leave_running || opts->pre_dump)
                return 0;
        /* criu killed the processes: the rest goes as with delete (cgroup, poststop hooks, state). */
        return husk_container_destroy(root, id, dirfd, state, true, err);
}
