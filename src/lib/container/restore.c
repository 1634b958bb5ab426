/* restore: a new container from a bundle and a criu checkpoint (criu, not an init, makes its processes). */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/criu-opts.h"
#include "container/forward.h"
#include "linux/criu.h"
#include "linux/hooks.h"
#include "linux/proc.h"
#include "linux/selfprotect.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/syscalls.h"

#define CRIU_ROOT "criu-root" /* in the state dir: where criu's process sees the rootfs */
#define CRIU_PIDFILE "criu.pid"
#define CRIU_HOOK_ERROR "criu-action.err" /* why the action script failed, for restore to say */

struct restore {
        struct husk_launch *l;
        const struct husk_restore_options *o;
        char *state_dir;   /* absolute */
        char *criu_root;   /* state_dir/criu-root */
        sigset_t old_mask; /* criu runs with the caller's mask, not the one that holds signals for forwarding */
        int ns_fds[2];     /* network and pid namespaces joined by path, inherited by criu; -1 */
        int hook_fd;       /* the sealed action script criu runs for the hooks (add_hooks), -1 */
};

/*
 * Where the container's cgroups are, for criu, from /proc/self/cgroup of criu's process once it is in
 * them: under which cgroup to put what it restores (--cgroup-root per hierarchy) and, when the config
 * mounts the cgroup tree without a cgroup namespace (each hierarchy then a bind of the container's
 * directory, husk's and runc's way), which host directory each of those binds is.
 */
static void add_cgroups(struct husk_criu_args *a, const struct husk_spec *spec, char *lines)
{
        const char *dest = NULL;
        bool cgroupns = husk_spec_namespace(spec, HUSK_NS_CGROUP) != NULL;
        for (size_t i = 0; i < spec->mounts_len && !cgroupns; i++)
                if (spec->mounts[i].type &&
                    (strcmp(spec->mounts[i].type, "cgroup") == 0 || strcmp(spec->mounts[i].type, "cgroup2") == 0))
                        dest = spec->mounts[i].destination;
        _cleanup_free_ char *key = dest ? husk_criu_mount_key(dest) : NULL;
        const char *first_end = strchr(lines, '\n');
        bool v2_only = strncmp(lines, "0::", 3) == 0 && (!first_end || !first_end[1]);
        for (char *line = lines, *next; *line; line = next) {
                next = line + strcspn(line, "\n");
                if (*next)
                        *next++ = '\0';
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                *c2 = '\0';
                const char *ctrls = c1 + 1, *path = c2 + 1;
                husk_criu_add(a, "--cgroup-root");
                if (*ctrls)
                        husk_criu_addf(a, "%s:%s", ctrls, path);
                else
                        husk_criu_add(a, path);
                if (!key)
                        continue;
                /* The directory under /sys/fs/cgroup, as mount-cgroup.c names it in the container. */
                const char *name = !*ctrls ? "unified" : strncmp(ctrls, "name=", 5) == 0 ? ctrls + 5 : ctrls;
                husk_criu_add(a, "--external");
                if (v2_only)
                        husk_criu_addf(a, "mnt[%s]:/sys/fs/cgroup%s", key, path);
                else
                        husk_criu_addf(a, "mnt[%s/%s]:/sys/fs/cgroup/%s%s", strcmp(key, "/") ? key : "", name, name,
                                       path);
        }
}

/* In criu's process: the container's cgroups (the systemd driver's scope took it already), what criu
 * is told of them, the caller's signal mask, and a mount namespace of its own where the rootfs is a
 * mount point (criu's --root must be one) that goes away with it. */
static int criu_setup(struct husk_criu_args *a, void *data)
{
        struct restore *rs = data;
        sigprocmask(SIG_SETMASK, &rs->old_mask, NULL);
        if (rs->l->cgroup && !rs->l->systemd.name) {
                _cleanup_error_ struct husk_error *ignored = NULL;
                int r = husk_cgroup_enter(rs->l->cgroup, getpid(), &ignored);
                if (r < 0)
                        return r;
        }
        char lines[8192];
        _cleanup_error_ struct husk_error *read_err = NULL;
        ssize_t n = husk_proc_read("self/cgroup", lines, sizeof(lines), &read_err);
        if (n < 0)
                return (int)n;
        add_cgroups(a, rs->l->spec, lines);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount(rs->l->rootfs, rs->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        return 0;
}

/* In the parent once criu's process exists, with --systemd-cgroup: systemd makes the scope around it
 * (what it restores stays there), and husk the cgroupfs side, as for an init. */
static int criu_started(pid_t pid, void *data, struct husk_error **err)
{
        struct restore *rs = data;
        if (!rs->l->systemd.name)
                return 0;
        rs->l->pid = pid;
        int r = husk_launch_systemd_attach(rs->l, err);
        rs->l->pid = 0;
        return r;
}

/* The config's binds by their sources, /dev/null for masked files, device nodes by their host paths. */
static int add_mounts(struct husk_criu_args *a, const struct restore *rs, struct husk_error **err)
{
        const struct husk_spec *spec = rs->l->spec;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                if (!husk_criu_mount_is_bind(m) || !m->source)
                        continue;
                _cleanup_free_ char *key = husk_criu_mount_key(m->destination);
                if (!key)
                        return husk_error_set(err, ENOMEM, "restore");
                husk_criu_add(a, "--external");
                if (m->source[0] == '/')
                        husk_criu_addf(a, "mnt[%s]:%s", key, m->source);
                else
                        husk_criu_addf(a, "mnt[%s]:%s/%s", key, rs->l->bundle, m->source);
        }
        static const char *const defaults[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                               "/dev/random", "/dev/urandom", "/dev/tty"};
        for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
                husk_criu_add(a, "--external");
                husk_criu_addf(a, "mnt[%s]:%s", defaults[i], defaults[i]);
        }
        for (size_t i = 0; i < spec->linux_.devices_len; i++) {
                _cleanup_free_ char *key = husk_criu_mount_key(spec->linux_.devices[i].path);
                if (!key)
                        return husk_error_set(err, ENOMEM, "restore");
                husk_criu_add(a, "--external");
                husk_criu_addf(a, "mnt[%s]:%s", key, key);
        }
        return 0;
}

/* Namespaces joined by path: network and pid ones handed to criu as fds (the keys checkpoint gave
 * them), the others joined by criu itself. */
static int add_namespaces(struct husk_criu_args *a, struct restore *rs, struct husk_error **err)
{
        const struct husk_spec *spec = rs->l->spec;
        for (size_t i = 0; i < spec->linux_.namespaces_len; i++) {
                const struct husk_namespace *ns = &spec->linux_.namespaces[i];
                if (!ns->path)
                        continue;
                const char *name = husk_ns_type_name(ns->type);
                if (ns->type == HUSK_NS_NETWORK || ns->type == HUSK_NS_PID) {
                        int slot = ns->type == HUSK_NS_NETWORK ? 0 : 1;
                        rs->ns_fds[slot] = open(ns->path, O_RDONLY); /* no O_CLOEXEC: criu inherits it */
                        if (rs->ns_fds[slot] < 0)
                                return husk_error_set(err, errno, "linux.namespaces: %s `%s`", name, ns->path);
                        husk_criu_add(a, "--inherit-fd");
                        husk_criu_addf(a, "fd[%d]:%s", rs->ns_fds[slot], slot ? "extRootPidNS" : "extRootNetNS");
                        continue;
                }
                const char *criu_name = ns->type == HUSK_NS_MOUNT  ? "mnt"
                                        : ns->type == HUSK_NS_IPC  ? "ipc"
                                        : ns->type == HUSK_NS_UTS  ? "uts"
                                        : ns->type == HUSK_NS_USER ? "user"
                                                                   : NULL;
                if (!criu_name)
                        return husk_error_set(
                            err, ENOTSUP, "linux.namespaces: a %s namespace joined by path cannot be restored", name);
                husk_criu_add(a, "--join-ns");
                husk_criu_addf(a, "%s:%s", criu_name, ns->path);
        }
        return 0;
}

/* descriptors.json: the init's stdio that were pipes, or files outside the container (checkpoint.c
 * names those by criu's file[...] key), become the caller's own fds 0, 1, 2. */
static int add_descriptors(struct husk_criu_args *a, const char *image_dir, struct husk_error **err)
{
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", image_dir, HUSK_CRIU_DESCRIPTORS) < 0)
                return husk_error_set(err, ENOMEM, "restore");
        json_error_t jerr;
        json_t *fds = json_load_file(path, 0, &jerr);
        if (!fds)
                return access(path, F_OK) < 0 ? 0 : husk_error_set(err, 0, "`%s`: %s", path, jerr.text);
        size_t i;
        json_t *v;
        json_array_foreach (fds, i, v) {
                const char *s = json_string_value(v);
                if (i < 3 && s && (strstr(s, "pipe:") || strncmp(s, "file[", 5) == 0)) {
                        husk_criu_add(a, "--inherit-fd");
                        husk_criu_addf(a, "fd[%zu]:%s", i, s);
                }
        }
        json_decref(fds);
        return 0;
}

/* " 's'" for sh, a ' inside as '\''. */
static void add_quoted(FILE *out, const char *s)
{
        fputs(" '", out);
        for (; *s; s++) {
                if (*s == '\'')
                        fputs("'\\''", out);
                else
                        fputc(*s, out);
        }
        fputc('\'', out);
}

/*
 * The config's prestart and createRuntime hooks: runc runs them when criu has made the namespaces
 * (its `setup-namespaces` notification), with the init's pid. criu runs an action script for that, a
 * program it execs with no arguments: a script, sealed in a memfd (whatever the mount options of the
 * state dir), that execs this very husk again (its binary through /proc, which holds even when husk
 * runs from a sealed copy), which runs the hooks from the state dir.
 */
static int add_hooks(struct husk_criu_args *a, struct restore *rs, struct husk_error **err)
{
        const struct husk_hooks *hooks = &rs->l->spec->hooks;
        if (!hooks->prestart.len && !hooks->create_runtime.len)
                return 0;
        _cleanup_free_ char *root = realpath(rs->l->root, NULL), *cmd = NULL;
        size_t len = 0;
        _cleanup_fclose_ FILE *out = root ? open_memstream(&cmd, &len) : NULL;
        if (!out)
                return husk_error_set(err, errno ? errno : ENOMEM, "restore: hooks");
        char self[64];
        snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
        fputs("#!/bin/sh\nexec", out);
        add_quoted(out, self);
        add_quoted(out, "--root");
        add_quoted(out, root);
        add_quoted(out, HUSK_CRIU_HOOK_COMMAND);
        add_quoted(out, rs->l->id);
        fputs(" </dev/null >/dev/null 2>&1\n", out);
        if (fclose(out) != 0) {
                out = NULL;
                return husk_error_set(err, ENOMEM, "restore: hooks");
        }
        out = NULL;
        rs->hook_fd = husk_selfprotect_memfd("husk-criu-action", err);
        if (rs->hook_fd < 0)
                return rs->hook_fd;
        int r = husk_write_all(rs->hook_fd, cmd, len);
        if (r < 0)
                return husk_error_set(err, -r, "restore: the hooks' action script");
        r = husk_selfprotect_seal(rs->hook_fd, err);
        if (r < 0)
                return r;
        husk_criu_add(a, "--action-script");
        husk_criu_addf(a, "/proc/%d/fd/%d", (int)getpid(), rs->hook_fd);
        return 0;
}

static int add_options(struct husk_criu_args *a, struct restore *rs, const char *log_path, struct husk_error **err)
{
        const struct husk_restore_options *o = rs->o;
        husk_criu_add_command(a, rs->l->rt, "restore");
        husk_criu_add(a, "--images-dir");
        husk_criu_add(a, o->criu.image_path);
        husk_criu_add(a, "--log-file");
        husk_criu_add(a, log_path);
        husk_criu_add(a, "-v4");
        husk_criu_add(a, "--root");
        husk_criu_add(a, rs->criu_root);
        /* The restored init becomes husk's child, as an init husk clones: run-like waiting works. */
        husk_criu_add(a, "--restore-detached");
        husk_criu_add(a, "--restore-sibling");
        husk_criu_add(a, "--pidfile");
        husk_criu_addf(a, "%s/%s", rs->state_dir, CRIU_PIDFILE);
        husk_criu_add(a, "--evasive-devices");
        if (o->lsm_profile && *o->lsm_profile) {
                husk_criu_add(a, "--lsm-profile");
                husk_criu_add(a, o->lsm_profile);
        }
        if (o->lsm_mount_context && *o->lsm_mount_context) {
                husk_criu_add(a, "--lsm-mount-context");
                husk_criu_add(a, o->lsm_mount_context);
        }
        husk_criu_config_file(a, rs->l->spec);
        int r = husk_criu_add_common(a, &o->criu, err);
        if (r == 0)
                r = add_mounts(a, rs, err);
        if (r == 0)
                r = add_namespaces(a, rs, err);
        if (r == 0)
                r = add_hooks(a, rs, err);
        return r < 0 ? r : add_descriptors(a, o->criu.image_path, err);
}

static int read_pidfile(int dirfd, pid_t *ret, struct husk_error **err)
{
        char buf[32] = {0};
        _cleanup_close_ int fd = openat(dirfd, CRIU_PIDFILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return husk_error_set(err, n < 0 ? errno : EIO, "restore: criu's pid file");
        long pid = strtol(buf, NULL, 10);
        if (pid <= 0)
                return husk_error_set(err, EINVAL, "restore: criu's pid file reads `%s`", buf);
        *ret = (pid_t)pid;
        return 0;
}

/* Checks of the request that change nothing on the host. */
static int check(const struct husk_launch *l, const struct husk_restore_options *o, struct husk_error **err)
{
        struct stat st;
        if (stat(o->criu.image_path, &st) < 0)
                return husk_error_set(err, errno, "--image-path `%s`", o->criu.image_path);
        if (!S_ISDIR(st.st_mode))
                return husk_error_set(err, ENOTDIR, "--image-path `%s`", o->criu.image_path);
        if (l->spec->process.terminal)
                return husk_error_set(err, ENOTSUP,
                                      "process.terminal: a container with a terminal cannot be restored yet");
        if (o->console_socket)
                return husk_error_set(err, 0, "--console-socket: only for a container with a terminal");
        return husk_criu_check_choices(&o->criu, err);
}

static int restore_processes(struct restore *rs, struct husk_error **err)
{
        struct husk_launch *l = rs->l;
        const struct husk_criu_options *c = &rs->o->criu;
        const char *log_dir = c->work_path && *c->work_path ? c->work_path : c->image_path;
        _cleanup_free_ char *log_path = NULL;
        if (asprintf(&log_path, "%s/restore.log", log_dir) < 0 ||
            asprintf(&rs->criu_root, "%s/%s", rs->state_dir, CRIU_ROOT) < 0)
                return husk_error_set(err, ENOMEM, "restore");
        if (mkdirat(l->dirfd, CRIU_ROOT, 0700) < 0)
                return husk_error_set(err, errno, "restore: create `%s`", rs->criu_root);
        struct husk_criu_args a = {0};
        int r = add_options(&a, rs, log_path, err);
        if (r == 0)
                r = husk_criu_run(&a,
                                  &(struct husk_criu_hooks){.started = criu_started, .setup = criu_setup, .data = rs},
                                  log_path, err);
        husk_criu_args_clear(&a);
        unlinkat(l->dirfd, CRIU_ROOT, AT_REMOVEDIR);
        /* A hook that failed made criu fail: its own error says more than criu's log. */
        char hook_error[4096];
        _cleanup_close_ int hook_fd = openat(l->dirfd, CRIU_HOOK_ERROR, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n = hook_fd < 0 ? -1 : read(hook_fd, hook_error, sizeof(hook_error) - 1);
        unlinkat(l->dirfd, CRIU_HOOK_ERROR, 0);
        if (r < 0 && n > 0) {
                hook_error[n] = '\0';
                husk_error_freep(err);
                return husk_error_set(err, 0, "%s", hook_error);
        }
        if (r < 0)
                return r;
        r = read_pidfile(l->dirfd, &l->pid, err);
        unlinkat(l->dirfd, CRIU_PIDFILE, 0);
        if (r < 0)
                return r;
        l->pidfd = husk_pidfd_open(l->pid);
        if (l->pidfd < 0)
                return husk_error_set(err, errno, "restore: the restored init %d", (int)l->pid);
        l->state.pid = l->pid;
        l->state.pid_start_time = husk_proc_start_time(l->pid);
        r = husk_state_write(l->dirfd, &l->state, err);
        if (r == 0 && rs->o->pid_file)
                r = husk_write_pid_file(rs->o->pid_file, l->pid, err);
        return r;
}

/* The state dir, the cgroup (with the config's limits), then criu. */
static int make_container(struct restore *rs, struct husk_error **err)
{
        struct husk_launch *l = rs->l;
        husk_launch_fill_state(l);
        int r = husk_state_dir_create(l->root, l->id, &l->dirfd, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = realpath(l->root, NULL);
        if (!root || asprintf(&rs->state_dir, "%s/%s", root, l->id) < 0)
                return husk_error_set(err, errno ? errno : ENOMEM, "restore: state root `%s`", l->root);
        r = husk_state_write(l->dirfd, &l->state, err);
        if (r == 0)
                r = husk_launch_copy_config(l, err);
        /* With --systemd-cgroup, systemd makes the cgroup around criu's process (criu_started). */
        if (r == 0 && !l->systemd.name) {
                r = husk_launch_cgroup_create(l, err);
        }
        return r < 0 ? r : restore_processes(rs, err);
}

int husk_container_restore(const struct husk_runtime *rt, const char *id, const struct husk_restore_options *given,
                           int *ret_status, struct husk_error **err)
{
        *ret_status = 0;
        if (geteuid() != 0 || rt->rootless)
                return husk_error_set(err, EPERM, "restore needs root: criu cannot restore a rootless container");
        if (!given->criu.image_path || !*given->criu.image_path)
                return husk_error_set(err, 0, "--image-path: required");
        struct husk_restore_options resolved = *given;
        const struct husk_restore_options *opts = &resolved;
        _cleanup_free_ char *image_path = NULL, *work_path = NULL;
        int r = husk_criu_absolute_dirs(&given->criu, &image_path, &work_path, err);
        if (r < 0)
                return r;
        resolved.criu.image_path = image_path;
        resolved.criu.work_path = work_path;
        struct husk_create_options create = {
            .bundle = opts->bundle, .pid_file = opts->pid_file, .detach = opts->detach};
        struct husk_launch l = {
            .rt = rt,
            .opts = &create,
            .root = husk_runtime_root(rt),
            .id = id,
            .foreground = !opts->detach,
        };
        struct restore rs = {.l = &l, .o = opts, .ns_fds = {-1, -1}, .hook_fd = -1};
        r = husk_launch_load(&l, err);
        if (r == 0)
                r = check(&l, opts, err);
        if (r == 0)
                r = husk_launch_systemd_plan(&l, err);
        if (r < 0) {
                husk_launch_release(&l);
                return r;
        }
        /* Held from before criu runs, so that none sent meanwhile is lost; forwarded once restored. */
        _cleanup_close_ int sfd = opts->detach ? -1 : husk_forward_signals_block(&rs.old_mask);
        if (opts->detach)
                sigprocmask(SIG_SETMASK, NULL, &rs.old_mask);
        r = !opts->detach && sfd < 0 ? husk_error_set(err, errno, "signalfd") : make_container(&rs, err);
        for (int i = 0; i < 2; i++)
                if (rs.ns_fds[i] >= 0)
                        close(rs.ns_fds[i]);
        if (rs.hook_fd >= 0)
                close(rs.hook_fd);
        free(rs.state_dir);
        free(rs.criu_root);
        if (r < 0) {
                husk_launch_abort(&l);
        } else if (!opts->detach) {
                /* Others (kill, state, delete) may act on the container while it runs. */
                close(l.dirfd);
                l.dirfd = -1;
                *ret_status = husk_wait_forwarding(l.pidfd, sfd, -1, NULL);
                r = husk_launch_cleanup_after_exit(&l, err);
        }
        husk_launch_release(&l);
        if (!opts->detach)
                sigprocmask(SIG_SETMASK, &rs.old_mask, NULL);
        return r;
}

int husk_container_restore_action(const struct husk_runtime *rt, const char *id, const char *action, pid_t init_pid,
                                  struct husk_error **err)
{
        if (strcmp(action, "setup-namespaces") != 0)
                return 0;
        /* Not locked: the restore that runs criu holds the lock until criu is done. */
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = husk_state_dir_open(root, id, false, &dirfd, err);
        if (r < 0)
                return r;
        r = husk_state_read(dirfd, id, &state, err);
        if (r < 0)
                return r;
        _cleanup_(husk_spec_freep) struct husk_spec *spec = NULL;
        r = husk_state_read_config(dirfd, NULL, &spec, err);
        if (r < 0)
                return r;
        state->pid = init_pid;
        _cleanup_free_ char *json = husk_launch_state_json(state, HUSK_STATUS_CREATING);
        r = husk_hooks_run(&spec->hooks.prestart, "prestart", environ, state->bundle, json, err);
        if (r == 0)
                r = husk_hooks_run(&spec->hooks.create_runtime, "createRuntime", environ, state->bundle, json, err);
        if (r < 0) {
                _cleanup_free_ char *msg = husk_error_format(*err);
                _cleanup_close_ int fd =
                    openat(dirfd, CRIU_HOOK_ERROR, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd >= 0 && msg)
                        (void)husk_write_all(fd, msg, strlen(msg));
        }
        return r;
}
