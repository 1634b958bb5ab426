/* sdnotify: the systemd end of NOTIFY_SOCKET for tests; logs what a runtime tells it. */
/*
 * usage: sdnotify SOCKET LOG [hold]
 * Binds the datagram socket SOCKET (a path; it appears only once bound) and appends one line to LOG per
 * datagram: the text with its newlines as spaces and the trailing ones dropped, then ` fds=N` when it
 * carried file descriptors and ` pid=P` (the sender, from SCM_CREDENTIALS). It closes received fds at
 * once, as systemd answers BARRIER=1, unless `hold` is given: then it keeps them open, as a receiver that
 * never answers. Runs until killed; gives up after 10 minutes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
        fprintf(stderr, "sdnotify: %s: %s\n", what, strerror(errno));
        return 1;
}

int main(int argc, char **argv)
{
        if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "hold") != 0)) {
                fprintf(stderr, "usage: sdnotify SOCKET LOG [hold]\n");
                return 2;
        }
        bool hold = argc == 4;
        int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return die("socket");
        /* Bound under a temporary name and renamed: whoever sees SOCKET can send to it. */
        struct sockaddr_un tmp = {.sun_family = AF_UNIX};
        if ((size_t)snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.tmp", argv[1]) >= sizeof(tmp.sun_path)) {
                fprintf(stderr, "sdnotify: socket path too long\n");
                return 2;
        }
        unlink(tmp.sun_path);
        if (bind(sock, (struct sockaddr *)&tmp, sizeof(tmp)) < 0 || rename(tmp.sun_path, argv[1]) < 0)
                return die("bind");
        for (;;) {
                struct pollfd pfd = {.fd = sock, .events = POLLIN};
                int ready = poll(&pfd, 1, 600 * 1000);
                if (ready < 0 && errno == EINTR)
                        continue;
                if (ready <= 0)
                        return ready == 0 ? 0 : die("poll");
                char data[4097];
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(16 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
                } control;
                struct iovec iov = {.iov_base = data, .iov_len = sizeof(data) - 1};
                struct msghdr msg = {.msg_iov = &iov,
                                     .msg_iovlen = 1,
                                     .msg_control = control.buf,
                                     .msg_controllen = sizeof(control.buf)};
                ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
                if (n < 0)
                        return die("recvmsg");
                data[n] = '\0';
                while (n > 0 && data[n - 1] == '\n')
                        data[--n] = '\0';
                for (ssize_t i = 0; i < n; i++)
                        if (data[i] == '\n')
                                data[i] = ' ';
                int fds = 0;
                long pid = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                                int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                                for (int i = 0; i < k; i++) {
                                        int fd;
                                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                        if (!hold)
                                                close(fd);
                                }
                                fds += k;
                        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred cred;
                                memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                                pid = cred.pid;
                        }
                }
                FILE *log = fopen(argv[2], "a");
                if (!log)
                        return die("open log");
                fprintf(log, "%s", data);
                if (fds)
                        fprintf(log, " fds=%d", fds);
                fprintf(log, " pid=%ld\n", pid);
                fclose(log);
        }
}
