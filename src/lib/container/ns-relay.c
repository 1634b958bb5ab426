/* The intermediate that clones a process from inside another user namespace, and how it reports it. */
#include "container/ns-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/syscalls.h"

/* What the intermediate writes, in one write(2) below PIPE_BUF: it arrives whole or not at all. */
struct relay_report {
        int32_t pid; /* > 0: the new process; 0: errnum and message say why there is none */
        int32_t errnum;
        char message[1024];
};

int husk_ns_relay_open(struct husk_ns_relay *relay, struct husk_error **err)
{
        int fds[2];
        /* Non-blocking: the caller reads once the intermediate is gone, and must not wait on the
         * write end the new process holds until it closes it. */
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return husk_error_set(err, errno, "create a pipe");
        relay->read_fd = fds[0];
        relay->write_fd = fds[1];
        return 0;
}

void husk_ns_relay_close(struct husk_ns_relay *relay)
{
        if (relay->read_fd >= 0)
                close(relay->read_fd);
        if (relay->write_fd >= 0)
                close(relay->write_fd);
        relay->read_fd = relay->write_fd = -1;
}

_Noreturn void husk_ns_relay_exit(struct husk_ns_relay *relay, pid_t pid, const struct husk_error *e)
{
        struct relay_report report = {.pid = pid > 0 ? pid : 0};
        if (pid <= 0) {
                report.errnum = e ? e->errnum : 0;
                snprintf(report.message, sizeof(report.message), "%s", e && e->msg ? e->msg : "failed");
        }
        size_t len = offsetof(struct relay_report, message) + strlen(report.message) + 1;
        if (write(relay->write_fd, &report, len) != (ssize_t)len) {
                /* Unreported, the process would be nobody's to release or kill. */
                if (pid > 0)
                        kill(pid, SIGKILL);
                _exit(1);
        }
        _exit(pid > 0 ? 0 : 1);
}

int husk_ns_relay_wait(struct husk_ns_relay *relay, pid_t intermediate, pid_t *ret_pid, int *ret_pidfd,
                       struct husk_error **err)
{
        close(relay->write_fd);
        relay->write_fd = -1;
        int status = 0;
        pid_t w;
        while ((w = waitpid(intermediate, &status, 0)) < 0 && errno == EINTR)
                ;
        struct relay_report report = {0};
        ssize_t n = w < 0 ? -1 : read(relay->read_fd, &report, sizeof(report));
        int saved = errno;
        husk_ns_relay_close(relay);
        if (w < 0)
                return husk_error_set(err, saved, "wait for the intermediate process");
        if (n > (ssize_t)offsetof(struct relay_report, message) && report.pid > 0) {
                /* Our child (CLONE_PARENT) that nobody else reaps: the pid cannot have been reused. */
                int pidfd = husk_pidfd_open(report.pid);
                if (pidfd < 0)
                        return husk_error_set(err, errno, "pidfd_open %d", (int)report.pid);
                *ret_pid = report.pid;
                *ret_pidfd = pidfd;
                return 0;
        }
        if (n > (ssize_t)offsetof(struct relay_report, message)) {
                report.message[sizeof(report.message) - 1] = '\0';
                return husk_error_set(err, report.errnum, "%s", report.message);
        }
        if (WIFSIGNALED(status))
                return husk_error_set(err, 0, "the intermediate process was killed by signal %d", WTERMSIG(status));
        return husk_error_set(err, 0, "the intermediate process exited with status %d without a word",
                              WEXITSTATUS(status));
}
