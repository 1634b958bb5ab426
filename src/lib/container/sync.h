/* Typed messages between husk and the container init over a SOCK_SEQPACKET pair. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum husk_sync_type {
        HUSK_SYNC_GO = 1,        /* parent -> init: namespaces are ready (id maps written); payload: hook states */
        HUSK_SYNC_HOOKS,         /* init -> parent: run prestart + createRuntime hooks now */
        HUSK_SYNC_HOOKS_DONE,    /* parent -> init: they succeeded */
        HUSK_SYNC_READY,         /* init -> parent: set up, waiting for start */
        HUSK_SYNC_START,         /* parent (run) or `start` (exec socket) -> init: exec now */
        HUSK_SYNC_TERMINAL,      /* init -> parent: the pty master (SCM_RIGHTS), for `run` to proxy */
        HUSK_SYNC_SECCOMP_FD,    /* init -> parent: errnum holds the listener fd number (pidfd_getfd) */
        HUSK_SYNC_ERROR,         /* either way: errnum + message, then the sender gives up */
        HUSK_SYNC_INIT_PID,      /* init -> parent: errnum holds the pid of the init that takes over (init.c) */
        HUSK_SYNC_EXEC_ERROR,    /* trampoline -> parent: its execve of the program failed: errnum + "exec `PATH`",
                                  * whose errno is worded as runc's (husk_errno_text_go); then it gives up */
};

struct husk_sync_header {
        uint32_t type;
        int32_t errnum;
        uint32_t len; /* payload bytes that follow */
};

int husk_sync_send(int fd, enum husk_sync_type type, int errnum, const char *payload, size_t len,
                   struct husk_error **err);

/* Send a message carrying one fd (SCM_RIGHTS). */
int husk_sync_send_fd(int fd, enum husk_sync_type type, int passed_fd, struct husk_error **err);

/* Send *err (or a generic message) as HUSK_SYNC_ERROR. */
void husk_sync_send_error(int fd, const struct husk_error *e);

/* One received message: free payload, close fd when >= 0 (husk_sync_msg_done). */
struct husk_sync_msg {
        enum husk_sync_type type;
        int value;     /* the header's errnum field: the listener fd number for HUSK_SYNC_SECCOMP_FD */
        char *payload; /* NUL-terminated, NULL when empty */
        int fd;        /* passed with SCM_RIGHTS (close-on-exec), -1 when none */
};

/*
 * Receive one message. A HUSK_SYNC_ERROR from the peer becomes *err and returns < 0 (ret->type says
 * which); EOF returns -EPIPE with *err set and ret->type 0: husk_sync_eof tells the two apart.
 */
int husk_sync_recv(int fd, struct husk_sync_msg *ret, struct husk_error **err);
int husk_sync_eof(int r, const struct husk_sync_msg *msg);
void husk_sync_msg_done(struct husk_sync_msg *msg);

/* Receive and require one message type. */
int husk_sync_expect(int fd, enum husk_sync_type type, char **ret_payload, struct husk_error **err);

/* After START: EOF means execve succeeded (the socket is close-on-exec); an error is the init's. */
int husk_sync_wait_exec(int fd, struct husk_error **err);
