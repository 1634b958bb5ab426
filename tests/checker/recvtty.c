/* recvtty: the host end of --console-socket for tests; receives the pty master and copies its output to stdout. */
/*
 * usage: recvtty SOCKET
 * Listens on the unix socket SOCKET, accepts one connection, takes the fd passed with SCM_RIGHTS (the pty master
 * the runtime made for a terminal: true container) and copies everything the container writes to stdout until
 * the container closes its side. What arrives on stdin is typed into the terminal (until stdin's EOF, which
 * leaves the terminal open). Gives up after 60 seconds so a broken runtime cannot hang the test suite.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
        fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
        return 1;
}

static int receive_fd(int conn)
{
        char byte;
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct msghdr msg = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        ssize_t n;
        do
                n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                    c->cmsg_len == CMSG_LEN(sizeof(int))) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c), sizeof(fd));
                        return fd;
                }
        }
        errno = EBADMSG;
        return -1;
}

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: recvtty SOCKET\n");
                return 2;
        }
        alarm(60);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
                fprintf(stderr, "recvtty: socket path too long\n");
                return 2;
        }
        strcpy(addr.sun_path, argv[1]);
        int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return die("socket");
        unlink(argv[1]);
        /* Bind under a temporary name and rename, so the socket path appears only once it is listening. */
        struct sockaddr_un tmp = addr;
        if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.tmp", argv[1]) >= (int)sizeof(tmp.sun_path)) {
                fprintf(stderr, "recvtty: socket path too long\n");
                return 2;
        }
        unlink(tmp.sun_path);
        if (bind(sock, (struct sockaddr *)&tmp, sizeof(tmp)) < 0)
                return die("bind");
        if (listen(sock, 1) < 0)
                return die("listen");
        if (rename(tmp.sun_path, argv[1]) < 0)
                return die("rename");

        int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return die("accept");
        int master = receive_fd(conn);
        if (master < 0)
                return die("recvmsg");
        close(conn);
        close(sock);

        char buf[4096];
        struct pollfd pfd[2] = {{.fd = master, .events = POLLIN}, {.fd = STDIN_FILENO, .events = POLLIN}};
        for (;;) {
                if (poll(pfd, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return die("poll");
                }
                if (pfd[1].revents) {
                        ssize_t in = read(STDIN_FILENO, buf, sizeof(buf));
                        if (in <= 0)
                                pfd[1].fd = -1;
                        for (ssize_t off = 0; off < in;) {
                                ssize_t w = write(master, buf + off, (size_t)(in - off));
                                if (w < 0 && errno != EINTR)
                                        return die("write to the terminal");
                                off += w > 0 ? w : 0;
                        }
                }
                if (!pfd[0].revents)
                        continue;
                ssize_t n = read(master, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EIO) /* the last slave fd closed: the container is done */
                        break;
                if (n < 0)
                        return die("read");
                if (n == 0)
                        break;
                if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
                        return die("write");
                fflush(stdout);
        }
        return 0;
}
