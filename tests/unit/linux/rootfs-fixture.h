/* Helpers for rootfs tests: a temporary bundle with a busybox rootfs, a child in its own mount namespace. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct rootfs_fixture {
        char bundle[64];       /* /tmp/husk-bundle-XXXXXX */
        char rootfs[PATH_MAX]; /* <bundle>/rootfs, holding bin/busybox */
        char host[64];         /* /tmp/husk-hostdir-XXXXXX: the host directory hostile symlinks aim at */
};

/* Make the bundle and the host directory; false (with a message on stderr) on failure. */
bool fixture_create(struct rootfs_fixture *f);
/* Remove both trees; safe on a half-made fixture. */
void fixture_destroy(struct rootfs_fixture *f);

/* Build base/rel as a file with content, a directory, or a symlink; abort the child on failure. */
void fixture_write(const char *base, const char *rel, const char *content);
void fixture_mkdir(const char *base, const char *rel);
void fixture_symlink(const char *base, const char *rel, const char *target);
/* Is there anything (lstat) at base/rel? */
bool fixture_exists(const char *base, const char *rel);
/* Number of entries in a directory other than . and .., -1 when it cannot be read. */
int fixture_count_entries(const char *dir);
/* The same for a directory fd opened O_RDONLY, which it takes over (and closes). */
int fixture_count_entries_fd(int fd);

/*
 * Run fn in a forked child that has its own mount namespace (recursively a slave of ours,
 * so nothing it mounts reaches the host). Returns the child's exit status, or -1 when it
 * died of a signal. The child's mounts vanish with it.
 */
int fixture_run_in_child(int (*fn)(void *arg), void *arg);

/* One line of /proc/self/mountinfo. */
struct mountinfo_entry {
        char mountpoint[PATH_MAX];
        char opts[512];     /* per-mount options: "ro,nosuid,..." */
        char optional[256]; /* "shared:N master:M" or "" */
        char fstype[64];
        char super_opts[1024];
};

/* The topmost mount at mountpoint; false when there is none. */
bool mountinfo_find(const char *mountpoint, struct mountinfo_entry *ret);
/* Does a comma-separated option list hold opt (exactly)? */
bool opts_have(const char *opts, const char *opt);

/* Checks inside the child: count failures and say what failed, never abort. */
extern int check_failures;
#define CHECK(cond, ...)                                                                                               \
        do {                                                                                                           \
                if (!(cond)) {                                                                                         \
                        fprintf(stderr, "CHECK FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
                        fprintf(stderr, __VA_ARGS__);                                                                  \
                        fputc('\n', stderr);                                                                           \
                        check_failures++;                                                                              \
                }                                                                                                      \
        } while (0)
