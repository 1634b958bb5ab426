/* floor: the least a container start can cost, as a baseline for bench/run.sh. */
/*
 * usage: floor ROOTFS [PROGRAM [ARGS...]]   (PROGRAM defaults to /bin/true)
 * clone() into new mount, pid, ipc, uts and network namespaces, bind ROOTFS onto itself, pivot_root into it,
 * exec PROGRAM, and wait for it. No config parsing, no cgroups, no /proc or /dev, no state: whatever a runtime
 * spends above this is its own overhead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_args {
        const char *rootfs;
        char **argv;
};

static int fail(const char *what)
{
        fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
        return 127;
}

static int child(void *opaque)
{
        const struct child_args *args = opaque;
        /* Keep the mounts below out of the parent's namespace (the host's / may be shared). */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail("make / private");
        if (mount(args->rootfs, args->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return fail("bind rootfs");
        if (chdir(args->rootfs) < 0)
                return fail("chdir rootfs");
        /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the rootfs. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return fail("pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return fail("umount old root");
        if (chdir("/") < 0)
                return fail("chdir /");
        execv(args->argv[0], args->argv);
        return fail("execv");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: floor ROOTFS [PROGRAM [ARGS...]]\n");
                return 2;
        }
        char *default_argv[] = {"/bin/true", NULL};
        struct child_args args = {
            .rootfs = argv[1],
            .argv = argc > 2 ? argv + 2 : default_argv,
        };
        static char stack[64 * 1024] __attribute__((aligned(16)));
        int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD;
        pid_t pid = clone(child, stack + sizeof(stack), flags, &args);
        if (pid < 0)
                return fail("clone");
        int status;
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR)
                        return fail("waitpid");
        }
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}
