/* Which namespaces a container gets: new ones as clone flags, joined ones as verified fds. */
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/syscalls.h"

static const unsigned long clone_flags[HUSK_NS_COUNT] = {
    [HUSK_NS_PID] = CLONE_NEWPID,       [HUSK_NS_NETWORK] = CLONE_NEWNET, [HUSK_NS_MOUNT] = CLONE_NEWNS,
    [HUSK_NS_IPC] = CLONE_NEWIPC,       [HUSK_NS_UTS] = CLONE_NEWUTS,     [HUSK_NS_USER] = CLONE_NEWUSER,
    [HUSK_NS_CGROUP] = CLONE_NEWCGROUP, [HUSK_NS_TIME] = CLONE_NEWTIME,
};

unsigned long husk_ns_clone_flag(enum husk_ns_type type)
{
        return type < HUSK_NS_COUNT ? clone_flags[type] : 0;
}

void husk_ns_plan_close(struct husk_ns_plan *plan)
{
        for (int i = 0; i < HUSK_NS_COUNT; i++) {
                if (plan->join_fd[i] >= 0)
                        close(plan->join_fd[i]);
                plan->join_fd[i] = -1;
        }
}

int husk_ns_plan_open(const struct husk_spec *spec, struct husk_ns_plan *ret, struct husk_error **err)
{
        struct husk_ns_plan plan = {0};
        for (int i = 0; i < HUSK_NS_COUNT; i++)
                plan.join_fd[i] = -1;

        for (size_t i = 0; i < spec->linux_.namespaces_len; i++) {
                const struct husk_namespace *ns = &spec->linux_.namespaces[i];
                plan.has[ns->type] = true;
                if (!ns->path) {
                        plan.new_flags |= clone_flags[ns->type];
                        continue;
                }
                int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        int r = husk_error_set(err, errno, "linux.namespaces[%zu].path: open `%s`", i, ns->path);
                        husk_ns_plan_close(&plan);
                        return r;
                }
                plan.join_fd[ns->type] = fd;
                int type = ioctl(fd, NS_GET_NSTYPE);
                if (type < 0 || (unsigned long)type != clone_flags[ns->type]) {
                        int r = husk_error_set(err, 0, "linux.namespaces[%zu].path: `%s` is not a %s namespace", i,
                                               ns->path, husk_ns_type_name(ns->type));
                        husk_ns_plan_close(&plan);
                        return r;
                }
        }
        *ret = plan;
        return 0;
}

int husk_ns_join(struct husk_ns_plan *plan, enum husk_ns_type type, struct husk_error **err)
{
        int fd = plan->join_fd[type];
        if (fd < 0)
                return 0;
        if (setns(fd, (int)clone_flags[type]) < 0)
                return husk_error_set(err, errno, "join %s namespace", husk_ns_type_name(type));
        close(fd);
        plan->join_fd[type] = -1;
        return 0;
}

int husk_ns_write_time_offsets(const struct husk_spec *spec, struct husk_error **err)
{
        const struct husk_time_offset *boot = &spec->linux_.time_boottime, *mono = &spec->linux_.time_monotonic;
        if (!boot->present && !mono->present)
                return 0;
        char buf[128];
        int n = 0;
        if (mono->present)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n", (long long)mono->secs,
                              mono->nanosecs);
        if (boot->present)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n", (long long)boot->secs,
                              boot->nanosecs);
        _cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "linux.timeOffsets: open `/proc/self/timens_offsets`");
        /* The kernel takes one line per write. */
        for (char *line = buf, *end; *line; line = end + 1) {
                end = strchr(line, '\n');
                if (write(fd, line, (size_t)(end - line + 1)) < 0)
                        return husk_error_set(err, errno, "linux.timeOffsets: write `%.*s`", (int)(end - line), line);
        }
        return 0;
}

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
