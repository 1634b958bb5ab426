/* The container init: runs in the child of clone3, sets the container up, waits for start, execs. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/forward.h"
#include "container/process.h"
#include "container/sync.h"
#include "linux/exec.h"
#include "linux/hooks.h"
#include "linux/keyring.h"
#include "linux/loopback.h"
#include "linux/rootfs.h"
#include "linux/seccomp-filter.h"
#include "linux/terminal.h"
#include "linux/sysctls.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/path.h"
#include "util/syscalls.h"
#include "util/log.h"


struct init_hooks_state {
        char *creating; /* state JSON for createContainer */
        char *created;  /* state JSON for startContainer */
};

/*
 * The namespaces given by path (but a user one: init_intermediate in create.c made us in it, with
 * our new namespaces).
 */
static int join_namespaces(struct husk_launch *l, struct husk_error **err)
{
        static const enum husk_ns_type order[] = {HUSK_NS_IPC, HUSK_NS_UTS, HUSK_NS_NETWORK, HUSK_NS_CGROUP,
                                                  HUSK_NS_MOUNT};
        for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
                int r = husk_ns_join(&l->ns, order[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_hostname(const struct husk_spec *spec, bool new_uts, struct husk_error **err)
{
        if (spec->hostname && *spec->hostname) {
                if (!new_uts)
                        return husk_error_set(err, 0, "config.json: hostname: requires a uts namespace");
                if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                        return husk_error_set(err, errno, "hostname: set `%s`", spec->hostname);
        }
        if (spec->domainname && *spec->domainname) {
                if (!new_uts)
                        return husk_error_set(err, 0, "config.json: domainname: requires a uts namespace");
                if (setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
                        return husk_error_set(err, errno, "domainname: set `%s`", spec->domainname);
        }
        return 0;
}

/* runc creates a missing cwd (as root, before the user switch), inside the container root. */
static int ensure_cwd(const struct husk_process *process, struct husk_error **err)
{
        struct stat st;
        if (stat(process->cwd, &st) == 0)
                return 0;
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return husk_error_set(err, errno, "open `/`");
        _cleanup_close_ int dir = husk_path_mkdir_all_in_root(root, process->cwd, 0755, err);
        return dir < 0 ? husk_error_wrap(err, "process.cwd") : 0;
}

static int setup_terminal(struct husk_launch *l, struct husk_error **err)
{
        if (!l->spec->process.terminal)
                return 0;
        _cleanup_close_ int master = -1;
        /* A late pid join: the process that takes over makes it its controlling terminal. */
        int r = husk_terminal_setup(&l->spec->process, !l->late_pid_join, &master, err);
        if (r < 0)
                return r;
        if (l->console_fd >= 0) {
                r = husk_send_fd(l->console_fd, master, "/dev/ptmx", err);
                close(l->console_fd);
                l->console_fd = -1;
                return r;
        }
        /* husk relays it (husk_wait_forwarding): set before the process can write anything. */
        r = husk_terminal_clear_onlcr(master, err);
        return r < 0 ? r : husk_sync_send_fd(l->sync_child, HUSK_SYNC_TERMINAL, master, err);
}

static int setup_rootfs(struct husk_launch *l, const struct init_hooks_state *hs, struct husk_error **err)
{
        const struct husk_spec *spec = l->spec;
        /* Closed by husk_rootfs_finalize; on a failure before it, by the init's exit. */
        _cleanup_free_ int *ro_deferred_fds = spec->mounts_len ? malloc(spec->mounts_len * sizeof(int)) : NULL;
        if (spec->mounts_len && !ro_deferred_fds)
                return husk_error_set(err, ENOMEM, "set up the rootfs");
        for (size_t i = 0; i < spec->mounts_len; i++)
                ro_deferred_fds[i] = -1;
        struct husk_rootfs_config cfg = {
            .spec = spec,
            .rootfs = l->rootfs,
            .bundle = l->bundle,
            .no_pivot = l->opts->no_pivot,
            .in_userns = l->ns.has[HUSK_NS_USER],
            .new_netns = (l->ns.new_flags & CLONE_NEWNET) != 0,
            .console_path = NULL,
            .idmap_mounts = l->idmap_mounts,
            .cgroup_lines = l->cgroup_lines,
            .proc_in_pidns = l->late_pid_join,
            .proc_pidns_fd = l->ns.join_fd[HUSK_NS_PID],
            .ro_deferred_fds = ro_deferred_fds,
            .mount_points_made = l->mount_points_made,
        };
        bool mount_ns = l->ns.has[HUSK_NS_MOUNT];
        int r;
        if (mount_ns) {
                r = husk_rootfs_prepare(&cfg, err);
                if (r < 0)
                        return r;
        }
        if (spec->hooks.prestart.len || spec->hooks.create_runtime.len) {
                r = husk_sync_send(l->sync_child, HUSK_SYNC_HOOKS, 0, NULL, 0, err);
                if (r < 0)
                        return r;
                r = husk_sync_expect(l->sync_child, HUSK_SYNC_HOOKS_DONE, NULL, err);
                if (r < 0)
                        return r;
        }
        r = husk_hooks_run(&spec->hooks.create_container, "createContainer", spec->process.env, l->rootfs, hs->creating,
                           err);
        if (r < 0)
                return r;
        if (!mount_ns) {
                /* create.c refused what would need a mount. The host's /proc/sys shows our namespaces. */
                r = husk_sysctl_apply(&spec->linux_.sysctl, l->ns.has[HUSK_NS_NETWORK], l->ns.has[HUSK_NS_IPC],
                                      l->ns.has[HUSK_NS_UTS], err);
                if (r < 0)
                        return r;
                if (chroot(l->rootfs) < 0 || chdir("/") < 0)
                        return husk_error_set(err, errno, "chroot `%s`", l->rootfs);
                r = setup_terminal(l, err);
                return r < 0 ? r : ensure_cwd(&spec->process, err);
        }
        r = husk_rootfs_enter(&cfg, err);
        if (r < 0)
                return r;
        /* After pivot_root, so the pty lives in the container's devpts; before the rootfs turns read-only. */
        r = setup_terminal(l, err);
        if (r < 0)
                return r;
        r = ensure_cwd(&spec->process, err);
        if (r < 0)
                return r;
        /* Before finalize: readonlyPaths usually cover /proc/sys. */
        r = husk_sysctl_apply(&spec->linux_.sysctl, l->ns.has[HUSK_NS_NETWORK], l->ns.has[HUSK_NS_IPC],
                              l->ns.has[HUSK_NS_UTS], err);
        if (r < 0)
                return r;
        return husk_rootfs_finalize(&cfg, err);
}

/*
 * A late pid join (create.c: wants_late_pid_join): set up, pivoted and with procfs mounted for the
 * joined pid namespace, this process points its children at that namespace, becomes the container's
 * user, then clones the container's init into it (hand_over_to_init). Nothing husk runs was in that
 * namespace before the root was the container's, nor while it held more than the container's privileges:
 * a member of the pod with CAP_SYS_PTRACE (non-dumpable is no bar to it) could seize it and run syscalls
 * with them.
 */
static int join_pid_namespace(struct husk_launch *l, struct husk_error **err)
{
        if (setns(l->ns.join_fd[HUSK_NS_PID], CLONE_NEWPID) < 0)
                return husk_error_set(err, errno, "join the pid namespace `%s`",
                                      husk_spec_namespace(l->spec, HUSK_NS_PID)->path);
        return 0;
}

/*
 * The clone (CLONE_PARENT: husk's child): this process tells husk the new init's pid and exits; the new init
 * goes on from here, in a session of its own, where it takes the terminal as its controlling one.
 */
static int hand_over_to_init(struct husk_launch *l, bool clone3, struct husk_error **err)
{
        pid_t pid = husk_clone_parent(clone3);
        if (pid < 0)
                return husk_error_set(err, errno, "clone the container init into the joined pid namespace");
        if (pid == 0) {
                /* Ours was armed against the set-up process's parent; this one's is husk too. */
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                if (setsid() < 0)
                        return husk_error_set(err, errno, "setsid");
                /* The pty setup_terminal left on our stdio, never the set-up process's terminal. */
                if (l->spec->process.terminal)
                        return husk_terminal_make_controlling(STDIN_FILENO, err);
                return 0;
        }
        if (husk_sync_send(l->sync_child, HUSK_SYNC_INIT_PID, pid, NULL, 0, err) < 0) {
                kill(pid, SIGKILL);
                return -1;
        }
        _exit(0);
}

static void stop_on_signal(int sig)
{
        _exit(128 + sig);
}

/*
 * A created init waiting for `start` ends on SIGTERM, SIGINT, SIGHUP and SIGQUIT, with 128+N, as runc's
 * waiting `runc init` does (and the trampoline when it waits): as pid 1 of its pid namespace, with the
 * default dispositions it would ignore `kill ID`. The program's execve resets them.
 */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};

static int end_on_stop_signals(struct husk_error **err)
{
        struct sigaction sa = {.sa_handler = stop_on_signal};
        for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
                if (sigaction(stop_signals[i], &sa, NULL) < 0)
                        return husk_error_set(err, errno, "handle signal %d while waiting for start", stop_signals[i]);
        return 0;
}

bool husk_init_seccomp_allows_waiting(const struct husk_seccomp_filter *filter, bool signals)
{
        for (size_t i = 0; signals && i < ARRAY_SIZE(stop_signals); i++) {
                const uint64_t handle[6] = {[0] = (uint64_t)stop_signals[i], [2] = 0, [3] = 8};
                if (!husk_seccomp_filter_allows_or_notifies(filter, SYS_rt_sigaction, handle,
                                                            1U << 0 | 1U << 2 | 1U << 3))
                        return false;
        }
        const uint64_t accept_args[6] = {[1] = 0, [2] = 0, [3] = SOCK_CLOEXEC};
        const uint64_t none[6] = {0};
        return husk_seccomp_filter_allows_or_notifies(filter, SYS_accept4, accept_args, 1U << 1 | 1U << 2 | 1U << 3) &&
               husk_seccomp_filter_allows_or_notifies(filter, SYS_close, none, 0);
}

/* Wait for `run`'s START on the sync socket, or for `start` on the exec socket (kept in start_conn
 * so that a later failure reaches the caller of start). */
static int wait_for_start(struct husk_launch *l, struct husk_error **err)
{
        /* husk waits for our exec, in the memory we share (create.c: init_may_share_memory). */
        if (l->shares_memory)
                return 0;
        if (l->foreground)
                return husk_sync_expect(l->sync_child, HUSK_SYNC_START, NULL, err);
        /* create has returned: nobody reads the sync socket any more. */
        close(l->sync_child);
        l->sync_child = -1;
        while (true) {
                int conn = accept4(l->exec_listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return husk_error_set(err, errno, "wait for start");
                }
                _cleanup_error_ struct husk_error *ignored = NULL;
                if (husk_sync_expect(conn, HUSK_SYNC_START, NULL, &ignored) == 0) {
                        l->start_conn = conn;
                        close(l->exec_listen_fd);
                        l->exec_listen_fd = -1;
                        return 0;
                }
                close(conn); /* a peer that went away before saying start */
        }
}

/* GO, and its payload: in the record, or in a memfd for one too large for it (create.c: send_go). */
static int receive_go(int fd, char **ret_payload, struct husk_error **err)
{
        struct husk_sync_msg msg;
        int r = husk_sync_recv(fd, &msg, err);
        if (r < 0)
                return r;
        if (msg.type != HUSK_SYNC_GO) {
                husk_sync_msg_done(&msg);
                return husk_error_set(err, EPROTO, "expected `go` from husk, got message %u", msg.type);
        }
        struct stat st;
        if (msg.fd >= 0 && fstat(msg.fd, &st) == 0 && st.st_size > 0) {
                char *text = malloc((size_t)st.st_size + 1);
                r = !text                            ? -ENOMEM
                    : lseek(msg.fd, 0, SEEK_SET) < 0 ? -errno
                                                     : husk_read_all(msg.fd, text, (size_t)st.st_size);
                if (r < 0) {
                        free(text);
                        husk_sync_msg_done(&msg);
                        return husk_error_set(err, -r, "read the state for hooks");
                }
                text[st.st_size] = '\0';
                free(msg.payload);
                msg.payload = text;
        }
        *ret_payload = TAKE_PTR(msg.payload);
        husk_sync_msg_done(&msg);
        return 0;
}

static int init_setup(struct husk_launch *l, struct husk_process_setup *setup, struct init_hooks_state *hs,
                      char **ret_exec_path, struct husk_error **err)
{
        const struct husk_spec *spec = l->spec;

        _cleanup_free_ char *payload = NULL;
        int r = l->shares_memory ? 0 : receive_go(l->sync_child, &payload, err);
        if (r < 0)
                return r;
        if (payload) {
                char *nl = strchr(payload, '\n');
                if (nl) {
                        *nl = '\0';
                        hs->created = strdup(nl + 1);
                }
                hs->creating = TAKE_PTR(payload);
        }
        /* The parent has written what it writes into our /proc/<pid> (id maps, oom_score_adj). */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        /* Root of our user namespace, now that the maps exist. Root of a joined one too, as with runc:
         * we came in with husk's host ids, which it need not map, and could not create files in the
         * filesystems we mount there (EOVERFLOW). */
        if (l->ns.has[HUSK_NS_USER] && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
                if (l->ns.new_flags & CLONE_NEWUSER)
                        return husk_error_set(err, errno,
                                              "become root in the user namespace: linux.uidMappings and "
                                              "linux.gidMappings must map container id 0");
                return husk_error_set(err, errno,
                                      "become root in the joined user namespace `%s`: its uid and gid maps must "
                                      "map id 0",
                                      husk_spec_namespace(spec, HUSK_NS_USER)->path);
        }
        if (l->ns_unshare && unshare((int)l->ns_unshare) < 0)
                return husk_error_set(err, errno, "create the %s namespace",
                                      l->ns_unshare == CLONE_NEWIPC      ? "ipc"
                                      : l->ns_unshare == CLONE_NEWCGROUP ? "cgroup"
                                                                         : "ipc and the cgroup");
        if (l->state.session_keyring) {
                r = husk_keyring_create_session(l->state.session_keyring, l->ns.has[HUSK_NS_USER],
                                                spec->process.selinux_label, err);
                if (r < 0)
                        return r;
        }
        r = join_namespaces(l, err);
        if (r < 0)
                return r;
        if (l->ns.new_flags & CLONE_NEWNET) {
                r = husk_loopback_up(err);
                if (r < 0)
                        return r;
        }
        /* The root of a user namespace has the host permissions of the id it maps to, often none on
         * the directories above a bundle made by the host's root: say so rather than fail a mount. */
        if (l->ns.has[HUSK_NS_USER] && access(l->rootfs, X_OK) < 0)
                return husk_error_set(err, errno,
                                      "root.path `%s`: not reachable by the container's root, which acts as the "
                                      "host id linux.uidMappings maps 0 to: make every directory above it "
                                      "searchable by that id (e.g. `chmod o+x`)",
                                      l->rootfs);
        if (setsid() < 0)
                return husk_error_set(err, errno, "setsid");
        r = setup_rootfs(l, hs, err);
        if (r < 0)
                return r;
        r = set_hostname(spec, l->ns.has[HUSK_NS_UTS], err);
        if (r < 0)
                return r;
        if (l->late_pid_join && (r = join_pid_namespace(l, err)) < 0)
                return r;
        /* A gid map written without newgidmap by an unprivileged user denies setgroups; so may a
         * joined user namespace, or that of a rootless husk when the container has none of its own
         * (rootless podman: husk runs as root of a user namespace podman made, with a single-id map
         * when the user has no /etc/subgid range). */
        if ((l->ns.has[HUSK_NS_USER] || l->rt->rootless) && !husk_userns_setgroups_allowed(0)) {
                setup->setgroups_allowed = false;
                if (spec->process.user.additional_gids_len)
                        return husk_error_set(err, EPERM,
                                              "process.user.additionalGids: setgroups is denied in the container's "
                                              "user namespace: remove them, or have the gid map written by "
                                              "newgidmap (a range from /etc/subgid)");
        }
        /* The init is born as the container's user, unless what comes after that does not let the hand-over
         * through (an early seccomp filter recorded from a program that never forks, a deadline scheduler) or the
         * LSM exec label must be written to our /proc/thread-self, which the joined namespace's /proc does not
         * show: then it is made first, as runc's (that LSM's own rules keep its container from ptracing it). */
        const struct husk_process *p = &spec->process;
        bool lsm = (p->apparmor_profile && *p->apparmor_profile) || (p->selinux_label && *p->selinux_label);
        bool clone3 = true,
             hand_over_first = l->late_pid_join && (lsm || !husk_process_can_clone_after(setup, true, &clone3));
        if (hand_over_first && (r = hand_over_to_init(l, clone3, err)) < 0)
                return r;
        r = husk_process_prepare(setup, err);
        if (r < 0)
                return r;
        r = husk_process_become_user(setup, ret_exec_path, err);
        if (r < 0 || !l->late_pid_join || hand_over_first)
                return r;
        return hand_over_to_init(l, clone3, err);
}

static int compare_ints(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/*
 * Close every fd the parent held that the init does not need (cgroup dirs, namespace fds...):
 * before pivot_root, a host directory left open would be reachable from the container as
 * /proc/self/fd/N, e.g. as process.cwd (CVE-2024-21626). O_CLOEXEC only acts at execve.
 */
static void close_parent_fds(struct husk_launch *l, int memory_cgroup_fd)
{
        int keep[6 + HUSK_NS_COUNT] = {l->sync_child, l->exec_listen_fd, l->console_fd, husk_log_fd(),
                                       l->trampoline_fd, memory_cgroup_fd};
        size_t n = 6;
        for (int i = 0; i < HUSK_NS_COUNT && n < ARRAY_SIZE(keep); i++)
                if (l->ns.join_fd[i] >= 0)
                        keep[n++] = l->ns.join_fd[i];
        qsort(keep, n, sizeof(int), compare_ints);
        /* The idmapped mount trees too (ascending), until husk_rootfs_prepare attaches them. */
        size_t n_trees = 0;
        const int *trees = husk_idmap_mounts_fds(l->idmap_mounts, &n_trees);
        int next = 3 + l->opts->preserve_fds;
        for (size_t i = 0, j = 0; i < n || j < n_trees;) {
                int fd = j == n_trees || (i < n && keep[i] < trees[j]) ? keep[i++] : trees[j++];
                if (fd < next)
                        continue;
                if (fd > next)
                        syscall(SYS_close_range, (unsigned)next, (unsigned)fd - 1, 0);
                next = fd + 1;
        }
        syscall(SYS_close_range, (unsigned)next, ~0U, 0);
        /* The cgroup's dir fds are gone now: the init never uses its copy of the handle. */
        l->cgroup = NULL;
        l->saved_pid_ns = l->saved_time_ns = l->dirfd = l->sync_parent = l->pidfd = -1;
}

_Noreturn void husk_init_main(struct husk_launch *l)
{
        struct husk_error *err = NULL;
        struct init_hooks_state hs = {0};
        _cleanup_free_ char *exec_path = NULL;
        int memory_cgroup_fd = -1;

        /* First, before anything else runs in this process: clone3 put us in our cgroup2 cgroup,
         * and joining the v1 ones ourselves is cheaper than the parent moving us. A v1 memory
         * cgroup waits until our set-up is done: what husk faults in and allocates for the
         * container until then is husk's, not the container's to pay from its limit. Not with
         * hooks before poststop: those inside the container count as its own, and those outside
         * may look at where the container's process is while we are not done; nor with a cgroup
         * namespace, which we make soon and must be rooted in all our cgroups. */
        const struct husk_hooks *hooks = &l->spec->hooks;
        bool defer_memory = !hooks->prestart.len && !hooks->create_runtime.len && !hooks->create_container.len &&
                            !hooks->start_container.len && !hooks->poststart.len &&
                            !(l->ns.new_flags & CLONE_NEWCGROUP);
        if (l->cgroup && husk_cgroup_enter_self(l->cgroup, defer_memory ? &memory_cgroup_fd : NULL, &err) < 0)
                goto fail;
        /* For the container's view of /sys/fs/cgroup, which is mounted before the memory cgroup is joined. */
        if (l->cgroup && husk_cgroup_member_lines(l->cgroup, &l->cgroup_lines, &err) < 0)
                goto fail;
        /* The parent's ends, its lock and its host directories stay with the parent. */
        close_parent_fds(l, memory_cgroup_fd);
        /* Until execve nobody in the container may open our /proc/<pid>/exe or ptrace us (CVE-2019-5736).
         * With a user namespace, an unprivileged parent still has to open our /proc/<pid> files (itself
         * or through the setuid newuidmap, which checks that we are its caller's): we stay dumpable
         * until GO, while nothing of the container runs yet. (Not decided by geteuid(): it reads 0 here
         * as soon as the parent has written the uid map.) Cloned into a joined user namespace we are
         * non-dumpable from birth (init_intermediate). */
        if (!l->ns.has[HUSK_NS_USER])
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        husk_signals_reset(l->signals_forwarded);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* The parent died before PDEATHSIG was armed (getppid is 0 across a pid namespace). */
        pid_t ppid = getppid();
        if (ppid != 0 && ppid != l->parent_pid)
                _exit(1);

        /* The parent wrote oom_score_adj (see husk_launch_create). */
        struct husk_process process = l->spec->process;
        process.has_oom_score_adj = false;
        struct husk_process_setup setup = {
                .process = &process,
                .personality = &l->spec->linux_.personality,
                .memory_policy = &l->spec->linux_.memory_policy,
                .seccomp = l->seccomp,
                .sync_fd = l->sync_child,
                .trampoline_fd = l->trampoline_fd,
                .exec_error_fd = l->sync_child,
                .start_fd = -1,
                .memory_cgroup_fd = &memory_cgroup_fd,
                .setgroups_allowed = true,
        };
        int r = init_setup(l, &setup, &hs, &exec_path, &err);
        if (r < 0)
                goto fail;
        /* A created container's init waits for `start` in the trampoline (protect.c), which says READY. */
        bool trampoline_waits = !l->foreground && l->trampoline_fd >= 0;
        /* Seen from outside (a `create` is ready), the init is in every cgroup of the container. A
         * foreground `run` is released at once: it joins at its exec (husk_process_exec), and so does
         * a waiting trampoline, before it says READY (what its exec charged stays husk's). */
        if (!l->foreground && !trampoline_waits && (r = husk_cgroup_enter_memory(&memory_cgroup_fd, &err)) < 0)
                goto fail;
        /* From here husk may exit: init must outlive it. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        if (trampoline_waits) {
                setup.start_fd = l->exec_listen_fd;
                husk_process_exec(&setup, exec_path, 3 + l->opts->preserve_fds, &err);
                goto fail;
        }
        if (!l->foreground && (r = end_on_stop_signals(&err)) < 0)
                goto fail;
        /* A filter with a listener, when husk_process_become_user left it for later (no_new_privs): loaded now,
         * after the user switch and capabilities and as late as it can be while husk still reads the sync socket
         * to take the fd, as runc's (the wait for start runs under it: husk_launch_create checked that it may). */
        if (l->seccomp && husk_seccomp_filter_has_listener(l->seccomp) &&
            (r = husk_process_seal(&setup, 3 + l->opts->preserve_fds, &err)) < 0)
                goto fail;
        r = husk_sync_send(l->sync_child, HUSK_SYNC_READY, 0, NULL, 0, &err);
        if (r < 0)
                goto fail;
        r = wait_for_start(l, &err);
        if (r < 0)
                goto fail;
        if (l->spec->hooks.start_container.len) {
                /* Programs in the container's namespaces, likely from its image: under its seccomp filter. */
                r = husk_process_seal(&setup, 3 + l->opts->preserve_fds, &err);
                if (r == 0)
                        r = husk_hooks_run(&l->spec->hooks.start_container, "startContainer", l->spec->process.env,
                                           NULL, hs.created, &err);
                if (r < 0)
                        goto fail;
        }
        if (l->start_conn >= 0)
                setup.exec_error_fd = l->start_conn;
        husk_process_exec(&setup, exec_path, 3 + l->opts->preserve_fds, &err);
fail:
        /* Before start the parent listens on the sync socket; after it, `start` on its connection. */
        husk_sync_send_error(l->start_conn >= 0 ? l->start_conn : l->sync_child, err);
        _exit(127);
}
