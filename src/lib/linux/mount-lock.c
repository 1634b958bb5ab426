/* The kernel's user namespace locks for the bind trees the runtime makes on the host (mount-lock.h). */
#include "linux/mount-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/rootfs-internal.h"
#include "linux/terminal.h"
#include "util/cleanup.h"
#include "util/log.h"

/*
 * In a child: stage every tree on a tmpfs of a private mount namespace, copy that namespace into a new user
 * namespace (the copy is what lock_mnt_tree locks), clone each staged tree there and send the clones, in order.
 * Returns an errno for the exit status, 0 when all were sent.
 */
static int lock_in_child(int sock, const int *trees, const bool *recursive, const unsigned long *propagation,
                         size_t len)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return errno;
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return errno;
        int stage = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        /* Over /proc of this namespace alone (a directory every host has; not "/", under which this process would
         * count as chrooted, which a new user namespace refuses). The staged trees are reached from the working
         * directory, which the copy below moves along to the new namespace's tmpfs. */
        if (stage < 0 || move_mount(stage, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(stage) < 0)
                return errno;
        char name[32];
        for (size_t i = 0; i < len; i++) {
                struct stat st;
                if (trees[i] < 0)
                        continue;
                snprintf(name, sizeof(name), "%zu", i);
                if (fstat(trees[i], &st) < 0)
                        return errno;
                int made = S_ISDIR(st.st_mode) ? mkdir(name, 0755) : mknod(name, S_IFREG | 0644, 0);
                if (made < 0 || move_mount(trees[i], "", AT_FDCWD, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return errno;
        }
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                return errno;
        for (size_t i = 0; i < len; i++) {
                if (trees[i] < 0)
                        continue;
                snprintf(name, sizeof(name), "%zu", i);
                int clone =
                    open_tree(AT_FDCWD, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive[i] ? AT_RECURSIVE : 0));
                if (clone < 0)
                        return errno;
                /* The clone's propagation is this namespace's to set: its owner is ours now. */
                int r = propagation[i] ? husk_mount_setattr(clone, true, 0, 0, propagation[i]) : 0;
                _cleanup_error_ struct husk_error *ignored = NULL;
                if (r < 0 || husk_send_fd(sock, clone, NULL, &ignored) < 0)
                        return r < 0 ? -r : EPIPE;
                close(clone);
        }
        return 0;
}

int husk_mount_trees_lock(int *trees, const bool *recursive, const unsigned long *propagation, size_t len,
                          struct husk_error **err)
{
        size_t count = 0;
        for (size_t i = 0; i < len; i++)
                count += trees[i] >= 0;
        if (count == 0)
                return 0;
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return husk_error_set(err, errno, "lock the bind mounts made on the host: socketpair");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return husk_error_set(err, e, "lock the bind mounts made on the host: fork");
        }
        if (pid == 0) {
                close(sv[0]);
                _exit(lock_in_child(sv[1], trees, recursive, propagation, len));
        }
        close(sv[1]);
        _cleanup_close_ int sock = sv[0];
        int r = 0;
        _cleanup_error_ struct husk_error *recv_err = NULL;
        for (size_t i = 0; i < len && r == 0; i++) {
                int clone;
                if (trees[i] < 0)
                        continue;
                r = husk_recv_fd(sock, &clone, &recv_err);
                if (r == 0) {
                        close(trees[i]);
                        trees[i] = clone;
                }
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        int child = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
        if (r == 0 && child == 0)
                return 0;
        for (size_t i = 0; i < len; i++)
                if (trees[i] >= 0) {
                        close(trees[i]);
                        trees[i] = -1;
                }
        return husk_error_set(err, child ? child : EPROTO,
                              "lock the bind mounts made on the host (a user namespace's copy of them)");
}
