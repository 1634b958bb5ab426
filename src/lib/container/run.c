/* run: create + start + wait in one process, forwarding signals, then delete. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "container/forward.h"
#include "container/notify.h"
#include "container/sync.h"
#include "linux/hooks.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/syscalls.h"

/* Release init over the sync socket; EOF means execve succeeded (the socket is close-on-exec). */
static int start_foreground(struct husk_launch *l, struct husk_error **err)
{
        /* An init in husk's memory did not wait for it (create.c: init_may_share_memory). */
        int r = l->shares_memory ? 0 : husk_sync_send(l->sync_parent, HUSK_SYNC_START, 0, NULL, 0, err);
        if (r < 0)
                return r;
        return husk_sync_wait_exec(l->sync_parent, err);
}

/* After init exited: delete, reusing what run already holds (the open cgroup, the state). */
int husk_launch_cleanup_after_exit(struct husk_launch *l, struct husk_error **err)
{
        /* Re-take the lock that was dropped while the container ran. */
        _cleanup_close_ int dirfd = -1;
        _cleanup_error_ struct husk_error *open_err = NULL;
        int r = husk_state_dir_open(l->root, l->id, true, &dirfd, &open_err);
        /* Already deleted (delete --force, a checkpoint): nothing is left to do. */
        if (r < 0 && open_err->errnum == 0)
                return 0;
        if (r < 0) {
                *err = TAKE_PTR(open_err);
                return r;
        }
        /* delete may have run meanwhile and a new container taken the id: only ours goes. */
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_state_read(dirfd, l->id, &state, err);
        if (r < 0)
                return r;
        if (state->pid != l->pid || state->pid_start_time != l->state.pid_start_time)
                return 0;
        _cleanup_error_ struct husk_error *cg_err = NULL;
        if (l->cgroup && husk_cgroup_destroy(l->cgroup, &cg_err) < 0 && cg_err->errnum != ENOENT) {
                *err = TAKE_PTR(cg_err);
                return husk_error_wrap(err, "remove cgroup of `%s`", l->id);
        }
        r = husk_launch_systemd_stop(l, err);
        if (r < 0)
                return r;
        /* After the container is deleted, as delete does. */
        r = husk_state_dir_remove(l->root, l->id, dirfd, err);
        if (l->spec->hooks.poststop.len) {
                _cleanup_free_ char *json = husk_launch_state_json(&l->state, HUSK_STATUS_STOPPED);
                husk_hooks_run_warn(&l->spec->hooks.poststop, "poststop", environ, l->bundle, json);
        }
        return r;
}

/* A process the OOM killer ended says nothing itself: 137 alone would leave the caller guessing. */
static void warn_if_oom_killed(struct husk_launch *l)
{
        bool oom = false;
        _cleanup_error_ struct husk_error *ignored = NULL;
        if (!l->cgroup || husk_cgroup_oom_killed(l->cgroup, &oom, &ignored) < 0 || !oom)
                return;
        const struct husk_memory *m = &l->spec->linux_.resources.memory;
        if (m->has_limit && m->limit > 0)
                husk_warn("container `%s` was killed by SIGKILL, and the OOM killer ran in its cgroup "
                          "(linux.resources.memory.limit %lld bytes)",
                          l->id, (long long)m->limit);
        else
                husk_warn("container `%s` was killed by SIGKILL, and the OOM killer ran in its cgroup", l->id);
}

static int run_detached(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                        struct husk_error **err)
{
        int r = husk_container_create(rt, id, opts, err);
        if (r < 0)
                return r;
        r = husk_container_start_hooks_in(rt, id, opts->notify_socket, true, err);
        if (r < 0) {
                _cleanup_error_ struct husk_error *ignored = NULL;
                husk_container_delete(rt, id, true, &ignored);
        }
        return r;
}

int husk_container_run(const struct husk_runtime *rt, const char *id, const struct husk_create_options *opts,
                       int *ret_status, struct husk_error **err)
{
        *ret_status = 0;
        if (opts->detach)
                return run_detached(rt, id, opts, err);

        struct husk_launch l = {
                .rt = rt,
                .opts = opts,
                .root = husk_runtime_root(rt),
                .id = id,
                .foreground = true,
        };
        /* Prepared first: it may re-execute husk, and what comes before runs only once. */
        int r = husk_launch_prepare(&l, err);
        if (r < 0) {
                husk_launch_release(&l);
                return r;
        }
        /* Block forwarded signals before init exists so none is lost; init unblocks them. */
        sigset_t old;
        _cleanup_close_ int sfd = husk_forward_signals_block(&old);
        l.signals_forwarded = sfd >= 0;
        r = sfd < 0 ? husk_error_set(err, errno, "signalfd") : husk_launch_create(&l, err);
        if (r < 0)
                goto out;
        /* Before the process runs: it must see the caller's terminal size from its first instruction. */
        if (l.terminal_master >= 0)
                husk_forward_window_size(l.terminal_master);
        /* No longer "created" once START may go: a run killed from here on leaves a container that runs, or an
         * init that ends as its sync socket closes, never a process running behind a "created" status. */
        unlinkat(l.dirfd, HUSK_EXEC_SOCKET, 0);
        r = start_foreground(&l, err);
        if (r < 0) {
                husk_launch_abort(&l);
                goto out;
        }
        if (l.spec->hooks.poststart.len) {
                _cleanup_free_ char *json = husk_launch_state_json(&l.state, HUSK_STATUS_RUNNING);
                husk_hooks_run_warn(&l.spec->hooks.poststart, "poststart", environ, l.bundle, json);
        }
        /* Others (kill, state, delete) may act on the container while it runs. */
        close(l.dirfd);
        l.dirfd = -1;
        /* husk stays the process to watch: it forwards signals and reports the exit. */
        const struct husk_notify_relay notify = {
            .sock = l.notify_fd, .host_socket = opts->notify_socket, .main_pid = getpid()};
        *ret_status = husk_wait_forwarding(l.pidfd, sfd, l.terminal_master, &notify);
        if (*ret_status == 128 + SIGKILL)
                warn_if_oom_killed(&l);
        if (!opts->keep)
                r = husk_launch_cleanup_after_exit(&l, err);
out:
        husk_launch_release(&l);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
