/* kill: signal the init process (or, with --all, every process in the container's cgroup). */
#include "container/lifecycle.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/syscalls.h"

int husk_container_kill_init_wait(const struct husk_state *state, struct husk_cgroup *cg, struct husk_error **err)
{
        _cleanup_close_ int pidfd = husk_state_init_pidfd(state);
        if (pidfd < 0)
                return 0;
        if (husk_pidfd_send_signal(pidfd, SIGKILL) < 0 && errno != ESRCH)
                return husk_error_set(err, errno, "kill container `%s`", state->id);
        /* The init of a pid namespace exits only after every other process in it, and one frozen by the v1 freezer
         * dies only once thawed. */
        if (cg)
                husk_cgroup_kill_thaw_descendants(cg);
        /* Readable once it has exited, whoever its parent is and whenever that parent reaps it. */
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        int n;
        while ((n = poll(&pfd, 1, 10000)) < 0 && errno == EINTR)
                ;
        if (n == 0)
                husk_warn("container `%s`: its init did not exit within 10 s of SIGKILL", state->id);
        return 0;
}

/*
 * Every process in the container's cgroup. For a stopped container that is what its init left behind:
 * without a pid namespace of its own nothing else ends those processes, and containerd's shim kills them
 * so once the init has exited. No cgroup, or one already gone, holds nothing then.
 */
static int signal_all(const struct husk_state *state, int sig, struct husk_error **err)
{
        bool stopped = state->status == HUSK_STATUS_STOPPED;
        if (!state->cgroup_path)
                return stopped ? 0 : husk_error_set(err, 0, "kill --all: container `%s` has no cgroup", state->id);
        _cleanup_(husk_cgroup_freep) struct husk_cgroup *cg = NULL;
        int r = husk_cgroup_open(state->cgroup_path, state->rootless, &cg, err);
        if (r == 0)
                r = husk_cgroup_signal_all(cg, sig, err);
        if (r < 0 && stopped && *err && (*err)->errnum == ENOENT) {
                husk_error_freep(err);
                return 0;
        }
        return r;
}

int husk_container_kill(const struct husk_runtime *rt, const char *id, int sig, bool all, struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = husk_state_load(root, id, false, &dirfd, &state, err);
        if (r < 0)
                return r;
        /*
         * In a pid namespace of its own the init's death takes every other process with it. Without one
         * (the host's, or one joined by path) SIGKILL goes to the whole cgroup, as with runc 1.2, also once
         * the init is gone: otherwise what the container started outlives it. So it does to a paused
         * container (podman and docker kill one with SIGKILL): under the v1 freezer a frozen task acts on
         * it only once thawed, and husk_cgroup_signal_all thaws after a SIGKILL (runc thaws too).
         */
        bool whole_cgroup = !all && sig == SIGKILL && (state->shared_pidns || state->status == HUSK_STATUS_PAUSED) &&
                            state->status != HUSK_STATUS_CREATING;
        /* runc's words: containerd's shim maps "container not running" to "process already finished". A container
         * still being created has its init signalled (a create whose husk was killed may have left it waiting). */
        if (state->status == HUSK_STATUS_STOPPED && !all && !whole_cgroup)
                return husk_error_set(err, 0, "container not running");
        if (all)
                return signal_all(state, sig, err);
        if (whole_cgroup) {
                r = signal_all(state, sig, err);
                /* Rootless without a cgroup of its own: the init at least, as runc does. */
                if (r == 0 || state->status == HUSK_STATUS_STOPPED)
                        return r;
                husk_warn("kill `%s`: every process of the container could not be reached: %s", id,
                          err && *err && (*err)->msg ? (*err)->msg : "no cgroup");
                husk_error_freep(err);
        }
        /* The signal cannot reach a reused pid. */
        _cleanup_close_ int pidfd = husk_state_init_pidfd(state);
        if (pidfd < 0)
                return husk_error_set(err, 0, "container not running");
        if (husk_pidfd_send_signal(pidfd, sig) < 0)
                return husk_error_set(err, errno, "send signal %d to container `%s`", sig, id);
        return 0;
}
