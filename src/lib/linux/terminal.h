/* process.terminal: a pty made in the container's devpts, /dev/console, and the console socket. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* Connect to the --console-socket (in the parent, before the rootfs hides the host path). */
int husk_terminal_connect_socket(const char *path, int *ret_fd, struct husk_error **err);

/*
 * In the container init after pivot_root: open /dev/pts/ptmx of the container's devpts, get the
 * peer with TIOCGPTPEER, apply consoleSize, bind the peer over /dev/console, make it the
 * controlling terminal and stdio. Returns the master fd (the caller sends it somewhere).
 */
int husk_terminal_setup(const struct husk_process *process, int *ret_master, struct husk_error **err);

/* Send an fd with SCM_RIGHTS (the master, over the console socket or the sync socket). */
int husk_send_fd(int sock, int fd, const char *name, struct husk_error **err);
int husk_recv_fd(int sock, int *ret_fd, struct husk_error **err);
