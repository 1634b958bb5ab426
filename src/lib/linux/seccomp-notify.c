/* Hand a seccomp listener fd to the seccomp agent at linux.seccomp.listenerPath (runtime-spec "container process state"). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "husk-config.h"
#include "linux/seccomp-filter.h"
#include "util/cleanup.h"

static char *process_state_json(pid_t pid, const char *state_json, const char *metadata, struct husk_error **err)
{
        json_error_t jerr;
        _cleanup_(json_decrefp) json_t *state = json_loads(state_json ? state_json : "", JSON_REJECT_DUPLICATES, &jerr);
        if (!state) {
                husk_error_set(err, EINVAL, "seccomp listener: container state is not valid JSON: %s", jerr.text);
                return NULL;
        }
        _cleanup_(json_decrefp) json_t *doc = json_object();
        if (!doc || json_object_set_new(doc, "ociVersion", json_string(HUSK_SPEC_VERSION)) < 0 ||
            json_object_set_new(doc, "fds", json_pack("[s]", "seccompFd")) < 0 ||
            json_object_set_new(doc, "pid", json_integer(pid)) < 0 ||
            (metadata && json_object_set_new(doc, "metadata", json_string(metadata)) < 0) ||
            json_object_set(doc, "state", state) < 0) {
                husk_error_set(err, ENOMEM, "seccomp listener: build the container process state");
                return NULL;
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                husk_error_set(err, ENOMEM, "seccomp listener: serialize the container process state");
        return text;
}

int husk_seccomp_send_listener(const char *listener_path, const char *bundle, int notify_fd, pid_t pid,
                               const char *state_json, const char *metadata, struct husk_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (!listener_path || !*listener_path)
                return husk_error_set(err, EINVAL, "linux.seccomp.listenerPath is empty");
        /* runc connects from the bundle (its cwd): a relative path is the bundle's. */
        _cleanup_free_ char *joined = NULL;
        if (listener_path[0] != '/' && bundle) {
                if (asprintf(&joined, "%s/%s", bundle, listener_path) < 0)
                        return husk_error_set(err, ENOMEM, "linux.seccomp.listenerPath");
                listener_path = joined;
        }
        if (strlen(listener_path) >= sizeof(addr.sun_path))
                return husk_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s` is longer than a socket path can be",
                                      listener_path);
        strcpy(addr.sun_path, listener_path);

        _cleanup_free_ char *payload = process_state_json(pid, state_json, metadata, err);
        if (!payload)
                return husk_error_code(*err);

        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return husk_error_set(err, errno, "seccomp listener: socket");
        int r;
        do
                r = connect(sock, (struct sockaddr *)&addr, sizeof(addr));
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return husk_error_set(err, errno, "seccomp listener: connect to `%s`", listener_path);

        size_t len = strlen(payload), sent = 0;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        memset(&control, 0, sizeof(control));
        /* The fd rides on the first sendmsg only, as the spec requires when the payload needs several. */
        while (sent < len) {
                struct iovec iov = {.iov_base = payload + sent, .iov_len = len - sent};
                struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
                if (sent == 0) {
                        msg.msg_control = control.buf;
                        msg.msg_controllen = sizeof(control.buf);
                        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
                        cmsg->cmsg_level = SOL_SOCKET;
                        cmsg->cmsg_type = SCM_RIGHTS;
                        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(cmsg), &notify_fd, sizeof(int));
                }
                ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return husk_error_set(err, errno, "seccomp listener: send to `%s`", listener_path);
                sent += (size_t)n;
        }
        return 0;
}
