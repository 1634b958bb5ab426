/* process.terminal: a pty made in the container's devpts, /dev/console, and the console socket. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* Connect to the --console-socket (in the parent, before the rootfs hides the host path). */
int husk_terminal_connect_socket(const char *path, int *ret_fd, struct husk_error **err);

/* Connect to a unix stream socket that receives fds (--pidfd-socket); what names it in errors. */
int husk_fd_socket_connect(const char *path, const char *what, int *ret_fd, struct husk_error **err);

/*
 * Open /dev/pts/ptmx of the devpts this process sees (the container's, after pivot_root or
 * setns), get the peer with TIOCGPTPEER (no path lookup) and apply consoleSize.
 */
int husk_terminal_open(const struct husk_process *process, int *ret_master, int *ret_peer, struct husk_error **err);

/*
 * Turn off the pty's "\n" -> "\r\n" translation (fd: either end), as runc does for a pty it relays
 * itself: what the process writes reaches husk's stdout byte for byte, and the caller's terminal,
 * kept with output processing, shows it as usual. A pty handed to a --console-socket is left as
 * the kernel makes it: its receiver decides.
 */
int husk_terminal_clear_onlcr(int fd, struct husk_error **err);

/* Make the peer the controlling terminal (the caller is a session leader) and fds 0, 1, 2. */
int husk_terminal_make_stdio(int peer, struct husk_error **err);

/* Make the peer fds 0, 1, 2 only: a process made later takes it as its controlling terminal. */
int husk_terminal_dup_stdio(int peer, struct husk_error **err);

/* Make the terminal on fd the caller's controlling terminal (the caller leads a session that has none). */
int husk_terminal_make_controlling(int fd, struct husk_error **err);

/*
 * The container init's terminal: open, bind the peer over /dev/console, make it stdio and, with
 * controlling, the controlling terminal. Without, the pty is left for a process this one makes to
 * take with husk_terminal_make_controlling once it leads its own session (a late pid join: the
 * set-up process's session ends when it exits, and the kernel would hang up its terminal).
 */
int husk_terminal_setup(const struct husk_process *process, bool controlling, int *ret_master, struct husk_error **err);

/* Send an fd with SCM_RIGHTS and name as the data (the master, over the console socket or the sync
 * socket; a pidfd over --pidfd-socket). */
int husk_send_fd(int sock, int fd, const char *name, struct husk_error **err);
int husk_recv_fd(int sock, int *ret_fd, struct husk_error **err);
