/* process.terminal: a pty made in the container's devpts, /dev/console, and the console socket. */
#include "linux/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int husk_fd_socket_connect(const char *path, const char *what, int *ret_fd, struct husk_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return husk_error_set(err, ENAMETOOLONG, "%s `%s`", what, path);
        strcpy(addr.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return husk_error_set(err, errno, "%s: socket", what);
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return husk_error_set(err, errno, "%s: connect `%s`", what, path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int husk_terminal_connect_socket(const char *path, int *ret_fd, struct husk_error **err)
{
        return husk_fd_socket_connect(path, "--console-socket", ret_fd, err);
}

/* Bind the pty peer over /dev/console through fds: no path is walked twice. */
static int bind_console(int peer, struct husk_error **err)
{
        _cleanup_close_ int target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (target < 0 && errno == ENOENT) {
                _cleanup_close_ int created =
                    open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (created < 0)
                        return husk_error_set(err, errno, "create `/dev/console`");
                target = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        }
        if (target < 0)
                return husk_error_set(err, errno, "open `/dev/console`");
        struct stat st;
        if (fstat(target, &st) < 0 || S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
                return husk_error_set(err, EINVAL, "`/dev/console` in the rootfs is not a file or device");
        _cleanup_close_ int tree =
            (int)syscall(SYS_open_tree, peer, "", OPEN_TREE_CLONE | AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return husk_error_set(err, errno, "clone pty for `/dev/console`");
        if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return husk_error_set(err, errno, "bind pty on `/dev/console`");
        return 0;
}

int husk_terminal_open(const struct husk_process *process, int *ret_master, int *ret_peer, struct husk_error **err)
{
        _cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return husk_error_set(err, errno, "process.terminal: open `/dev/pts/ptmx` (is devpts mounted?)");
        if (unlockpt(master) < 0)
                return husk_error_set(err, errno, "process.terminal: unlockpt");
        _cleanup_close_ int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return husk_error_set(err, errno, "process.terminal: open pty peer");
        if (process->has_console_size) {
                struct winsize ws = {.ws_row = (unsigned short)process->console_height,
                                     .ws_col = (unsigned short)process->console_width};
                if (ioctl(master, TIOCSWINSZ, &ws) < 0)
                        return husk_error_set(err, errno, "process.consoleSize");
        }
        *ret_master = TAKE_FD(master);
        *ret_peer = TAKE_FD(peer);
        return 0;
}

int husk_terminal_clear_onlcr(int fd, struct husk_error **err)
{
        struct termios t;
        if (tcgetattr(fd, &t) < 0)
                return husk_error_set(err, errno, "process.terminal: get the pty's modes");
        t.c_oflag &= ~(tcflag_t)ONLCR;
        if (tcsetattr(fd, TCSANOW, &t) < 0)
                return husk_error_set(err, errno, "process.terminal: clear onlcr");
        return 0;
}

int husk_terminal_make_controlling(int fd, struct husk_error **err)
{
        if (ioctl(fd, TIOCSCTTY, 0) < 0)
                return husk_error_set(err, errno, "process.terminal: set controlling terminal");
        return 0;
}

int husk_terminal_dup_stdio(int peer, struct husk_error **err)
{
        for (int fd = 0; fd < 3; fd++)
                if (dup2(peer, fd) < 0)
                        return husk_error_set(err, errno, "process.terminal: dup pty to fd %d", fd);
        return 0;
}

int husk_terminal_make_stdio(int peer, struct husk_error **err)
{
        int r = husk_terminal_make_controlling(peer, err);
        return r < 0 ? r : husk_terminal_dup_stdio(peer, err);
}

int husk_terminal_setup(const struct husk_process *process, bool controlling, int *ret_master, struct husk_error **err)
{
        _cleanup_close_ int master = -1, peer = -1;
        int r = husk_terminal_open(process, &master, &peer, err);
        if (r < 0)
                return r;
        r = bind_console(peer, err);
        if (r < 0)
                return r;
        r = controlling ? husk_terminal_make_stdio(peer, err) : husk_terminal_dup_stdio(peer, err);
        if (r < 0)
                return r;
        *ret_master = TAKE_FD(master);
        return 0;
}

int husk_send_fd(int sock, int fd, const char *name, struct husk_error **err)
{
        char control[CMSG_SPACE(sizeof(int))] = {0};
        char byte = 0;
        struct iovec iov = {.iov_base = name ? (void *)name : &byte, .iov_len = name ? strlen(name) : 1};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return husk_error_set(err, errno, "send `%s` over the socket", name ? name : "fd");
        return 0;
}

int husk_recv_fd(int sock, int *ret_fd, struct husk_error **err)
{
        char control[CMSG_SPACE(sizeof(int))] = {0};
        char buf[256];
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
        struct msghdr msg = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
        ssize_t n;
        do
                n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return husk_error_set(err, errno, "receive terminal fd");
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_type != SCM_RIGHTS)
                return husk_error_set(err, EPROTO, "receive terminal fd: no fd in the message");
        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
        return 0;
}
