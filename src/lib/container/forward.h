/* Waiting for a container process while forwarding signals and proxying its terminal (run, exec). */
#pragma once

#include <signal.h>
#include <stdbool.h>

struct husk_notify_relay;

/* The signals forwarded to the container, as runc: every asynchronous one but SIGCHLD and SIGPIPE
 * (SIGHUP, SIGINT, SIGTERM, SIGUSR1, job control, SIGRTMIN..SIGRTMAX...). */
void husk_forward_signal_set(sigset_t *set);

/* Give the pty the size of the caller's terminal (stdin); call it before the process starts so
 * that it never sees the 0x0 size of a fresh pty. */
void husk_forward_window_size(int terminal_master);

/* Default dispositions and an empty mask, as the container's processes must start (ignored
 * signals survive execve). forwarded_done: husk_forward_signals_block already reset the forwarded
 * ones in the process we were cloned from, so only the others are reset here. */
void husk_signals_reset(bool forwarded_done);

/* Block the forwarded signals (before the child exists, so none is lost) and return a signalfd. */
int husk_forward_signals_block(sigset_t *ret_old);

/*
 * Forward signals from signal_fd to the process until it exits and, with a terminal master,
 * proxy stdin/stdout to it in raw mode (SIGWINCH resizes the pty). With notify (may be NULL; its
 * sock -1), pass the container's first READY=1 on to notify->host_socket. Returns the exit status,
 * 128+N when killed by signal N.
 */
int husk_wait_forwarding(int pidfd, int signal_fd, int terminal_master, const struct husk_notify_relay *notify);
