/*
 * NOTIFY_SOCKET (systemd's sd_notify) across the container boundary, as runc does it: the container gets
 * a socket of its own, /run/notify/notify.sock, and husk tells the caller's NOTIFY_SOCKET once the
 * container said READY=1, with the pid systemd should watch from then on.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* What the foreground `run` relays while it forwards signals (forward.c). */
struct husk_notify_relay {
        int sock;                /* the container's socket, -1 when there is nothing to relay */
        const char *host_socket; /* the caller's NOTIFY_SOCKET */
        pid_t main_pid;          /* told as MAINPID= with READY=1 */
};

/* A NOTIFY_SOCKET husk can send to: an absolute path or @name that fits a socket address. */
int husk_notify_check_host(const char *host_socket, struct husk_error **err);

/* create, run: check host_socket (the caller's), then add the read-only bind of the state dir's notify
 * directory on /run/notify and NOTIFY_SOCKET=/run/notify/notify.sock in process.env. root may be
 * relative (--root). */
int husk_notify_edit_spec(struct husk_spec *spec, const char *host_socket, const char *root, const char *id,
                          struct husk_error **err);

/* create, run: make the directory in the (locked) state dir dirfd. */
int husk_notify_make_dir(int dirfd, struct husk_error **err);

/* start, run: bind the container's socket, connectable by every user of the container. *ret_fd is -1
 * (and 0 returned) when the container was made without NOTIFY_SOCKET: there is no socket to offer. */
int husk_notify_listen(int dirfd, int *ret_fd, struct husk_error **err);

/* Read one datagram from sock (non-blocking): 1 when a line of it is READY=1, 0 when none is, -1 when
 * nothing is waiting. */
int husk_notify_read_ready(int sock);

/*
 * Tell host_socket MAINPID=main_pid and READY=1 in one datagram. With barrier, then wait (30 s at
 * most) until the receiver has read it (sd_notify_barrier): systemd drops a message whose sender
 * has exited before it looked, and start and run -d exit right after.
 */
int husk_notify_host(const char *host_socket, pid_t main_pid, bool barrier, struct husk_error **err);

/* start, run -d: wait until the container says READY=1, then tell host_socket (MAINPID: the init,
 * which outlives husk), or until the init exits (nothing is told). */
int husk_notify_relay_ready(int sock, int init_pidfd, pid_t init_pid, const char *host_socket, struct husk_error **err);
