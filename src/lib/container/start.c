/* start: release a created container's init through its exec socket, run poststart hooks, relay READY=1. */
#include "container/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/notify.h"
#include "container/sync.h"
#include "linux/hooks.h"
#include "util/cleanup.h"
#include "util/syscalls.h"

/*
 * Connect to the waiting init, say start, and wait for EOF (execve happened) or its error. *connected says
 * whether the init took the connection: before that, a failure leaves it as it was.
 */
static int release_init(int dirfd, const char *id, bool *connected, struct husk_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (husk_dirfd_socket_path(dirfd, HUSK_EXEC_SOCKET, addr.sun_path, sizeof(addr.sun_path)) < 0)
                return husk_error_set(err, ENAMETOOLONG, "exec socket path");
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return husk_error_set(err, errno, "create socket");
        if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                if (errno != ECONNREFUSED)
                        return husk_error_set(err, errno, "connect to the init of container `%s`", id);
                /* Nobody listens: the init is gone, or a start that did not finish released it already (the
                 * socket's name was all it left). Not "created" either way, and nothing here to end. */
                unlinkat(dirfd, HUSK_EXEC_SOCKET, 0);
                return husk_error_set(err, 0,
                                      "container `%s` is not waiting to be started: its init no longer "
                                      "listens (started already, or exited)",
                                      id);
        }
        *connected = true;
        /* No longer "created" before START goes: a start killed from here on leaves a container that runs (or an
         * init still waiting, which delete --force ends), never a process running behind a "created" status,
         * which the next start or delete would kill. */
        unlinkat(dirfd, HUSK_EXEC_SOCKET, 0);
        int r = husk_sync_send(sock, HUSK_SYNC_START, 0, NULL, 0, err);
        if (r < 0)
                return r;
        return husk_sync_wait_exec(sock, err);
}

/* After the init was released: wait for the container's READY=1 without holding the state dir's lock. */
static int relay_ready(int sock, const struct husk_state *state, const char *notify_socket, struct husk_error **err)
{
        _cleanup_close_ int pidfd = husk_state_init_pidfd(state);
        if (pidfd < 0)
                return 0; /* gone already: nothing will say READY=1 */
        return husk_notify_relay_ready(sock, pidfd, state->pid, notify_socket, err);
}

int husk_container_start(const struct husk_runtime *rt, const char *id, const char *notify_socket,
                         struct husk_error **err)
{
        return husk_container_start_hooks_in(rt, id, notify_socket, false, err);
}

int husk_container_start_hooks_in(const struct husk_runtime *rt, const char *id, const char *notify_socket, bool bundle,
                                  struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        int r = husk_state_load(root, id, true, &dirfd, &state, err);
        if (r < 0)
                return r;
        switch (state->status) {
        case HUSK_STATUS_CREATED:
                if (state->foreground)
                        return husk_error_set(err, 0, "container `%s` is being started by `husk run`", id);
                break;
        case HUSK_STATUS_STOPPED:
                return husk_error_set(err, 0, "cannot start a container that has stopped");
        case HUSK_STATUS_RUNNING:
                return husk_error_set(err, 0, "cannot start an already running container");
        case HUSK_STATUS_PAUSED:
                return husk_error_set(err, 0, "cannot start a container in the paused state");
        case HUSK_STATUS_CREATING:
                /* We hold the lock that a running create would: the create that made it ended before it was done. */
                return husk_error_set(err, 0, "cannot start container `%s`: its create did not finish; delete it", id);
        }
        /* Bound before the process runs, which may say READY=1 at once. */
        _cleanup_close_ int notify_fd = -1;
        if (notify_socket && ((r = husk_notify_check_host(notify_socket, err)) < 0 ||
                              (r = husk_notify_listen(dirfd, &notify_fd, err)) < 0))
                return r;
        bool connected = false;
        r = release_init(dirfd, id, &connected, err);
        if (r < 0) {
                /* The spec: a failed startContainer hook stops the container; `state` says so once start returns. */
                _cleanup_error_ struct husk_error *kill_err = NULL;
                if (connected)
                        husk_container_kill_init_wait(state, NULL, &kill_err);
                return r;
        }
        if (state->poststart.len) {
                _cleanup_free_ char *json = husk_launch_state_json(state, HUSK_STATUS_RUNNING);
                husk_hooks_run_warn(&state->poststart, "poststart", environ, bundle ? state->bundle : NULL, json);
        }
        if (notify_fd < 0)
                return 0;
        close(TAKE_FD(dirfd));
        return relay_ready(notify_fd, state, notify_socket, err);
}
