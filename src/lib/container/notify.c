/* NOTIFY_SOCKET: the container's own sd_notify socket, and READY=1 passed on to the caller's. */
#include "container/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "container/lifecycle.h"
#include "container/state.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Where the container finds its socket: runc's place, which podman's own proxy uses too. */
#define CONTAINER_DIR "/run/notify"
#define CONTAINER_SOCKET CONTAINER_DIR "/notify.sock"

/* How long start waits for systemd to have read READY=1 before it exits anyway (runc's and crun's 30 s). */
#define BARRIER_TIMEOUT_MS 30000

/* The address of NOTIFY_SOCKET: a path, or "@name" for an abstract socket (as sd_notify reads it). */
static int host_address(const char *host_socket, struct sockaddr_un *addr, socklen_t *len, struct husk_error **err)
{
        size_t n = strlen(host_socket);
        *addr = (struct sockaddr_un){.sun_family = AF_UNIX};
        if ((host_socket[0] != '/' && host_socket[0] != '@') || n < 2 || n >= sizeof(addr->sun_path))
                return husk_error_set(err, 0,
                                      "NOTIFY_SOCKET `%s`: not an absolute path or @name that fits a socket address",
                                      host_socket);
        memcpy(addr->sun_path, host_socket, n);
        if (host_socket[0] == '@')
                addr->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (host_socket[0] == '/'));
        return 0;
}

int husk_notify_check_host(const char *host_socket, struct husk_error **err)
{
        struct sockaddr_un addr;
        socklen_t len;
        return host_address(host_socket, &addr, &len, err);
}

int husk_notify_edit_spec(struct husk_spec *spec, const char *host_socket, const char *root, const char *id,
                          struct husk_error **err)
{
        int r = husk_notify_check_host(host_socket, err);
        if (r < 0)
                return r;
        if (!husk_spec_namespace(spec, HUSK_NS_MOUNT))
                return husk_error_set(err, 0,
                                      "NOTIFY_SOCKET: the container needs a mount namespace for its socket, and "
                                      "linux.namespaces has none");
        _cleanup_free_ char *cwd = NULL;
        if (root[0] != '/' && !(cwd = getcwd(NULL, 0)))
                return husk_error_set(err, errno, "NOTIFY_SOCKET: getcwd");
        _cleanup_free_ char *source = NULL;
        if (asprintf(&source, "%s%s%s/%s/%s", cwd ? cwd : "", cwd ? "/" : "", root, id, HUSK_NOTIFY_DIR) < 0)
                return husk_error_set(err, ENOMEM, "NOTIFY_SOCKET");
        static const char *const options[] = {"bind", "ro", "nosuid", "nodev", "noexec", NULL};
        r = husk_spec_append_bind_mount(spec, source, CONTAINER_DIR, options, err);
        if (r == 0) {
                /* husk_notify_make_dir makes it, after the mount points a mapped root needs were made. */
                spec->mounts[spec->mounts_len - 1].source_made_later = true;
                r = husk_spec_env_set(spec, "NOTIFY_SOCKET=" CONTAINER_SOCKET, err);
        }
        return r < 0 ? husk_error_wrap(err, "NOTIFY_SOCKET") : 0;
}

int husk_notify_make_dir(int dirfd, struct husk_error **err)
{
        if (mkdirat(dirfd, HUSK_NOTIFY_DIR, 0755) < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: create `%s` in the state dir", HUSK_NOTIFY_DIR);
        return 0;
}

int husk_notify_listen(int dirfd, int *ret_fd, struct husk_error **err)
{
        *ret_fd = -1;
        if (faccessat(dirfd, HUSK_NOTIFY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : husk_error_set(err, errno, "NOTIFY_SOCKET: `%s`", HUSK_NOTIFY_DIR);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (husk_dirfd_socket_path(dirfd, HUSK_NOTIFY_SOCKET, addr.sun_path, sizeof(addr.sun_path)) < 0)
                return husk_error_set(err, ENAMETOOLONG, "NOTIFY_SOCKET: socket path");
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: socket");
        /* A start that failed after binding left one behind. */
        unlinkat(dirfd, HUSK_NOTIFY_SOCKET, 0);
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: bind `%s`", HUSK_NOTIFY_SOCKET);
        /* Whatever user the container's process runs as, in whatever user namespace. */
        if (fchmodat(dirfd, HUSK_NOTIFY_SOCKET, 0777, 0) < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: chmod `%s`", HUSK_NOTIFY_SOCKET);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int husk_notify_read_ready(int sock)
{
        char buf[4097];
        ssize_t n = recv(sock, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n < 0)
                return errno == EINTR ? 0 : -1;
        buf[n] = '\0';
        for (char *line = buf, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strcmp(line, "READY=1") == 0)
                        return 1;
        }
        return 0;
}

/* sd_notify_barrier: BARRIER=1 with the write end of a pipe, which the receiver closes once it has read
 * everything sent before. A receiver that keeps it open costs the timeout, with a warning. */
static int barrier(int sock, const char *host_socket, struct husk_error **err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: pipe");
        _cleanup_close_ int rd = p[0];
        char msg[] = "BARRIER=1";
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {0};
        struct iovec iov = {.iov_base = msg, .iov_len = strlen(msg)};
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &p[1], sizeof(int));
        ssize_t sent = sendmsg(sock, &mh, MSG_NOSIGNAL);
        int saved = errno;
        close(p[1]);
        if (sent < 0)
                return husk_error_set(err, saved, "NOTIFY_SOCKET `%s`: send BARRIER=1", host_socket);
        struct pollfd pfd = {.fd = rd, .events = POLLIN};
        int ready;
        while ((ready = poll(&pfd, 1, BARRIER_TIMEOUT_MS)) < 0 && errno == EINTR)
                ;
        char byte;
        if (ready == 0)
                husk_warn("NOTIFY_SOCKET `%s`: no answer to BARRIER=1 in %d s, going on", host_socket,
                          BARRIER_TIMEOUT_MS / 1000);
        else if (ready > 0 && read(rd, &byte, 1) != 0)
                husk_warn("NOTIFY_SOCKET `%s`: BARRIER=1 answered with data, not a close", host_socket);
        return 0;
}

int husk_notify_host(const char *host_socket, pid_t main_pid, bool barrier_wait, struct husk_error **err)
{
        struct sockaddr_un addr;
        socklen_t len = 0;
        int r = host_address(host_socket, &addr, &len, err);
        if (r < 0)
                return r;
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET: socket");
        if (connect(sock, (struct sockaddr *)&addr, len) < 0)
                return husk_error_set(err, errno, "NOTIFY_SOCKET `%s`: connect", host_socket);
        char msg[64];
        int n = snprintf(msg, sizeof(msg), "MAINPID=%d\nREADY=1\n", (int)main_pid);
        if (send(sock, msg, (size_t)n, MSG_NOSIGNAL) != n)
                return husk_error_set(err, errno, "NOTIFY_SOCKET `%s`: send READY=1", host_socket);
        husk_debug("NOTIFY_SOCKET `%s`: sent READY=1, MAINPID=%d", host_socket, (int)main_pid);
        return barrier_wait ? barrier(sock, host_socket, err) : 0;
}

int husk_notify_relay_ready(int sock, int init_pidfd, pid_t init_pid, const char *host_socket, struct husk_error **err)
{
        struct pollfd pfd[2] = {{.fd = sock, .events = POLLIN}, {.fd = init_pidfd, .events = POLLIN}};
        while (true) {
                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "NOTIFY_SOCKET: poll");
                }
                /* A datagram a wake-up; once the init exited, all it left (a READY=1 just before counts). */
                bool exited = pfd[1].revents & (POLLIN | POLLHUP);
                int k;
                do
                        k = husk_notify_read_ready(sock);
                while (k == 0 && exited);
                if (k == 1)
                        return husk_notify_host(host_socket, init_pid, true, err);
                if (exited) {
                        husk_debug("NOTIFY_SOCKET: the init exited before READY=1");
                        return 0;
                }
        }
}
