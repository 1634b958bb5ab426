/* Typed messages between husk and the container init over a SOCK_SEQPACKET pair. */
#include "container/sync.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/cleanup.h"

static const char *type_name(enum husk_sync_type t)
{
        switch (t) {
        case HUSK_SYNC_GO:
                return "go";
        case HUSK_SYNC_HOOKS:
                return "hooks";
        case HUSK_SYNC_HOOKS_DONE:
                return "hooks-done";
        case HUSK_SYNC_READY:
                return "ready";
        case HUSK_SYNC_START:
                return "start";
        case HUSK_SYNC_TERMINAL:
                return "terminal";
        case HUSK_SYNC_SECCOMP_FD:
                return "seccomp-fd";
        case HUSK_SYNC_INIT_PID:
                return "init-pid";
        case HUSK_SYNC_ERROR:
                return "error";
        case HUSK_SYNC_EXEC_ERROR:
                return "exec-error";
        }
        return "unknown";
}

int husk_sync_send(int fd, enum husk_sync_type type, int errnum, const char *payload, size_t len,
                   struct husk_error **err)
{
        struct husk_sync_header h = {.type = type, .errnum = errnum, .len = (uint32_t)len};
        struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)}, {.iov_base = (void *)payload, .iov_len = len}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
        ssize_t n;
        do
                n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        /*
         * In the init after the container's seccomp filter is in place (a failed final execve), the
         * filter may refuse sendmsg with an errno. A writev on a SEQPACKET socket is one record too,
         * and a filter that lets the container run at all rarely refuses it. Not when the peer is gone:
         * writev has no MSG_NOSIGNAL.
         */
        if (n < 0 && errno != EPIPE && errno != ECONNRESET) {
                do
                        n = writev(fd, iov, (int)msg.msg_iovlen);
                while (n < 0 && errno == EINTR);
        }
        if (n < 0)
                return husk_error_set(err, errno, "send `%s` to the container init", type_name(type));
        return 0;
}

int husk_sync_send_fd(int fd, enum husk_sync_type type, int passed_fd, struct husk_error **err)
{
        struct husk_sync_header h = {.type = type};
        char control[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passed_fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return husk_error_set(err, errno, "send `%s` with an fd", type_name(type));
        return 0;
}

void husk_sync_send_error(int fd, const struct husk_error *e)
{
        const char *msg = e && e->msg ? e->msg : "container init failed";
        husk_sync_send(fd, HUSK_SYNC_ERROR, e ? e->errnum : 0, msg, strlen(msg), NULL);
}

void husk_sync_msg_done(struct husk_sync_msg *msg)
{
        free(msg->payload);
        msg->payload = NULL;
        if (msg->fd >= 0)
                close(msg->fd);
        msg->fd = -1;
}

int husk_sync_eof(int r, const struct husk_sync_msg *msg)
{
        return r == -EPIPE && msg->type == 0;
}

int husk_sync_recv(int fd, struct husk_sync_msg *ret, struct husk_error **err)
{
        struct husk_sync_header h;
        *ret = (struct husk_sync_msg){.fd = -1};
        /* Peek at the header to size the buffer: SEQPACKET keeps the whole message together.
         * A peer that exited with our messages unread leaves ECONNRESET pending, and the kernel
         * reports it before what the peer sent (its error): that first recv consumes it. */
        ssize_t n;
        bool reset_seen = false;
        while (true) {
                n = recv(fd, &h, sizeof(h), MSG_PEEK);
                if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset_seen)))
                        break;
                reset_seen = reset_seen || errno == ECONNRESET;
        }
        if (n < 0)
                return husk_error_set(err, errno, "receive from the container init");
        if (n == 0)
                return husk_error_set(err, EPIPE, "container init exited unexpectedly");
        size_t total = (size_t)n < sizeof(h) ? sizeof(h) : sizeof(h) + h.len;
        _cleanup_free_ char *buf = malloc(total + 1);
        if (!buf)
                return husk_error_set(err, ENOMEM, "receive sync message");
        char control[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {.iov_base = buf, .iov_len = total};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        do
                n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        _cleanup_close_ int passed = -1;
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&passed, CMSG_DATA(c), sizeof(int));
        if (n < 0 || (size_t)n != total || total < sizeof(h))
                return husk_error_set(err, n < 0 ? errno : EPROTO, "receive sync message");
        buf[total] = '\0';
        char *payload = buf + sizeof(h);
        /* The type tells a peer's error from EOF, whatever errno it carries (EPIPE too). */
        ret->type = (enum husk_sync_type)h.type;
        if (h.type == HUSK_SYNC_ERROR)
                return husk_error_set(err, h.errnum, "%s", payload);
        if (h.type == HUSK_SYNC_EXEC_ERROR) {
                char text[128];
                return husk_error_set(err, 0, "%s: %s", payload, husk_errno_text_go(h.errnum, text, sizeof(text)));
        }
        if (h.len && !(ret->payload = strdup(payload)))
                return husk_error_set(err, ENOMEM, "receive sync message");
        ret->value = h.errnum;
        ret->fd = TAKE_FD(passed);
        return 0;
}

int husk_sync_expect(int fd, enum husk_sync_type type, char **ret_payload, struct husk_error **err)
{
        struct husk_sync_msg msg;
        int r = husk_sync_recv(fd, &msg, err);
        if (r < 0)
                return r;
        if (msg.type != type) {
                r = husk_error_set(err, EPROTO, "expected `%s` from the container init, got `%s`", type_name(type),
                                   type_name(msg.type));
                husk_sync_msg_done(&msg);
                return r;
        }
        if (ret_payload)
                *ret_payload = TAKE_PTR(msg.payload);
        husk_sync_msg_done(&msg);
        return 0;
}

int husk_sync_wait_exec(int fd, struct husk_error **err)
{
        struct husk_sync_msg msg;
        int r = husk_sync_recv(fd, &msg, err);
        if (husk_sync_eof(r, &msg)) {
                husk_error_freep(err);
                return 0;
        }
        if (r < 0)
                return r;
        r = husk_error_set(err, EPROTO, "unexpected `%s` from the container init", type_name(msg.type));
        husk_sync_msg_done(&msg);
        return r;
}
