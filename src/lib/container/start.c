/* start: release a created container's init through the exec fifo, then run poststart hooks. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "linux/hooks.h"
#include "util/cleanup.h"

int husk_container_start(const struct husk_runtime *rt, const char *id, struct husk_error **err)
{
        const char *root = rt->root ? rt->root : husk_runtime_default_root();
        _cleanup_close_ int dirfd = -1;
        int r = husk_state_dir_open(root, id, true, &dirfd, err);
        if (r < 0)
                return r;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_state_read(dirfd, id, &state, err);
        if (r < 0)
                return r;
        husk_state_refresh(dirfd, state);
        switch (state->status) {
        case HUSK_STATUS_CREATED:
                break;
        case HUSK_STATUS_STOPPED:
                return husk_error_set(err, 0, "cannot start a container that has stopped");
        case HUSK_STATUS_RUNNING:
        case HUSK_STATUS_PAUSED:
                return husk_error_set(err, 0, "cannot start an already running container");
        case HUSK_STATUS_CREATING:
                return husk_error_set(err, 0, "cannot start a container that is still being created");
        }
        /* Non-blocking: with no reader the init is gone, and we must not hang. */
        _cleanup_close_ int fifo = openat(dirfd, HUSK_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo < 0)
                return husk_error_set(err, errno == ENXIO ? 0 : errno, "container `%s` init is not running", id);
        if (write(fifo, "0", 1) != 1)
                return husk_error_set(err, errno, "release container `%s`", id);
        if (unlinkat(dirfd, HUSK_EXEC_FIFO, 0) < 0)
                return husk_error_set(err, errno, "remove exec fifo of `%s`", id);
        if (state->poststart.len) {
                _cleanup_free_ char *json = husk_launch_state_json(state, HUSK_STATUS_RUNNING);
                husk_hooks_run_warn(&state->poststart, "poststart", json);
        }
        return 0;
}
