/* Helpers of the cgroup unit tests: unique test cgroups, reading them back, children that join them, cleanup. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "util/cleanup.h"

/* Every test cgroup lives under /husk-test-<pid>-* in each hierarchy; nothing else is touched. */
static char test_prefix[64];
static unsigned test_counter;

static inline enum husk_cgroup_layout test_layout(void)
{
        enum husk_cgroup_layout layout;
        struct husk_error *err = NULL;
        if (husk_cgroup_detect_layout(&layout, &err) < 0)
                fail_msg("detect layout: %s", err->msg);
        return layout;
}

static inline const char *test_new_path(char *buf, size_t size, const char *name)
{
        snprintf(buf, size, "%s-%u-%s", test_prefix, ++test_counter, name);
        return buf;
}

/* The directory of `path` in the hierarchy of controller `ctrl` ("memory"; "unified" for cgroup2). */
static inline void test_dir(char *buf, size_t size, const char *ctrl, const char *path)
{
        if (test_layout() == HUSK_CGROUP_V2)
                snprintf(buf, size, "/sys/fs/cgroup%s", path);
        else
                snprintf(buf, size, "/sys/fs/cgroup/%s%s", ctrl, path);
}

static inline bool test_dir_exists(const char *ctrl, const char *path)
{
        char dir[4096];
        struct stat st;
        test_dir(dir, sizeof(dir), ctrl, path);
        return stat(dir, &st) == 0;
}

/* Read a control file of the test cgroup (trailing newline removed); NULL when it cannot be read. */
static inline char *test_read(const char *ctrl, const char *path, const char *file)
{
        char full[4200];
        static char buf[8192];
        test_dir(full, sizeof(full), ctrl, path);
        strncat(full, "/", sizeof(full) - strlen(full) - 1);
        strncat(full, file, sizeof(full) - strlen(full) - 1);
        int fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return NULL;
        while (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        return buf;
}

static inline bool test_is_mounted(const char *dir, long magic)
{
        struct statfs fs;
        return statfs(dir, &fs) == 0 && fs.f_type == magic;
}

/* A v1 controller is usable when its hierarchy is mounted (hybrid and v1). */
static inline bool test_v1_has(const char *ctrl)
{
        char dir[256];
        snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", ctrl);
        return test_is_mounted(dir, CGROUP_SUPER_MAGIC);
}

/* Mount points of every hierarchy, for the leftover checks and cleanup. */
static inline size_t test_mounts(char mounts[][256], size_t max)
{
        size_t n = 0;
        if (test_layout() == HUSK_CGROUP_V2) {
                snprintf(mounts[n++], 256, "/sys/fs/cgroup");
                return n;
        }
        DIR *d = opendir("/sys/fs/cgroup");
        struct dirent *de;
        while (d && (de = readdir(d)) && n < max) {
                if (de->d_name[0] == '.')
                        continue;
                char dir[256];
                if (snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", de->d_name) >= (int)sizeof(dir))
                        continue;
                if (test_is_mounted(dir, CGROUP_SUPER_MAGIC) || test_is_mounted(dir, CGROUP2_SUPER_MAGIC))
                        snprintf(mounts[n++], 256, "%s", dir);
        }
        if (d)
                closedir(d);
        return n;
}

/* Is any directory starting with `name` left in any hierarchy? */
static inline bool test_anything_left(const char *name)
{
        char mounts[32][256];
        size_t n = test_mounts(mounts, 32);
        for (size_t i = 0; i < n; i++) {
                char dir[600];
                struct stat st;
                snprintf(dir, sizeof(dir), "%s%s", mounts[i], name);
                if (stat(dir, &st) == 0)
                        return true;
        }
        return false;
}

static inline void test_rmtree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                char sub[4096];
                if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
                        test_rmtree(sub);
        }
        if (d)
                closedir(d);
        char procs[4200];
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
        FILE *f = fopen(procs, "re");
        int pid;
        while (f && fscanf(f, "%d", &pid) == 1)
                kill(pid, SIGKILL);
        if (f)
                fclose(f);
        for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++)
                usleep(5000);
}

static inline void test_cleanup_in(const char *parent)
{
        const char *base = test_prefix + 1;
        DIR *d = opendir(parent);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (strncmp(de->d_name, base, strlen(base)) != 0)
                        continue;
                char dir[1200];
                snprintf(dir, sizeof(dir), "%s/%s", parent, de->d_name);
                test_rmtree(dir);
        }
        if (d)
                closedir(d);
}

/*
 * Remove every husk-test-<pid>-* directory at the root of every hierarchy and below this process's own
 * cgroups (relative paths land there): runs after each test, pass or fail.
 */
static inline int test_cleanup(void **state)
{
        (void)state;
        char mounts[32][256];
        size_t n = test_mounts(mounts, 32);
        char own[32][512];
        size_t nown = 0;
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[1024];
        while (f && nown + 1 < 32 && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strcmp(c2 + 1, "/") == 0)
                        continue;
                snprintf(own[nown++], sizeof(own[0]), "%s", c2 + 1);
                char *slash = strrchr(c2 + 1, '/');
                if (slash && slash != c2 + 1) {
                        *slash = '\0';
                        snprintf(own[nown++], sizeof(own[0]), "%s", c2 + 1);
                }
        }
        if (f)
                fclose(f);
        for (size_t i = 0; i < n; i++) {
                test_cleanup_in(mounts[i]);
                for (size_t j = 0; j < nown; j++) {
                        char dir[800];
                        if (snprintf(dir, sizeof(dir), "%s%s", mounts[i], own[j]) < (int)sizeof(dir))
                                test_cleanup_in(dir);
                }
        }
        return 0;
}

static inline int test_global_setup(void **state)
{
        (void)state;
        snprintf(test_prefix, sizeof(test_prefix), "/husk-test-%d", (int)getpid());
        if (geteuid() != 0) {
                fprintf(stderr, "cgroup unit tests need root\n");
                return -1;
        }
        return 0;
}

/* A child that waits on a pipe; the parent puts it into a cgroup, then lets it run `fn`. */
struct test_child {
        pid_t pid;
        int go; /* write end: one byte releases the child */
};

static inline struct test_child test_spawn(int (*fn)(void *), void *arg)
{
        int fds[2];
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                close(fds[1]);
                if (read(fds[0], &c, 1) != 1)
                        _exit(120);
                _exit(fn(arg));
        }
        close(fds[0]);
        return (struct test_child){.pid = pid, .go = fds[1]};
}

static inline void test_release(struct test_child *child)
{
        assert_int_equal(write(child->go, "x", 1), 1);
        close(child->go);
        child->go = -1;
}

static inline int test_wait(pid_t pid)
{
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return status;
}

static inline void test_check(int r, struct husk_error **err)
{
        if (r < 0) {
                char *msg = husk_error_format(*err);
                fail_msg("unexpected error: %s", msg ? msg : "?");
        }
}

/* A spec with only linux.cgroupsPath and linux.resources set. */
static inline void test_spec_init(struct husk_spec *spec, const char *cgroups_path)
{
        memset(spec, 0, sizeof(*spec));
        spec->has_linux = true;
        spec->linux_.cgroups_path = (char *)cgroups_path;
        spec->linux_.resources.present = true;
}
