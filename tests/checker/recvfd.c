/* recvfd: the host end of --pidfd-socket for tests; receives one fd, says what it is, can signal and await it. */
/*
 * usage: recvfd SOCKET [SIGNAL]
 * Listens on the unix socket SOCKET (it appears only once listening), accepts one connection and takes the fd
 * passed with SCM_RIGHTS. Prints `link=` (its /proc/self/fd target, anon_inode:[pidfd] for a pidfd) and `pid=`
 * (the Pid: line of its fdinfo, in this pid namespace) and, with SIGNAL (a number), sends it through the pidfd
 * (`signal=ok`) and waits until the process exits (`exited=1`). Gives up after 60 seconds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
        fprintf(stderr, "recvfd: %s: %s\n", what, strerror(errno));
        return 1;
}

static int receive_fd(int conn)
{
        char data[256];
        struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
        ssize_t n;
        do
                n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c), sizeof(fd));
                        return fd;
                }
        }
        errno = EBADMSG;
        return -1;
}

static int listen_on(const char *path)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s.tmp", path) >= (int)sizeof(addr.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return -1;
        unlink(path);
        unlink(addr.sun_path);
        /* Bound under a temporary name and renamed, so that the path exists only once it listens. */
        if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 1) < 0 ||
            rename(addr.sun_path, path) < 0)
                return -1;
        return sock;
}

int main(int argc, char **argv)
{
        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: recvfd SOCKET [SIGNAL]\n");
                return 2;
        }
        int sig = 0;
        if (argc == 3) {
                char *end;
                sig = (int)strtol(argv[2], &end, 10);
                if (*end || sig <= 0 || sig >= NSIG) {
                        fprintf(stderr, "recvfd: bad signal number %s\n", argv[2]);
                        return 2;
                }
        }
        alarm(60);
        int sock = listen_on(argv[1]);
        if (sock < 0)
                return die("listen");
        int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return die("accept");
        int fd = receive_fd(conn);
        if (fd < 0)
                return die("recvmsg");
        close(conn);
        close(sock);

        char path[64], link[256] = "";
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                return die("readlink");
        link[n] = '\0';
        printf("link=%s\n", link);
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        FILE *info = fopen(path, "re");
        char line[256];
        while (info && fgets(line, sizeof(line), info))
                if (strncmp(line, "Pid:", 4) == 0)
                        printf("pid=%ld\n", strtol(line + 4, NULL, 10));
        if (info)
                fclose(info);
        fflush(stdout);
        if (sig == 0)
                return 0;
        if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
                return die("pidfd_send_signal");
        printf("signal=ok\n");
        fflush(stdout);
        /* A pidfd turns readable when its process exits. */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        while (poll(&pfd, 1, -1) < 0)
                if (errno != EINTR)
                        return die("poll");
        printf("exited=1\n");
        return 0;
}
