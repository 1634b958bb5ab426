/* Which namespaces a container gets: new ones as clone flags, joined ones as verified fds. */
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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
