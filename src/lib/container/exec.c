/* exec: run another process in a running container's namespaces, cgroup and security context. */
#include "container/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "container/forward.h"
#include "container/lifecycle.h"
#include "container/process.h"
#include "container/ns-relay.h"
#include "container/seccomp-lookup.h"
#include "container/sync.h"
#include "linux/keyring.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/oom-score.h"
#include "linux/seccomp-filter.h"
#include "linux/selfprotect.h"
#include "linux/terminal.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/syscalls.h"

struct exec_ctx {
        const struct husk_exec_options *opts;
        struct husk_spec *spec; /* the container's config, its process replaced by exec's */
        struct husk_state *state;
        struct husk_seccomp_filter *seccomp;
        struct husk_cgroup *cgroup;
        unsigned long ns_flags; /* namespaces of the container to join, pid included */
        bool setgroups_allowed; /* in its user namespace: denied where an unprivileged husk wrote the gid map */
        int pidfd;              /* the container init */
        int pidfd_socket;       /* connected --pidfd-socket, -1 when none */
        int root_fd;            /* init's root, for --no-pivot containers */
        int sync_parent, sync_child;
        int console_fd;
        int terminal_master;
        int memory_cgroup_fd;   /* in the exec'd process: its v1 memory cgroup, joined last (init.c) */
        pid_t child;
        int child_pidfd;
        struct husk_ns_relay relay; /* from the intermediate of spawn_through_userns */
};

static int replace_strv(char ***dst, char **src, struct husk_error **err)
{
        size_t n = 0;
        while (src && src[n])
                n++;
        char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return husk_error_set(err, ENOMEM, "exec");
        for (size_t i = 0; i < n; i++)
                if (!(v[i] = strdup(src[i]))) {
                        strv_free(v);
                        return husk_error_set(err, ENOMEM, "exec");
                }
        strv_free(*dst);
        *dst = v;
        return 0;
}

/* -e entries go after the config's env, as runc appends them: the last value of a name is the one the
 * process gets (husk_user_env). */
static int merge_env(struct husk_process *p, char **extra, struct husk_error **err)
{
        size_t n = 0, m = 0;
        while (p->env && p->env[n])
                n++;
        while (extra && extra[m])
                m++;
        if (m == 0)
                return 0;
        /* Every copy is made before p->env changes: a failure leaves it whole. */
        _cleanup_strv_ char **dups = calloc(m + 1, sizeof(char *));
        char **v = dups ? calloc(n + m + 1, sizeof(char *)) : NULL;
        if (!v)
                return husk_error_set(err, ENOMEM, "exec --env");
        for (size_t i = 0; i < m; i++)
                if (!(dups[i] = strdup(extra[i]))) {
                        free(v);
                        return husk_error_set(err, ENOMEM, "exec --env");
                }
        memcpy(v, p->env, n * sizeof(char *));
        memcpy(v + n, dups, m * sizeof(char *));
        free(TAKE_PTR(dups)); /* the strings are v's now */
        free(p->env);
        p->env = v;
        return 0;
}

bool husk_exec_parse_id(const char *text, size_t len, uint32_t *ret)
{
        size_t i = len > 1 && text[0] == '+';
        if (i == len)
                return false;
        uint64_t v = 0;
        for (; i < len; i++) {
                if (text[i] < '0' || text[i] > '9' || (v = v * 10 + (uint64_t)(text[i] - '0')) > HUSK_ID_MAX)
                        return false;
        }
        *ret = (uint32_t)v;
        return true;
}

static int parse_user(const char *text, struct husk_user *user, struct husk_error **err)
{
        const char *colon = strchr(text, ':');
        uint32_t uid, gid = user->gid;
        if (!husk_exec_parse_id(text, colon ? (size_t)(colon - text) : strlen(text), &uid) ||
            (colon && !husk_exec_parse_id(colon + 1, strlen(colon + 1), &gid)))
                return husk_error_set(err, 0, "exec --user: `%s` is not UID[:GID]", text);
        user->uid = uid;
        user->gid = gid;
        return 0;
}

static int apply_flags(struct exec_ctx *c, struct husk_error **err)
{
        const struct husk_exec_options *o = c->opts;
        struct husk_process *p = &c->spec->process;
        int r;
        if (!o->args || !o->args[0])
                return husk_error_set(err, 0, "exec: no command given (and no --process)");
        if ((r = replace_strv(&p->args, o->args, err)) < 0 || (r = merge_env(p, o->env, err)) < 0)
                return r;
        /* Empty is unset, as runc's: `--cwd "$DIR"` with DIR empty. */
        if (o->cwd && *o->cwd) {
                if (o->cwd[0] != '/')
                        return husk_error_set(err, 0, "exec --cwd: `%s` is not absolute", o->cwd);
                free(p->cwd);
                if (!(p->cwd = strdup(o->cwd)))
                        return husk_error_set(err, ENOMEM, "exec");
        }
        if (o->user && (r = parse_user(o->user, &p->user, err)) < 0)
                return r;
        if (o->additional_gids_len) {
                size_t n = p->user.additional_gids_len;
                gid_t *g = realloc(p->user.additional_gids, (n + o->additional_gids_len) * sizeof(gid_t));
                if (!g)
                        return husk_error_set(err, ENOMEM, "exec");
                memcpy(g + n, o->additional_gids, o->additional_gids_len * sizeof(gid_t));
                p->user.additional_gids = g;
                p->user.additional_gids_len = n + o->additional_gids_len;
        }
        for (char **cap = o->caps; cap && *cap; cap++) {
                int n = husk_capability_from_name(*cap);
                if (n < 0)
                        return husk_error_set(err, 0, "exec --cap: unknown capability `%s`", *cap);
                uint64_t bit = 1ULL << n;
                p->capabilities.present = true;
                p->capabilities.bounding |= bit;
                p->capabilities.effective |= bit;
                p->capabilities.permitted |= bit;
                /* Ambient needs inheritable: only where the config already grants inheritable caps. */
                if (p->capabilities.inheritable) {
                        p->capabilities.inheritable |= bit;
                        p->capabilities.ambient |= bit;
                }
        }
        if (o->no_new_privs >= 0)
                p->no_new_privileges = o->no_new_privs;
        if (o->process_label && (free(p->selinux_label), !(p->selinux_label = strdup(o->process_label))))
                return husk_error_set(err, ENOMEM, "exec");
        if (o->apparmor && (free(p->apparmor_profile), !(p->apparmor_profile = strdup(o->apparmor))))
                return husk_error_set(err, ENOMEM, "exec");
        p->terminal = o->tty;
        return 0;
}

static int read_process_file(const char *path, char **ret, size_t *ret_len, struct husk_error **err)
{
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        if (!f)
                return husk_error_set(err, errno, "exec --process: open `%s`", path);
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        while (buf) {
                size_t n = fread(buf + len, 1, cap - len, f);
                len += n;
                if (n == 0)
                        break;
                if (len == cap) {
                        char *grown = realloc(buf, cap *= 2);
                        if (!grown)
                                free(buf);
                        buf = grown;
                }
        }
        if (f != stdin)
                fclose(f);
        if (!buf)
                return husk_error_set(err, ENOMEM, "exec --process");
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* The process to run: from --process, or the container's with the command line's changes. */
static int build_process(struct exec_ctx *c, const char *root, int dirfd, struct husk_error **err)
{
        struct husk_seccomp_lookup lookup = {.root = root};
        const struct husk_spec_parse_options opts = {.rules_known = husk_seccomp_rules_cached, .data = &lookup};
        int r = husk_state_read_config(dirfd, &opts, &c->spec, err);
        c->seccomp = lookup.filter; /* the container's filter, when the cache has it */
        if (r < 0)
                return husk_error_wrap(err, "read the container's config");
        if (!c->opts->process_file)
                return apply_flags(c, err);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        r = read_process_file(c->opts->process_file, &text, &len, err);
        if (r < 0)
                return r;
        struct husk_process *p = NULL;
        const char *name = strrchr(c->opts->process_file, '/');
        r = husk_process_parse(text, len, name ? name + 1 : c->opts->process_file, &p, err);
        if (r < 0)
                return r;
        husk_process_clear(&c->spec->process);
        c->spec->process = *p;
        free(p);
        return 0;
}

/* runc's exec: the container's namespaces as listed in its config. */
static unsigned long namespaces_of(const struct husk_spec *spec)
{
        unsigned long flags = 0;
        for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
                flags |= husk_ns_clone_flag(spec->linux_.namespaces[i].type);
        return flags;
}

static void close_fds(int first, int last)
{
        if (syscall(SYS_close_range, (unsigned int)first, (unsigned int)last, 0) == 0)
                return;
        for (int fd = first; fd <= last && fd < 65536; fd++) /* kernels before 5.9 */
                close(fd);
}

static int compare_fds(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

/*
 * Close every fd but stdio, the preserved ones and those the child still needs, before it enters
 * the container: a host directory left open (cgroup dirs, for one) would be reachable from inside
 * as /proc/self/fd/N, e.g. through --cwd (CVE-2024-21626). O_CLOEXEC only helps at execve.
 */
static void close_host_fds(struct exec_ctx *c)
{
        husk_cgroup_freep(&c->cgroup);
        int first = 3 + c->opts->preserve_fds;
        int keep[] = {c->sync_child, c->console_fd, c->pidfd, c->root_fd, c->relay.write_fd, c->memory_cgroup_fd};
        qsort(keep, ARRAY_SIZE(keep), sizeof(int), compare_fds);
        for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
                if (keep[i] < first)
                        continue;
                if (keep[i] > first)
                        close_fds(first, keep[i] - 1);
                first = keep[i] + 1;
        }
        close_fds(first, INT_MAX);
}

/*
 * The pty: on our stdio, its master to the console socket or to husk. The controlling terminal of the
 * exec'd process only once it leads its own session: at once where it is that process (controlling),
 * else after its setsid (exec_child).
 */
static int hand_over_terminal(struct exec_ctx *c, bool controlling, struct husk_error **err)
{
        _cleanup_close_ int master = -1, peer = -1;
        int r = husk_terminal_open(&c->spec->process, &master, &peer, err);
        if (r < 0 || (r = controlling ? husk_terminal_make_stdio(peer, err) : husk_terminal_dup_stdio(peer, err)) < 0 ||
            (c->console_fd < 0 && (r = husk_terminal_clear_onlcr(master, err)) < 0))
                return r;
        r = c->console_fd >= 0 ? husk_send_fd(c->console_fd, master, "/dev/ptmx", err)
                               : husk_sync_send_fd(c->sync_child, HUSK_SYNC_TERMINAL, master, err);
        /* Said while the master is open: its close hangs up a controlling terminal, and the SIGHUP would
         * end us first, the EOF telling husk that the program runs. */
        if (r < 0 && controlling) {
                husk_sync_send_error(c->sync_child, *err);
                _exit(127);
        }
        if (c->console_fd >= 0)
                close(c->console_fd);
        c->console_fd = -1;
        return r;
}

/* Everything that takes privilege to make the exec'd process what it is, but its session. */
static int become_exec_process(struct exec_ctx *c, struct husk_process_setup *setup, bool controlling,
                               char **ret_exec_path, struct husk_error **err)
{
        const struct husk_process *p = &c->spec->process;
        int r;
        /* Root of the container's user namespace, as its init is (and runc's exec): setns kept our host ids,
         * which it need not map; the process's user is set from there. */
        if ((c->ns_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return husk_error_set(err, errno, "become root in the user namespace of the container");
        if (c->state->session_keyring &&
            (r = husk_keyring_join_session(c->state->session_keyring, p->selinux_label, err)) < 0)
                return r;
        if (p->terminal && (r = hand_over_terminal(c, controlling, err)) < 0)
                return r;
        if ((r = husk_process_prepare(setup, err)) < 0)
                return r;
        return husk_process_become_user(setup, ret_exec_path, err);
}

/*
 * The exec'd process, up to execve, born in the container's pid namespace. Nothing there may hold more
 * than the container does: a process of the container with CAP_SYS_PTRACE (non-dumpable is no bar to
 * it) could seize one and run syscalls with its privileges. So exec_intermediate, which the container
 * cannot see, made it the container's user already (but see there), and what is left here needs none.
 */
_Noreturn static void exec_child(struct exec_ctx *c, struct husk_process_setup *setup, char *exec_path,
                                 bool unprivileged)
{
        struct husk_error *err = NULL;
        const struct husk_process *p = &c->spec->process;
        int r;
        husk_ns_relay_close(&c->relay);
        /* A detached process outlives husk. */
        if (!c->opts->detach)
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* A session of its own, as runc: the caller's terminal signals (^C) reach it only through husk. */
        if (setsid() < 0) {
                r = husk_error_set(&err, errno, "setsid");
                goto fail;
        }
        if (!unprivileged && (r = become_exec_process(c, setup, true, &exec_path, &err)) < 0)
                goto fail;
        if (unprivileged && p->terminal && (r = husk_terminal_make_controlling(STDIN_FILENO, &err)) < 0) {
                /* The intermediate sent the master; a pty whose master is gone is hung up. */
                if (c->opts->console_socket && err && err->errnum == EIO)
                        husk_error_wrap(&err, "the --console-socket receiver closed the pty's master "
                                              "without taking it");
                goto fail;
        }
        if ((r = husk_process_seal(setup, 3 + c->opts->preserve_fds, &err)) < 0)
                goto fail;
        /* A seccomp listener fd leaves with our execve (O_CLOEXEC): not before husk has taken it. The wait is under
         * the filter (recv to peek, recvmsg): a notified call goes to the agent, which holds the fd by then. */
        const uint64_t none[6] = {0};
        if (c->seccomp && husk_seccomp_filter_has_listener(c->seccomp) &&
            husk_seccomp_filter_allows_or_notifies(c->seccomp, SYS_recvfrom, none, 0) &&
            husk_seccomp_filter_allows_or_notifies(c->seccomp, SYS_recvmsg, none, 0) &&
            (r = husk_sync_expect(c->sync_child, HUSK_SYNC_GO, NULL, &err)) < 0)
                goto fail;
        husk_process_exec(setup, exec_path, 3 + c->opts->preserve_fds, &err);
fail:
        husk_sync_send_error(c->sync_child, err);
        _exit(127);
}

/*
 * The intermediate (runc's nsexec order): born in the container's cgroup2 cgroup, outside its pid
 * namespace, it joins the v1 cgroups (but --cgroup: the parent moves it), enters all the container's
 * namespaces with one setns (the user one first) and, for a --no-pivot container, its root; then it
 * becomes the container's user and clones the exec'd process with CLONE_PARENT, which lands it in the
 * pid namespace already inside all of that, reports it and exits. A process made in the pid namespace
 * first and entering the rest itself would, until its setns, show a container holding CAP_SYS_PTRACE
 * the host's root at /proc/<pid>/root (CVE-2016-9962's class); one made privileged would hand that
 * container its capabilities (exec_child).
 */
_Noreturn static void exec_intermediate(struct exec_ctx *c)
{
        struct husk_error *err = NULL;
        pid_t pid = -1;
        close(c->sync_parent);
        close(c->relay.read_fd);
        c->sync_parent = c->relay.read_fd = -1;
        /* Before it enters the user namespace, where processes of the container could ptrace it. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        /* The v1 memory cgroup is the exec'd process's to join right before execve: what husk copies and
         * allocates to get there is not the container's to pay (a container at its memory limit can
         * still be exec'd into). With a user namespace it is joined here: a rootless husk may move only
         * processes of its own uid, which the process no longer is once it is the container's user. */
        int *memory_fd = c->ns_flags & CLONE_NEWUSER ? NULL : &c->memory_cgroup_fd;
        if (c->cgroup && !c->opts->cgroups && husk_cgroup_enter_self(c->cgroup, memory_fd, &err) < 0)
                husk_ns_relay_exit(&c->relay, pid, err);
        close_host_fds(c);
        /* The LSM exec labels go through our /proc/thread-self, which the container's /proc does not show:
         * set here, they pass to the exec'd process with its creds. */
        if (husk_lsm_apply(&c->spec->process, &err) < 0)
                husk_ns_relay_exit(&c->relay, pid, err);
        if (c->ns_flags && setns(c->pidfd, (int)c->ns_flags) < 0) {
                husk_error_set(&err, errno, "join the namespaces of the container");
                husk_ns_relay_exit(&c->relay, pid, err);
        }
        if (c->root_fd >= 0 && (fchdir(c->root_fd) < 0 || chroot(".") < 0)) {
                husk_error_set(&err, errno, "enter the root of the container");
                husk_ns_relay_exit(&c->relay, pid, err);
        }
        /* The exec'd process needs neither: it is born inside. */
        close(c->pidfd);
        if (c->root_fd >= 0)
                close(c->root_fd);
        c->pidfd = c->root_fd = -1;
        /* Once husk has placed us (--cgroup), and before our ids change, which could keep it from moving us. */
        if (husk_sync_expect(c->sync_child, HUSK_SYNC_GO, NULL, &err) < 0)
                husk_ns_relay_exit(&c->relay, pid, err);
        husk_signals_reset(!c->opts->detach);
        /* Written by husk, through the host's /proc (spawn_through_intermediate). */
        c->spec->process.has_oom_score_adj = false;

        struct husk_process_setup setup = {
            .process = &c->spec->process,
            .personality = &c->spec->linux_.personality,
            .memory_policy = NULL, /* a property of the container's init, not of exec'd processes */
            .seccomp = c->seccomp,
            .sync_fd = c->sync_child,
            .trampoline_fd = -1, /* exec runs from a protected view of husk (husk_selfprotect_reexec) */
            .memory_cgroup_fd = &c->memory_cgroup_fd,
            .setgroups_allowed = c->setgroups_allowed,
            .lsm_applied = true,
        };
        char *exec_path = NULL;
        bool clone3;
        /* Else (an early filter that does not allow it: a profile recorded from a program that never forks)
         * the process is made privileged and drops that inside the pid namespace, as runc's. */
        bool unprivileged = husk_process_can_clone_after(&setup, !c->opts->detach, &clone3);
        if (unprivileged && become_exec_process(c, &setup, false, &exec_path, &err) < 0)
                husk_ns_relay_exit(&c->relay, pid, err);
        pid = husk_clone_parent(clone3);
        if (pid == 0)
                exec_child(c, &setup, exec_path, unprivileged);
        if (pid < 0)
                husk_error_set(&err, errno, "clone the exec process into the pid namespace of the container");
        husk_ns_relay_exit(&c->relay, pid, err);
}

/* The exec'd process, made by an intermediate (exec_intermediate): husk's own child, CLONE_PARENT. */
static int spawn_through_intermediate(struct exec_ctx *c, struct husk_clone_args *args, struct husk_error **err)
{
        int r = husk_ns_relay_open(&c->relay, err);
        if (r < 0)
                return r;
        pid_t pid = husk_clone3_in_cgroup(args, c->cgroup);
        if (pid == 0)
                exec_intermediate(c);
        if (pid < 0) {
                r = husk_error_set(err, errno, "clone the exec process");
                husk_ns_relay_close(&c->relay);
                return r;
        }
        /* With --cgroup the intermediate is moved, and the exec'd process born where it belongs; its
         * oom_score_adj, which the container's /proc would not let the intermediate write, it inherits. */
        const struct husk_process *p = &c->spec->process;
        if ((c->cgroup && c->opts->cgroups && (r = husk_cgroup_enter_sub(c->cgroup, pid, c->opts->cgroups, err)) < 0) ||
            (p->has_oom_score_adj && (r = husk_oom_score_adj_apply_pid(pid, p->oom_score_adj, err)) < 0) ||
            (r = husk_sync_send(c->sync_parent, HUSK_SYNC_GO, 0, NULL, 0, err)) < 0) {
                struct husk_error *ignored = NULL;
                kill(pid, SIGKILL);
                husk_ns_relay_wait(&c->relay, pid, &c->child, &c->child_pidfd, &ignored);
                husk_error_free(ignored);
                return r;
        }
        return husk_ns_relay_wait(&c->relay, pid, &c->child, &c->child_pidfd, err);
}

static int spawn(struct exec_ctx *c, struct husk_error **err)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return husk_error_set(err, errno, "create sync socket");
        c->sync_parent = sv[0];
        c->sync_child = sv[1];

        /* CLONE_INTO_CGROUP only for the container's own cgroup; sub-cgroups are joined after. */
        int cgroup_fd = c->cgroup && !c->opts->cgroups ? husk_cgroup_clone_fd(c->cgroup) : -1;
        struct husk_clone_args args = {.exit_signal = SIGCHLD};
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        int r = spawn_through_intermediate(c, &args, err);
        close(c->sync_child);
        c->sync_child = -1;
        return r;
}

/* Until execve: a terminal, a seccomp listener, or an error may come back before EOF. */
static int wait_for_exec(struct exec_ctx *c, struct husk_error **err)
{
        while (true) {
                struct husk_sync_msg msg;
                int r = husk_sync_recv(c->sync_parent, &msg, err);
                if (husk_sync_eof(r, &msg)) {
                        husk_error_freep(err);
                        return 0;
                }
                if (r < 0)
                        return r;
                if (msg.type == HUSK_SYNC_TERMINAL && c->terminal_master < 0)
                        c->terminal_master = TAKE_FD(msg.fd);
                else if (msg.type == HUSK_SYNC_SECCOMP_FD) {
                        _cleanup_close_ int fd = (int)syscall(SYS_pidfd_getfd, c->child_pidfd, msg.value, 0);
                        _cleanup_free_ char *json = husk_launch_state_json(c->state, c->state->status);
                        const struct husk_seccomp *sc = &c->spec->linux_.seccomp;
                        r = fd < 0 ? husk_error_set(err, errno, "linux.seccomp: take the listener fd")
                                   : husk_seccomp_send_listener(sc->listener_path, c->state->bundle, fd, c->child, json,
                                                                sc->listener_metadata, err);
                        /* The process may go on to its execve (exec_child); one that did not wait is gone. */
                        struct husk_error *gone = NULL;
                        if (r == 0 && husk_sync_send(c->sync_parent, HUSK_SYNC_GO, 0, NULL, 0, &gone) < 0)
                                husk_error_free(gone);
                }
                husk_sync_msg_done(&msg);
                if (r < 0)
                        return r;
        }
}

/*
 * A pty proxied to the caller's terminal starts with that terminal's size: the proxy resizes it
 * to that size anyway, and a process that looked before would see 0x0 (or the config's size).
 */
static void inherit_window_size(struct exec_ctx *c)
{
        struct husk_process *p = &c->spec->process;
        struct winsize ws;
        if (!p->terminal || c->opts->console_socket || c->opts->detach)
                return;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
                return;
        p->has_console_size = true;
        p->console_height = ws.ws_row;
        p->console_width = ws.ws_col;
}

static int prepare(struct exec_ctx *c, const struct husk_runtime *rt, const char *id, struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        int r = husk_state_load(root, id, false, &dirfd, &c->state, err);
        if (r < 0)
                return r;
        if (c->state->status == HUSK_STATUS_STOPPED)
                return husk_error_set(err, 0, "cannot exec in a stopped container: container `%s` is not running", id);
        if (c->state->status == HUSK_STATUS_CREATING)
                return husk_error_set(err, 0, "cannot exec in container `%s`: it is still being created", id);
        if (c->state->status == HUSK_STATUS_PAUSED && !c->opts->ignore_paused)
                return husk_error_set(err, 0, "cannot exec in a paused container (use --ignore-paused)");
        if (c->opts->cgroups && !c->state->cgroup_path)
                return husk_error_set(err, 0, "exec --cgroup: container `%s` has no cgroup", id);
        c->pidfd = husk_state_init_pidfd(c->state);
        if (c->pidfd < 0)
                return husk_error_set(err, 0, "container `%s` is not running", id);
        /* The init of a foreground `run` that execs through the trampoline (protect.c) runs the host's
         * husk binary until then: nothing of the container may live beside it. */
        if (c->state->status == HUSK_STATUS_CREATED && husk_selfprotect_pid_exposed(c->state->pid))
                return husk_error_set(err, EAGAIN, "container `%s` is being started by `run`: exec when it runs", id);
        /* An LSM this host has not, said before anything is made (not as a failed keyring label). */
        if ((r = build_process(c, root, dirfd, err)) < 0 || (r = husk_lsm_validate(c->spec, err)) < 0)
                return r;
        const struct husk_process *p = &c->spec->process;
        if (p->terminal && !c->opts->console_socket && c->opts->detach)
                return husk_error_set(err, 0, "exec --tty with --detach needs --console-socket");
        if (!p->terminal && c->opts->console_socket)
                return husk_error_set(err, 0, "exec --console-socket needs --tty");
        inherit_window_size(c);
        c->ns_flags = namespaces_of(c->spec);
        /* A rootless husk may itself be in a user namespace that denies setgroups (rootless podman without
         * /etc/subgid ranges), with no user namespace of the container's own. */
        c->setgroups_allowed =
            !((c->ns_flags & CLONE_NEWUSER) || rt->rootless) || husk_userns_setgroups_allowed(c->state->pid);
        if (c->state->no_pivot) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/root", c->state->pid);
                if ((c->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return husk_error_set(err, errno, "open `%s`", path);
        }
        if (c->state->cgroup_path &&
            (r = husk_cgroup_open(c->state->cgroup_path, c->state->rootless, &c->cgroup, err)) < 0)
                return r;
        if (c->spec->linux_.seccomp.present && !c->seccomp) {
                _cleanup_free_ char *cache = husk_seccomp_cache_dir(root);
                if (!cache)
                        return husk_error_set(err, ENOMEM, "linux.seccomp");
                if ((r = husk_seccomp_compile_cached(&c->spec->linux_.seccomp, cache, &c->seccomp, NULL, err)) < 0)
                        return r;
        }
        if (c->opts->console_socket &&
            (r = husk_terminal_connect_socket(c->opts->console_socket, &c->console_fd, err)) < 0)
                return r;
        /* Connected before the process exists, so that a bad path fails without running anything. */
        if (c->opts->pidfd_socket &&
            (r = husk_fd_socket_connect(c->opts->pidfd_socket, "--pidfd-socket", &c->pidfd_socket, err)) < 0)
                return r;
        return 0;
}

static void release(struct exec_ctx *c)
{
        int *fds[] = {&c->pidfd,      &c->pidfd_socket, &c->root_fd,         &c->sync_parent,
                      &c->sync_child, &c->console_fd,   &c->terminal_master, &c->child_pidfd};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        husk_spec_free(c->spec);
        husk_state_free(c->state);
        husk_seccomp_filter_free(c->seccomp);
        husk_cgroup_free(c->cgroup);
}

int husk_container_exec(const struct husk_runtime *rt, const char *id, const struct husk_exec_options *opts,
                        int *ret_status, struct husk_error **err)
{
        struct exec_ctx c = {
            .opts = opts,
            .pidfd = -1,
            .pidfd_socket = -1,
            .root_fd = -1,
            .sync_parent = -1,
            .sync_child = -1,
            .console_fd = -1,
            .terminal_master = -1,
            .memory_cgroup_fd = -1,
            .child_pidfd = -1,
            .relay = {-1, -1},
        };
        *ret_status = 0;
        sigset_t old;
        int sfd = -1;
        /* The exec'd child runs husk code inside the container: its binary must not be writable. */
        int r = husk_selfprotect_reexec(err);
        if (r < 0)
                return r;
        r = prepare(&c, rt, id, err);
        if (r < 0)
                goto out;
        if (!opts->detach && (sfd = husk_forward_signals_block(&old)) < 0) {
                r = husk_error_set(err, errno, "signalfd");
                goto out;
        }
        r = spawn(&c, err);
        if (r == 0)
                r = wait_for_exec(&c, err);
        /* As runc: a process whose pid file or pidfd could not be handed over is not left behind. */
        if (r == 0 && opts->pid_file)
                r = husk_write_pid_file(opts->pid_file, c.child, err);
        if (r == 0 && c.pidfd_socket >= 0 && (r = husk_send_fd(c.pidfd_socket, c.child_pidfd, "pidfd", err)) < 0)
                husk_error_wrap(err, "--pidfd-socket");
        if (r < 0) {
                if (c.child_pidfd >= 0) {
                        husk_pidfd_send_signal(c.child_pidfd, SIGKILL);
                        waitpid(c.child, NULL, 0);
                }
                goto out;
        }
        if (!opts->detach)
                *ret_status = husk_wait_forwarding(c.child_pidfd, sfd, c.terminal_master, NULL);
out:
        if (sfd >= 0) {
                close(sfd);
                sigprocmask(SIG_SETMASK, &old, NULL);
        }
        release(&c);
        return r;
}
