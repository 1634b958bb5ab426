/* create: the parent side of making a container, up to init waiting for start. */
#include "container/lifecycle.h"
#include "container/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/ns-relay.h"
#include "container/seccomp-lookup.h"
#include "container/sync.h"
#include "husk-config.h"
#include "linux/hooks.h"
#include "linux/intelrdt.h"
#include "linux/lsm.h"
#include "linux/netdev.h"
#include "linux/oom-score.h"
#include "linux/rootfs.h"
#include "linux/seccomp-filter.h"
#include "linux/selfprotect.h"
#include "linux/sysctls.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "linux/vfork.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/syscalls.h"
#include "util/log.h"

/* husk is root of a user namespace other than the host's, and $USER does not say root: a user's namespace, as
 * rootless podman runs the runtime in (USER is the user's name, or unset); a system container's root has
 * USER=root (runc's test too). */
static bool userns_root_of_user(void)
{
        const char *user = getenv("USER");
        return !(user && strcmp(user, "root") == 0) && husk_userns_nested();
}

/* runc's choice: $XDG_RUNTIME_DIR/husk for an unprivileged caller and for a user's userns root, else /run/husk. */
const char *husk_runtime_default_root(void)
{
        static char buf[PATH_MAX];
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (!xdg || !*xdg || (geteuid() == 0 && !userns_root_of_user()))
                return "/run/husk";
        if (snprintf(buf, sizeof(buf), "%s/husk", xdg) < (int)sizeof(buf))
                return buf;
        return "/run/husk";
}

bool husk_runtime_rootless_auto(bool systemd_cgroup)
{
        if (geteuid() != 0)
                return true;
        /* cgroupfs: root of any other user namespace cannot count on a cgroup (runc). systemd: the user's own
         * manager, unless the namespace is a system container's, whose systemd is root's (runc asks the user
         * bus for its owner; $USER tells the same here without a bus round trip). */
        return systemd_cgroup ? userns_root_of_user() : husk_userns_nested();
}

const char *husk_runtime_root(const struct husk_runtime *rt)
{
        return rt->root ? rt->root : husk_runtime_default_root();
}

char *husk_launch_state_json(const struct husk_state *state, enum husk_status status)
{
        struct husk_state copy = *state;
        copy.status = status;
        return husk_state_oci_json(&copy, false);
}

int husk_write_pid_file(const char *path, pid_t pid, struct husk_error **err)
{
        /* The temp file's name is one nobody can guess, and it must be new: whoever may write the pid file's
         * directory could otherwise plant a symlink or hard link there, and husk would truncate and write what
         * it points to. The rename stays on paths: a dirfd would only add syscalls, since whoever can swap a
         * directory on the way to the pid file can point the pid file itself elsewhere. */
        uint64_t nonce;
        if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
                return husk_error_set(err, errno ? errno : EIO, "--pid-file: getrandom");
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.husk-%016llx", path, (unsigned long long)nonce) < 0)
                return husk_error_set(err, ENOMEM, "--pid-file");
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return husk_error_set(err, errno, "--pid-file: create `%s`", tmp);
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", pid);
        if (write(fd, buf, (size_t)n) != n || rename(tmp, path) < 0) {
                int r = husk_error_set(err, errno, "--pid-file: write `%s`", path);
                unlink(tmp);
                return r;
        }
        return 0;
}

static int resolve_paths(struct husk_launch *l, struct husk_error **err)
{
        const char *bundle = l->opts->bundle ? l->opts->bundle : ".";
        l->bundle = realpath(bundle, NULL);
        if (!l->bundle)
                return husk_error_set(err, errno, "--bundle `%s`", bundle);
        _cleanup_free_ char *config = NULL;
        if (asprintf(&config, "%s/config.json", l->bundle) < 0)
                return husk_error_set(err, ENOMEM, "bundle");
        struct husk_seccomp_lookup lookup = {.root = l->root};
        const struct husk_spec_parse_options opts = {.rules_known = husk_seccomp_rules_cached, .data = &lookup};
        int r = husk_spec_load_text(config, &opts, &l->spec, &l->config_text, &l->config_len, err);
        l->seccomp = lookup.filter; /* a filter the config's profile has in the cache (compile_seccomp) */
        if (r < 0)
                return r;
        if (l->opts->edit_spec && (r = l->opts->edit_spec(l->spec, l->opts->edit_spec_data, err)) < 0)
                return r;
        if (!l->spec->has_process)
                return husk_error_set(err, 0, "config.json: process: required to create a container");
        if (!l->spec->root.path)
                return husk_error_set(err, 0, "config.json: root.path: required");
        const char *root_path = l->spec->root.path;
        _cleanup_free_ char *joined = NULL;
        if (root_path[0] != '/' && asprintf(&joined, "%s/%s", l->bundle, root_path) < 0)
                return husk_error_set(err, ENOMEM, "root.path");
        l->rootfs = realpath(joined ? joined : root_path, NULL);
        if (!l->rootfs)
                return husk_error_set(err, errno, "config.json: root.path: `%s`", joined ? joined : root_path);
        return 0;
}

/* "_ses.<id>.<random>": runc's name plus a part nobody can guess, so nobody can make the keyring first. */
static int session_keyring_name(struct husk_launch *l, struct husk_error **err)
{
        if (l->opts->no_new_keyring)
                return 0;
        uint64_t nonce;
        if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
                return husk_error_set(err, errno ? errno : EIO, "session keyring: getrandom");
        size_t len = strlen("_ses.") + strlen(l->id) + 1 + 16 + 1;
        char *name = malloc(len);
        if (!name)
                return husk_error_set(err, ENOMEM, "session keyring");
        snprintf(name, len, "_ses.%s.%016llx", l->id, (unsigned long long)nonce);
        l->state.session_keyring = name;
        return 0;
}

void husk_launch_fill_state(struct husk_launch *l)
{
        struct husk_state *s = &l->state;
        s->oci_version = HUSK_SPEC_VERSION; /* the state document follows husk's spec version */
        s->id = (char *)l->id;
        s->bundle = l->bundle;
        s->rootfs = l->rootfs;
        s->created = husk_timestamp_now();
        s->owner_uid = geteuid();
        s->annotations = l->spec->annotations;
        s->rootless = l->rt->rootless;
        s->foreground = l->foreground;
        s->no_pivot = l->opts->no_pivot;
        s->intel_rdt = l->spec->linux_.intel_rdt.present;
        const struct husk_namespace *pidns = husk_spec_namespace(l->spec, HUSK_NS_PID);
        s->shared_pidns = !pidns || pidns->path;
        s->poststart = l->spec->hooks.poststart;
        s->poststop = l->spec->hooks.poststop;
        s->status = HUSK_STATUS_CREATING;
}

/* Remember the parent's pid or time namespace before pointing its children elsewhere. */
static int save_ns(const char *name, int *ret_fd, struct husk_error **err)
{
        if (*ret_fd >= 0)
                return 0;
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
        *ret_fd = open(path, O_RDONLY | O_CLOEXEC);
        return *ret_fd < 0 ? husk_error_set(err, errno, "open `%s`", path) : 0;
}

/*
 * A pid namespace joined by path has other members: an init born there would be visible to them for
 * all its set-up, in a copy of the host's mount namespace, and one holding CAP_SYS_PTRACE could open
 * its /proc/<pid>/root, the host's root. So the init sets up outside it and a process cloned into it
 * once the root is pivoted takes over (init.c: hand_over_to_init), with procfs mounted for that pid
 * namespace (its `pidns` option). A terminal is made by the set-up process (its /dev/console bind
 * comes before the root turns read-only) and taken as controlling terminal by the init that takes
 * over. Where that cannot be done as the spec wants it, the init is born in the namespace, as with
 * runc: with a user namespace, hooks that run while it sets up (they are given its pid, and
 * createContainer ones run in the container's namespaces before pivot_root), --no-pivot, or no
 * `pidns` option.
 */
static bool wants_late_pid_join(const struct husk_launch *l)
{
        const struct husk_hooks *hooks = &l->spec->hooks;
        return l->ns.join_fd[HUSK_NS_PID] >= 0 && !l->ns.has[HUSK_NS_USER] && (l->ns.new_flags & CLONE_NEWNS) &&
               !l->opts->no_pivot && !hooks->prestart.len &&
               !hooks->create_runtime.len && !hooks->create_container.len &&
               husk_mount_proc_pidns_supported(l->ns.join_fd[HUSK_NS_PID]);
}

/*
 * The pid and time namespaces apply to children only: the parent points its children at them
 * before clone3 and restore_parent_namespaces points them back, so the hooks it runs later
 * do not start inside the container.
 */
static int prepare_parent_namespaces(struct husk_launch *l, struct husk_error **err)
{
        int r;
        /* With a joined user namespace the intermediate joins the pid namespace (see spawn_init); with a
         * late join, the init itself once set up (late_pid_join). */
        if (l->ns.join_fd[HUSK_NS_PID] >= 0 && l->ns.join_fd[HUSK_NS_USER] < 0 && !l->late_pid_join) {
                r = save_ns("pid_for_children", &l->saved_pid_ns, err);
                if (r < 0 || (r = husk_ns_join(&l->ns, HUSK_NS_PID, err)) < 0)
                        return r;
        }
        if (l->ns.join_fd[HUSK_NS_TIME] >= 0) {
                r = save_ns("time_for_children", &l->saved_time_ns, err);
                if (r < 0 || (r = husk_ns_join(&l->ns, HUSK_NS_TIME, err)) < 0)
                        return r;
        }
        if (l->ns.new_flags & CLONE_NEWTIME) {
                /* Offsets can only be written before a process lives in the namespace, so the
                 * parent unshares it (for its children only) and the child is born inside. */
                r = save_ns("time_for_children", &l->saved_time_ns, err);
                if (r < 0)
                        return r;
                if (unshare(CLONE_NEWTIME) < 0)
                        return husk_error_set(err, errno, "create time namespace");
                r = husk_ns_write_time_offsets(l->spec, err);
                if (r < 0)
                        return r;
        } else if (l->spec->linux_.time_boottime.present || l->spec->linux_.time_monotonic.present) {
                return husk_error_set(err, 0, "config.json: linux.timeOffsets: requires a new time namespace");
        }
        return 0;
}

static int restore_parent_namespaces(struct husk_launch *l, struct husk_error **err)
{
        if (l->saved_pid_ns >= 0 && setns(l->saved_pid_ns, CLONE_NEWPID) < 0)
                return husk_error_set(err, errno, "restore the pid namespace for children");
        if (l->saved_time_ns >= 0 && setns(l->saved_time_ns, CLONE_NEWTIME) < 0)
                return husk_error_set(err, errno, "restore the time namespace for children");
        return 0;
}

/*
 * First thing in a child: its copy of the state dir's fd shares the create's flock, which a child stuck on its
 * way to close_parent_fds (joining a v1 freezer cgroup frozen meanwhile, say) would hold after the create died,
 * and `delete --force` would wait on it for ever. (A child frozen at birth runs nothing: husk refuses a frozen
 * cgroup, and unified cgroup.freeze, before it clones one.)
 */
static void drop_state_lock(struct husk_launch *l)
{
        if (l->dirfd >= 0)
                close(l->dirfd);
        l->dirfd = -1;
}

/*
 * The intermediate of a container joining a user namespace: it enters that namespace (then the pid
 * namespace joined by path, whose owner may be it) and clones the init with CLONE_PARENT and every new
 * namespace, which thus belong to the joined user namespace: a pid namespace made by husk, from outside,
 * would be owned by husk's, and the init could not mount its proc. Its own pid namespace stays husk's,
 * so the pid it reports is one husk can open.
 */
_Noreturn static void init_intermediate(struct husk_launch *l, struct husk_clone_args *args,
                                        struct husk_ns_relay *relay)
{
        struct husk_error *err = NULL;
        drop_state_lock(l);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != l->parent_pid)
                _exit(1);
        /* The init inherits it: once non-dumpable, its /proc/<pid> files are the host root's, which an
         * unprivileged husk could not write. */
        const struct husk_process *p = &l->spec->process;
        pid_t pid = -1;
        if (p->has_oom_score_adj && husk_oom_score_adj_apply(p->oom_score_adj, &err) < 0)
                husk_ns_relay_exit(relay, pid, err);
        /* Others live in the joined namespace: none may ptrace us (or the init, which inherits this) and
         * reach the host's files through our fds; unlike an init in a user namespace of its own, there are
         * no maps for the parent to write. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (husk_ns_join(&l->ns, HUSK_NS_USER, &err) == 0 && husk_ns_join(&l->ns, HUSK_NS_PID, &err) == 0) {
                pid = husk_clone3_in_cgroup(args, l->cgroup);
                if (pid == 0) {
                        husk_ns_relay_close(relay);
                        husk_init_main(l);
                }
                if (pid < 0)
                        husk_error_set(&err, errno,
                                       "clone the container init in the joined user namespace (flags %#llx)",
                                       (unsigned long long)args->flags);
        }
        husk_ns_relay_exit(relay, pid, err);
}

/* Clone the init through init_intermediate; its exit signal is the intermediate's, SIGCHLD. */
static int spawn_in_joined_userns(struct husk_launch *l, struct husk_clone_args *args, struct husk_error **err)
{
        struct husk_ns_relay relay;
        int r = husk_ns_relay_open(&relay, err);
        if (r < 0)
                return r;
        args->flags = (args->flags & ~(uint64_t)CLONE_PIDFD) | CLONE_PARENT;
        args->pidfd = 0;
        args->exit_signal = 0; /* the kernel refuses another one with CLONE_PARENT */
        pid_t intermediate = fork();
        if (intermediate < 0) {
                r = husk_error_set(err, errno, "fork");
                husk_ns_relay_close(&relay);
                return r;
        }
        if (intermediate == 0)
                init_intermediate(l, args, &relay);
        return husk_ns_relay_wait(&relay, intermediate, &l->pid, &l->pidfd, err);
}

/* husk_clone3 (fork-like), or husk_clone3_vfork running fn(arg) when fn is set. */
static pid_t clone_with(struct husk_clone_args *args, int (*fn)(void *), void *arg)
{
        return fn ? husk_clone3_vfork(args, fn, arg) : husk_clone3(args);
}

/* husk_clone3_in_cgroup, with clone_with's fn. */
static pid_t clone_in_cgroup(struct husk_clone_args *args, const struct husk_cgroup *cg, int (*fn)(void *), void *arg)
{
        pid_t pid = clone_with(args, fn, arg);
        /* Refused moves are fatal where the cgroup holds limits or was asked for; elsewhere (hybrid's
         * controller-less cgroup2, rootless without cgroupsPath) the process stays where husk is, as with runc. */
        if (pid < 0 && (errno == EACCES || errno == EPERM) && (args->flags & CLONE_INTO_CGROUP) && cg &&
            husk_cgroup_join_optional(cg)) {
                const char *path = husk_cgroup_path(cg);
                husk_debug("not placed in cgroup `%.*s` of the cgroup2 hierarchy (%s): %s", (int)strcspn(path, "\n"),
                           path, strerror(errno),
                           husk_cgroup_clone_places_all(cg) ? "rootless, not delegated" : "it has no controllers here");
                args->flags &= ~(uint64_t)CLONE_INTO_CGROUP;
                args->cgroup = 0;
                pid = clone_with(args, fn, arg);
        }
        return pid;
}

/* husk's children go to another time namespace than its own. Some kernels then refuse, with EINVAL, a
 * child that shares husk's memory, as they refuse a thread: Debian 12's 6.1 does, this host's 6.18 not. */
static bool time_ns_pending(const struct husk_launch *l)
{
        return (l->ns.new_flags & CLONE_NEWTIME) || l->ns.join_fd[HUSK_NS_TIME] >= 0;
}

/*
 * Whether the init may run in husk's memory until its exec (linux/vfork.h), which spares the copy of
 * husk's page tables and the copy-on-write faults on both sides after it. Only when:
 *  - its last exec in husk's image is the trampoline's, which protect.c grants only with a new pid
 *    namespace, no user namespace and no createContainer or startContainer hook (those conditions
 *    are not asked again here);
 *  - it needs nothing from husk before then, since husk waits meanwhile: nothing husk does between
 *    clone3 and GO (oom_score_adj, network devices, Intel RDT, a systemd unit, prestart and
 *    createRuntime hooks), no terminal (nor, with it, a console socket) or seccomp listener for
 *    husk to take (husk_init_main reads neither GO nor START then: a foreground `run`'s init execs
 *    the trampoline at once, and a created one's trampoline waits for `start` itself);
 *  - it changes nothing husk keeps using: it works on a copy of the launch and reads the spec, but
 *    takes idmapped trees out of their set (none is made yet when this is decided: asked of the spec),
 *    and drops the v1 hierarchies a rootless init may not join from the cgroup handle;
 *  - husk's children are born in husk's own time namespace (time_ns_pending).
 * Decided once, first in husk_launch_create, where the seccomp check needs it too.
 */
static bool has_idmapped_mounts(const struct husk_spec *spec)
{
        for (size_t i = 0; i < spec->mounts_len; i++)
                if (husk_mount_is_idmapped(&spec->mounts[i]))
                        return true;
        return false;
}

static bool init_may_share_memory(const struct husk_launch *l)
{
        const struct husk_spec *spec = l->spec;
        const struct husk_linux *lx = &spec->linux_;
        const struct husk_hooks *hooks = &spec->hooks;
        return l->trampoline_fd >= 0 && !spec->process.terminal && !spec->process.has_oom_score_adj &&
               !lx->net_devices_len && !lx->intel_rdt.present && !l->systemd.name && !hooks->prestart.len &&
               !hooks->create_runtime.len && !(l->seccomp && husk_seccomp_filter_has_listener(l->seccomp)) &&
               !l->rt->rootless && !time_ns_pending(l) && !has_idmapped_mounts(spec) && husk_vfork_usable();
}

/* The init's start in husk's memory: its set-up changes its launch, so it works on a copy. */
static int init_in_shared_memory(void *arg)
{
        struct husk_launch copy = *(const struct husk_launch *)arg;
        drop_state_lock(&copy);
        husk_init_main(&copy);
}

static int spawn_init(struct husk_launch *l, struct husk_error **err)
{
        int cgroup_fd = l->cgroup ? husk_cgroup_clone_fd(l->cgroup) : -1;
        unsigned long flags = l->ns.new_flags & ~(unsigned long)CLONE_NEWTIME;
        /* What the init makes itself, once in all its cgroups and root of its user namespace: a cgroup
         * namespace when it is not born in all its cgroups (it joins its v1 ones itself), and, with a new
         * user namespace, the ipc one, whose mqueue filesystem root takes its maker's ids (ours, which
         * that namespace does not map: /dev/mqueue would be nobody's). */
        l->ns_unshare = 0;
        if (!l->cgroup || !husk_cgroup_clone_places_all(l->cgroup))
                l->ns_unshare |= CLONE_NEWCGROUP;
        if (flags & CLONE_NEWUSER)
                l->ns_unshare |= CLONE_NEWIPC;
        l->ns_unshare &= flags;
        flags &= ~l->ns_unshare;
        struct husk_clone_args args = {
                .flags = flags | CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&l->pidfd,
                .exit_signal = SIGCHLD,
        };
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        l->parent_pid = getpid();
        if (l->ns.join_fd[HUSK_NS_USER] >= 0) {
                int r = spawn_in_joined_userns(l, &args, err);
                if (r < 0)
                        return r;
        } else {
                if (l->shares_memory)
                        husk_debug("the init runs in husk's memory until its exec");
                pid_t pid = clone_in_cgroup(&args, l->cgroup, l->shares_memory ? init_in_shared_memory : NULL, l);
                if (pid < 0)
                        return husk_error_set(err, errno, "clone the container init (flags %#llx)",
                                              (unsigned long long)args.flags);
                if (pid == 0) {
                        drop_state_lock(l);
                        husk_init_main(l);
                }
                l->pid = pid;
        }
        close(l->sync_child);
        l->sync_child = -1;
        /* The init has its copies; ours would keep the sources of the idmapped mounts busy. */
        husk_idmap_mounts_freep(&l->idmap_mounts);
        if (l->exec_listen_fd >= 0) {
                close(l->exec_listen_fd);
                l->exec_listen_fd = -1;
        }
        if (l->console_fd >= 0) {
                close(l->console_fd);
                l->console_fd = -1;
        }
        return restore_parent_namespaces(l, err);
}

pid_t husk_clone3_in_cgroup(struct husk_clone_args *args, const struct husk_cgroup *cg)
{
        return clone_in_cgroup(args, cg, NULL, NULL);
}

int husk_dirfd_socket_path(int dirfd, const char *name, char *buf, size_t len)
{
        /* sun_path holds 108 bytes and ids may be 1024: go through the dir's fd instead. */
        return snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name) < (int)len ? 0 : -ENAMETOOLONG;
}

/* The created init waits on this socket; `start` connects and learns how exec went. It is bound under
 * HUSK_CREATING_MARK and takes its own name once the init is ready. */
static int listen_exec_socket(struct husk_launch *l, struct husk_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (husk_dirfd_socket_path(l->dirfd, HUSK_CREATING_MARK, addr.sun_path, sizeof(addr.sun_path)) < 0)
                return husk_error_set(err, ENAMETOOLONG, "exec socket path");
        l->exec_listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (l->exec_listen_fd < 0)
                return husk_error_set(err, errno, "create exec socket");
        /* Only `start`, run by whoever made the container, connects: 0600 whatever the caller's umask, set
         * before listen() so that no connection is taken while it is wider. */
        if (bind(l->exec_listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            fchmodat(l->dirfd, HUSK_CREATING_MARK, 0600, 0) < 0 || listen(l->exec_listen_fd, 4) < 0)
                return husk_error_set(err, errno, "listen on `%s/%s/%s`", l->root, l->id, HUSK_CREATING_MARK);
        return 0;
}

static int record_cgroup(const char *path, void *ctx, struct husk_error **err)
{
        return husk_state_write_cgroup(*(const int *)ctx, path, err);
}

int husk_launch_cgroup_create(struct husk_launch *l, struct husk_error **err)
{
        const struct husk_cgroup_recorder recorder = {.record = record_cgroup, .ctx = &l->dirfd};
        int r = husk_cgroup_create(l->spec, l->id, l->rt->rootless, &recorder, &l->cgroup, err);
        if (r == 0)
                l->state.cgroup_path = (char *)husk_cgroup_path(l->cgroup);
        return r;
}

/* exec takes its defaults from the config the container was made from, not the bundle's now: the
 * text that was parsed, not the file read again (which may have changed since). */
int husk_launch_copy_config(struct husk_launch *l, struct husk_error **err)
{
        _cleanup_free_ char *text = TAKE_PTR(l->config_text);
        _cleanup_close_ int out = openat(l->dirfd, HUSK_CONFIG_COPY, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        int r = out < 0 ? -errno : husk_write_all(out, text, l->config_len);
        if (r < 0)
                return husk_error_set(err, -r, "write `%s/%s/%s`", l->root, l->id, HUSK_CONFIG_COPY);
        return 0;
}

static int compile_seccomp(struct husk_launch *l, struct husk_error **err)
{
        if (!l->spec->linux_.seccomp.present)
                return 0;
        if (l->seccomp) {
                husk_debug("seccomp filter from the cache");
                return 0;
        }
        _cleanup_free_ char *cache = husk_seccomp_cache_dir(l->root);
        if (!cache)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        /* The cache lives in the state root: a new root's first container fills it too. */
        _cleanup_error_ struct husk_error *root_err = NULL;
        if (husk_state_root_create(l->root, &root_err) < 0) {
                husk_debug("seccomp cache not used: %s", root_err->msg);
                free(cache);
                cache = NULL;
        }
        bool hit = false;
        int r = husk_seccomp_compile_cached(&l->spec->linux_.seccomp, cache, &l->seccomp, &hit, err);
        if (r == 0)
                husk_debug("seccomp filter %s", hit ? "from the cache" : "compiled");
        return r;
}

/* runc's rules: a detached terminal needs a console socket, and a console socket needs a terminal. */
static int check_terminal_options(struct husk_launch *l, struct husk_error **err)
{
        bool terminal = l->spec->process.terminal;
        if (terminal && !l->opts->console_socket && !l->foreground)
                return husk_error_set(err, 0, "process.terminal is true: --console-socket is required when husk "
                                              "does not stay in the foreground");
        if (!terminal && l->opts->console_socket)
                return husk_error_set(err, 0, "--console-socket needs process.terminal to be true");
        return 0;
}

/*
 * Without a mount namespace the init chroots into the rootfs and mounts nothing: mounts made there would
 * be the host's, and nothing would remove them. What needs a mount is refused rather than left undone.
 */
static int check_mount_namespace(const struct husk_spec *spec, struct husk_error **err)
{
        if (husk_spec_namespace(spec, HUSK_NS_MOUNT))
                return 0;
        const struct husk_linux *lx = &spec->linux_;
        const char *field = spec->mounts_len                              ? "mounts"
                            : lx->masked_paths && lx->masked_paths[0]     ? "linux.maskedPaths"
                            : lx->readonly_paths && lx->readonly_paths[0] ? "linux.readonlyPaths"
                            : lx->devices_len                             ? "linux.devices"
                            : lx->has_rootfs_propagation                  ? "linux.rootfsPropagation"
                            : spec->root.readonly                         ? "root.readonly"
                                                                          : NULL;
        if (!field)
                return 0;
        return husk_error_set(err, 0, "config.json: %s: needs a mount namespace, and linux.namespaces has none", field);
}

/* What the parent does for the init before releasing it: network devices, Intel RDT. */
static int setup_from_parent(struct husk_launch *l, struct husk_error **err)
{
        const struct husk_linux *lx = &l->spec->linux_;
        int r;
        if (lx->net_devices_len) {
                _cleanup_close_ int own = -1;
                int netns = l->ns.join_fd[HUSK_NS_NETWORK];
                if (netns < 0) {
                        char path[64];
                        snprintf(path, sizeof(path), "/proc/%d/ns/net", l->pid);
                        netns = own = open(path, O_RDONLY | O_CLOEXEC);
                        if (own < 0)
                                return husk_error_set(err, errno, "linux.netDevices: open `%s`", path);
                }
                if ((r = husk_netdev_move(lx->net_devices, lx->net_devices_len, netns, err)) < 0)
                        return husk_error_wrap(err, "linux.netDevices");
        }
        if (lx->intel_rdt.present && (r = husk_intel_rdt_apply(&lx->intel_rdt, l->id, l->pid, err)) < 0)
                return r;
        return 0;
}

/* Hooks that run in the runtime namespace while init waits, before pivot_root. */
static int run_create_runtime_hooks(struct husk_launch *l, struct husk_error **err)
{
        _cleanup_free_ char *json = husk_launch_state_json(&l->state, HUSK_STATUS_CREATING);
        int r = husk_hooks_run(&l->spec->hooks.prestart, "prestart", environ, l->bundle, json, err);
        if (r < 0)
                return r;
        return husk_hooks_run(&l->spec->hooks.create_runtime, "createRuntime", environ, l->bundle, json, err);
}

static int explain_init_exit(struct husk_launch *l, struct husk_error **err)
{
        /* The socket closes while init exits: give it a moment to become a zombie. */
        struct pollfd pfd = {.fd = l->pidfd, .events = POLLIN};
        poll(&pfd, 1, 1000);
        bool oom = false;
        _cleanup_error_ struct husk_error *ignored = NULL;
        if (l->cgroup && husk_cgroup_oom_killed(l->cgroup, &oom, &ignored) == 0 && oom)
                return husk_error_wrap(err, "container init was OOM-killed: memory limit too low?");
        /* Not killed, but a charge was refused at the limit (v2 memory.events max, v1 memory.failcnt): the init
         * then fails or dies on an ENOMEM of its own, which names no limit. Read only on this failure path. */
        struct husk_cgroup_stats stats;
        husk_error_freep(&ignored);
        if (l->cgroup && husk_cgroup_stats(l->cgroup, &stats, &ignored) == 0) {
                uint64_t failcnt = stats.memory.failcnt;
                husk_cgroup_stats_done(&stats);
                if (failcnt > 0)
                        return husk_error_wrap(err, "container init failed with its memory cgroup at the limit: "
                                                    "memory limit too low?");
        }
        siginfo_t info = {0};
        if (waitid(P_PIDFD, (id_t)l->pidfd, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
                return 0;
        if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)
                return husk_error_wrap(err, "container init killed by signal %d", info.si_status);
        return 0;
}

/* Take the init's seccomp listener fd and give it to the agent at linux.seccomp.listenerPath. */
static int hand_over_seccomp_listener(struct husk_launch *l, int fd_in_init, struct husk_error **err)
{
        _cleanup_close_ int fd = (int)syscall(SYS_pidfd_getfd, l->pidfd, fd_in_init, 0);
        if (fd < 0)
                return husk_error_set(err, errno, "linux.seccomp: take the listener fd from the container init");
        _cleanup_free_ char *json = husk_launch_state_json(&l->state, HUSK_STATUS_CREATING);
        const struct husk_seccomp *sc = &l->spec->linux_.seccomp;
        return husk_seccomp_send_listener(sc->listener_path, l->bundle, fd, l->pid, json, sc->listener_metadata, err);
}

#define GO_RECORD_MAX (64 * 1024)

/*
 * GO carries the state documents init needs for createContainer and startContainer hooks. They
 * run in the container's namespaces, so their pid is the one "as seen by the container" (1.2).
 */
static int send_go(struct husk_launch *l, struct husk_error **err)
{
        /* Set up and gone to the trampoline already. */
        if (l->shares_memory)
                return 0;
        _cleanup_free_ char *payload = NULL;
        if (l->spec->hooks.create_container.len || l->spec->hooks.start_container.len) {
                struct husk_state seen = l->state;
                seen.pid = husk_proc_ns_pid(l->pid);
                _cleanup_free_ char *creating = husk_launch_state_json(&seen, HUSK_STATUS_CREATING);
                _cleanup_free_ char *created = husk_launch_state_json(&seen, HUSK_STATUS_CREATED);
                if (!creating || !created || asprintf(&payload, "%s\n%s", creating, created) < 0)
                        return husk_error_set(err, ENOMEM, "state for hooks");
        }
        size_t len = payload ? strlen(payload) : 0;
        if (len <= GO_RECORD_MAX)
                return husk_sync_send(l->sync_parent, HUSK_SYNC_GO, 0, payload, len, err);
        /* A record is at most the socket's buffer (about 200 KiB): large annotations go in a memfd. */
        _cleanup_close_ int fd = memfd_create("husk-hook-state", MFD_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "state for hooks: memfd_create");
        int r = husk_write_all(fd, payload, len);
        if (r < 0)
                return husk_error_set(err, -r, "state for hooks: write the memfd");
        return husk_sync_send_fd(l->sync_parent, HUSK_SYNC_GO, fd, err);
}

/*
 * The init set up outside the joined pid namespace has cloned its successor into it (CLONE_PARENT:
 * our child, unreaped, so its pid is safe to open) and exits: that one is the container's init now.
 */
static int adopt_init(struct husk_launch *l, pid_t pid, struct husk_error **err)
{
        int pidfd = husk_pidfd_open(pid);
        if (pidfd < 0)
                return husk_error_set(err, errno, "open the container init %d", (int)pid);
        siginfo_t info;
        husk_pidfd_wait(l->pidfd, &info);
        close(l->pidfd);
        l->pidfd = pidfd;
        l->pid = l->state.pid = pid;
        l->state.pid_start_time = husk_proc_start_time(pid);
        return husk_state_write(l->dirfd, &l->state, err);
}

static int talk_to_init(struct husk_launch *l, struct husk_error **err)
{
        int r;
        /* A late pid join loads an early filter (without no_new_privs) before the hand-over (init.c): its listener
         * is taken from the init that takes over, which has it at the same number, not from the set-up process,
         * about to exit. */
        bool adopted = !l->late_pid_join;
        int listener_before_adoption = -1;
        while (true) {
                struct husk_sync_msg msg;
                r = husk_sync_recv(l->sync_parent, &msg, err);
                if (r < 0) {
                        explain_init_exit(l, err);
                        return r;
                }
                switch (msg.type) {
                case HUSK_SYNC_READY:
                        husk_sync_msg_done(&msg);
                        return 0;
                case HUSK_SYNC_TERMINAL:
                        if (l->terminal_master < 0)
                                l->terminal_master = TAKE_FD(msg.fd);
                        break;
                case HUSK_SYNC_SECCOMP_FD:
                        if (adopted)
                                r = hand_over_seccomp_listener(l, msg.value, err);
                        else
                                listener_before_adoption = msg.value;
                        break;
                case HUSK_SYNC_INIT_PID:
                        if (adopted) {
                                r = husk_error_set(err, EPROTO, "unexpected init pid from the container init");
                                break;
                        }
                        adopted = true;
                        r = adopt_init(l, msg.value, err);
                        if (r == 0 && listener_before_adoption >= 0)
                                r = hand_over_seccomp_listener(l, listener_before_adoption, err);
                        break;
                case HUSK_SYNC_HOOKS:
                        r = run_create_runtime_hooks(l, err);
                        if (r == 0)
                                r = husk_sync_send(l->sync_parent, HUSK_SYNC_HOOKS_DONE, 0, NULL, 0, err);
                        break;
                case HUSK_SYNC_GO:
                case HUSK_SYNC_HOOKS_DONE:
                case HUSK_SYNC_START:
                case HUSK_SYNC_ERROR:
                case HUSK_SYNC_EXEC_ERROR:
                        r = husk_error_set(err, EPROTO, "unexpected message %u from the container init", msg.type);
                        break;
                }
                husk_sync_msg_done(&msg);
                if (r < 0)
                        return r;
        }
}

int husk_launch_load(struct husk_launch *l, struct husk_error **err)
{
        l->dirfd = l->exec_listen_fd = l->start_conn = l->sync_parent = l->sync_child = l->pidfd = -1;
        l->console_fd = l->terminal_master = l->saved_pid_ns = l->saved_time_ns = l->pidfd_socket = -1;
        l->trampoline_fd = l->notify_fd = -1;
        for (int i = 0; i < HUSK_NS_COUNT; i++)
                l->ns.join_fd[i] = -1;

        int r = husk_id_validate(l->id, err);
        return r < 0 ? r : resolve_paths(l, err);
}

/*
 * Whether the container's namespace of this type is not husk's own: a new one, or one joined by a path (asked
 * only when `check_path`: there are sysctls to write) that is not the namespace husk runs in. A config that
 * joins the host's network namespace by path must not have net.* written there (runc compares them too).
 */
static bool namespace_private(const struct husk_spec *spec, enum husk_ns_type type, const char *proc_name,
                              bool check_path)
{
        const struct husk_namespace *ns = husk_spec_namespace(spec, type);
        if (!ns || !ns->path || !check_path)
                return ns != NULL;
        char self[32];
        snprintf(self, sizeof(self), "/proc/self/ns/%s", proc_name);
        struct stat joined, own;
        return stat(ns->path, &joined) < 0 || stat(self, &own) < 0 || joined.st_dev != own.st_dev ||
               joined.st_ino != own.st_ino;
}

int husk_launch_prepare(struct husk_launch *l, struct husk_error **err)
{
        int r = husk_launch_load(l, err);
        if (r < 0)
                return r;
        r = check_terminal_options(l, err);
        if (r < 0)
                return r;
        r = check_mount_namespace(l->spec, err);
        if (r < 0)
                return r;
        if (l->opts->notify_socket &&
            (r = husk_notify_edit_spec(l->spec, l->opts->notify_socket, l->root, l->id, err)) < 0)
                return r;
        r = husk_launch_systemd_plan(l, err);
        if (r < 0)
                return r;
        bool sysctls = l->spec->linux_.sysctl.len > 0;
        r = husk_sysctl_validate(&l->spec->linux_.sysctl, namespace_private(l->spec, HUSK_NS_NETWORK, "net", sysctls),
                                 namespace_private(l->spec, HUSK_NS_IPC, "ipc", sysctls),
                                 namespace_private(l->spec, HUSK_NS_UTS, "uts", sysctls), l->spec->domainname, err);
        if (r < 0)
                return r;
        r = husk_lsm_validate(l->spec, err);
        if (r < 0)
                return r;
        r = compile_seccomp(l, err);
        if (r < 0)
                return r;
        r = husk_ns_plan_open(l->spec, &l->ns, err);
        if (r < 0)
                return r;
        /* Every process cloned from here on must not expose a writable husk binary (CVE-2019-5736). */
        return husk_launch_protect(l, err);
}

/*
 * Whether the init says READY and waits for `start` (or `run`'s START) in husk's code under its filter: one loaded
 * before the user switch (process.c: without no_new_privs), or one with a listener, loaded right before READY
 * (init.c: husk takes the fd then). Not when the trampoline says READY and waits for a created container, which
 * protect.c has checked the filter lets it do. An init in husk's memory says READY and waits for nothing.
 */
static bool init_waits_filtered(const struct husk_launch *l)
{
        if (!l->seccomp || (l->spec->process.no_new_privileges && !husk_seccomp_filter_has_listener(l->seccomp)))
                return false;
        return l->foreground || l->trampoline_fd < 0;
}

int husk_launch_create(struct husk_launch *l, struct husk_error **err)
{
        int r;
        /* A joined user namespace has the init cloned by an intermediate (spawn_in_joined_userns). */
        l->shares_memory = l->ns.join_fd[HUSK_NS_USER] < 0 && init_may_share_memory(l);
        /* A profile recorded under runc, whose waiting init opens and writes a fifo, may refuse what husk's waits
         * with: said here, before anything exists, rather than by an init gone without a word before start. */
        if (init_waits_filtered(l) && !husk_launch_seccomp_allows_init_wait(l)) {
                if (l->spec->process.no_new_privileges)
                        return husk_error_set(err, EPERM,
                                              "linux.seccomp: the filter may refuse calls the container's init makes "
                                              "while it waits to be started (recvfrom, recvmsg, sendmsg, or writev if "
                                              "sendmsg fails with an errno; after create also accept4, close), and "
                                              "it has a listener, so it is loaded before that wait (husk takes the "
                                              "listener fd then): allow those calls");
                return husk_error_set(err, EPERM,
                                      "linux.seccomp: the filter may refuse calls the container's init makes while it "
                                      "waits to be started (recvfrom, recvmsg, sendmsg, or writev if sendmsg fails "
                                      "with an errno; after create also accept4, close, rt_sigaction), and it is "
                                      "loaded before that wait because process.noNewPrivileges is false: allow those "
                                      "calls, or set process.noNewPrivileges");
        }
        /* Checked before anything exists: a missing newuidmap or /etc/subuid entry is named up front. */
        struct husk_userns_plan userns_plan = {0};
        if ((l->ns.new_flags & CLONE_NEWUSER) && (r = husk_userns_plan(l->spec, &userns_plan, err)) < 0)
                return r;
        /* What the init cannot do inside its user namespace: idmapped mount trees (a bad entry fails
         * here, with nothing made) and the mount points a mapped root could not create in the rootfs. */
        if (l->ns.has[HUSK_NS_MOUNT]) {
                if (l->ns.has[HUSK_NS_USER] && l->spec->mounts_len &&
                    !(l->mount_points_made = calloc(l->spec->mounts_len, sizeof(bool))))
                        return husk_error_set(err, ENOMEM, "prepare the rootfs");
                struct husk_rootfs_config host = {.spec = l->spec,
                                                  .rootfs = l->rootfs,
                                                  .bundle = l->bundle,
                                                  .mount_points_made = l->mount_points_made};
                r = husk_rootfs_prepare_host(&host, l->ns.join_fd[HUSK_NS_USER], &l->idmap_mounts, err);
                if (r < 0)
                        return r;
        }
        if ((r = session_keyring_name(l, err)) < 0)
                return r;
        husk_launch_fill_state(l);

        /* From here on the host changes: every failure goes through husk_launch_abort. */
        r = husk_state_dir_create(l->root, l->id, &l->dirfd, err);
        if (r < 0)
                return r;
        r = husk_state_write(l->dirfd, &l->state, err);
        if (r < 0)
                goto fail;
        r = husk_launch_copy_config(l, err);
        if (r < 0)
                goto fail;
        /* The mount source of /run/notify; the foreground run's init may say READY=1 at once. */
        if (l->opts->notify_socket) {
                r = husk_notify_make_dir(l->dirfd, err);
                if (r == 0 && l->foreground)
                        r = husk_notify_listen(l->dirfd, &l->notify_fd, err);
                if (r < 0)
                        goto fail;
        }
        /* With --systemd-cgroup, systemd makes the cgroup around the init, once it exists. */
        if (!l->systemd.name) {
                r = husk_launch_cgroup_create(l, err);
                if (r < 0)
                        goto fail;
                /* Said here, before anything runs: the init would only get a bare EPERM from sched_setattr. */
                const struct husk_scheduler *sched = &l->spec->process.scheduler;
                if (sched->present && (sched->policy == SCHED_FIFO || sched->policy == SCHED_RR) &&
                    husk_cgroup_lacks_rt_runtime(l->cgroup)) {
                        r = husk_error_set(err, 0,
                                           "process.scheduler: a real-time policy needs real-time CPU time, and the "
                                           "container's cpu cgroup has none (cpu.rt_runtime_us is 0): set "
                                           "linux.resources.cpu.realtimeRuntime");
                        goto fail;
                }
        }
        if (!l->foreground) {
                r = listen_exec_socket(l, err);
                if (r < 0)
                        goto fail;
        } else {
                /* `run` releases its init over the sync socket; a plain file stands in for the socket. */
                int marker = openat(l->dirfd, HUSK_CREATING_MARK, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (marker < 0) {
                        r = husk_error_set(err, errno, "create `%s`", HUSK_CREATING_MARK);
                        goto fail;
                }
                close(marker);
        }
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                r = husk_error_set(err, errno, "create sync socket");
                goto fail;
        }
        l->sync_parent = sv[0];
        l->sync_child = sv[1];
        if (l->opts->console_socket) {
                r = husk_terminal_connect_socket(l->opts->console_socket, &l->console_fd, err);
                if (r < 0)
                        goto fail;
        }
        /* Connected before anything runs, so a bad socket fails the create, not a later step. */
        if (l->opts->pidfd_socket) {
                r = husk_fd_socket_connect(l->opts->pidfd_socket, "--pidfd-socket", &l->pidfd_socket, err);
                if (r < 0)
                        goto fail;
        }
        l->late_pid_join = wants_late_pid_join(l);
        r = prepare_parent_namespaces(l, err);
        if (r < 0)
                goto fail;
        r = spawn_init(l, err);
        if (r < 0)
                goto fail;
        l->state.pid = l->pid;
        l->state.pid_start_time = husk_proc_start_time(l->pid);
        if (l->systemd.name && (r = husk_launch_systemd_attach(l, err)) < 0)
                goto fail;
        if (l->ns.new_flags & CLONE_NEWUSER) {
                r = husk_userns_write_maps(l->pid, l->spec, &userns_plan, err);
                if (r < 0)
                        goto fail;
        }
        /* From here, not from init: inside a user namespace init may not write its own
         * oom_score_adj (the file belongs to the host's root while it is non-dumpable). Into a joined
         * user namespace, the init inherits it from init_intermediate. */
        if (l->spec->process.has_oom_score_adj && l->ns.join_fd[HUSK_NS_USER] < 0 &&
            (r = husk_oom_score_adj_apply_pid(l->pid, l->spec->process.oom_score_adj, err)) < 0)
                goto fail;
        r = setup_from_parent(l, err);
        if (r < 0)
                goto fail;
        r = husk_state_write(l->dirfd, &l->state, err);
        if (r < 0)
                goto fail;
        r = send_go(l, err);
        if (r < 0) {
                /* Refused: the init is gone already (at its memory limit, say). */
                explain_init_exit(l, err);
                goto fail;
        }
        r = talk_to_init(l, err);
        if (r < 0)
                goto fail;
        /* Ready: `start` and `exec` may have it now. Until here the init was still mounting, perhaps before
         * pivot_root: an exec would have joined a mount namespace that is still the host's. */
        if (renameat(l->dirfd, HUSK_CREATING_MARK, l->dirfd, HUSK_EXEC_SOCKET) < 0) {
                r = husk_error_set(err, errno, "rename `%s/%s/%s` to `%s`", l->root, l->id, HUSK_CREATING_MARK,
                                   HUSK_EXEC_SOCKET);
                goto fail;
        }
        if (l->opts->pid_file) {
                r = husk_write_pid_file(l->opts->pid_file, l->pid, err);
                if (r < 0)
                        goto fail;
        }
        if (l->pidfd_socket >= 0) {
                r = husk_send_fd(l->pidfd_socket, l->pidfd, "pidfd", err);
                if (r < 0)
                        goto fail;
        }
        return 0;
fail:
        husk_launch_abort(l);
        return r;
}

void husk_launch_abort(struct husk_launch *l)
{
        if (l->pidfd >= 0) {
                husk_pidfd_send_signal(l->pidfd, SIGKILL);
                siginfo_t info;
                husk_pidfd_wait(l->pidfd, &info);
        }
        _cleanup_error_ struct husk_error *ignored = NULL;
        if (l->cgroup && husk_cgroup_destroy(l->cgroup, &ignored) < 0) {
                _cleanup_free_ char *msg = husk_error_format(ignored);
                husk_warn("remove cgroup of `%s`: %s", l->id, msg ? msg : "failed");
        }
        husk_error_freep(&ignored);
        if (husk_launch_systemd_stop(l, &ignored) < 0) {
                _cleanup_free_ char *msg = husk_error_format(ignored);
                husk_warn("%s", msg ? msg : "systemd: stop unit failed");
        }
        if (l->spec && l->spec->linux_.intel_rdt.present && l->pid > 0) {
                husk_error_freep(&ignored);
                husk_intel_rdt_remove(&l->spec->linux_.intel_rdt, l->id, &ignored);
        }
        /* The spec sends a failed create on to delete, which runs poststop hooks. */
        if (l->spec && l->spec->hooks.poststop.len && l->dirfd >= 0) {
                _cleanup_free_ char *json = husk_launch_state_json(&l->state, HUSK_STATUS_STOPPED);
                husk_hooks_run_warn(&l->spec->hooks.poststop, "poststop", environ, l->bundle, json);
        }
        if (l->dirfd >= 0) {
                husk_error_freep(&ignored);
                if (husk_state_dir_remove(l->root, l->id, l->dirfd, &ignored) < 0) {
                        _cleanup_free_ char *msg = husk_error_format(ignored);
                        husk_warn("remove state of `%s`: %s", l->id, msg ? msg : "failed");
                }
        }
}

void husk_launch_release(struct husk_launch *l)
{
        int *fds[] = {&l->dirfd,        &l->exec_listen_fd, &l->start_conn,      &l->sync_parent,  &l->sync_child,
                      &l->pidfd,        &l->console_fd,     &l->terminal_master, &l->saved_pid_ns, &l->saved_time_ns,
                      &l->pidfd_socket, &l->trampoline_fd,  &l->notify_fd};
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                if (*fds[i] >= 0)
                        close(*fds[i]);
                *fds[i] = -1;
        }
        husk_ns_plan_close(&l->ns);
        husk_seccomp_filter_freep(&l->seccomp);
        husk_idmap_mounts_freep(&l->idmap_mounts);
        free(l->mount_points_made);
        l->mount_points_made = NULL;
        husk_cgroup_free(l->cgroup);
        l->cgroup = NULL;
        husk_systemd_unit_clear(&l->systemd);
        l->state.systemd_unit = NULL;
        husk_spec_free(l->spec);
        l->spec = NULL;
        free(l->config_text);
        l->config_text = NULL;
        free(l->bundle);
        free(l->rootfs);
        free(l->state.created);
        free(l->state.session_keyring);
        l->bundle = l->rootfs = l->state.created = l->state.session_keyring = NULL;
}

int husk_container_create(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                          struct husk_error **err)
{
        struct husk_launch l = {
                .rt = rt,
                .opts = opts,
                .root = husk_runtime_root(rt),
                .id = id,
        };
        int r = husk_launch_prepare(&l, err);
        if (r == 0)
                r = husk_launch_create(&l, err);
        husk_launch_release(&l);
        return r;
}
