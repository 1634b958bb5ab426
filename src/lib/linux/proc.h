/* Verified procfs access: open and write files under /proc only through a real, un-overmounted procfs. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * A container controls its own /proc: it can replace it with a tmpfs, bind a file over
 * /proc/self/attr/exec or a sysctl, or symlink it elsewhere (CVE-2019-16884, CVE-2025-52881).
 * Every write the runtime makes to procfs therefore goes through these functions, which
 *  - open "/proc" itself with O_NOFOLLOW and check it is the root inode of a procfs mount,
 *  - resolve the rest with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV),
 *    so no component may leave the procfs mount (an overmount anywhere on the path fails
 *    with EXDEV) and no magic link (/proc/<pid>/root, fd/N...) is followed,
 *  - check the opened file is itself on procfs.
 * `path` is relative to /proc, e.g. "self/oom_score_adj", "thread-self/attr/apparmor/exec",
 * "sys/kernel/msgmax", "1234/oom_score_adj". It must not be absolute and must not contain "..".
 * Needs openat2 (Linux 5.6). Works the same in the host and after pivot_root (the container's /proc).
 */

/* A verified O_PATH fd on the root of the procfs mounted at /proc, for several opens in a row. */
int husk_proc_root_open(struct husk_error **err);

/* Open `path` under a root from husk_proc_root_open; flags are open(2) flags (O_CLOEXEC is added). */
int husk_proc_openat(int proc_root, const char *path, int flags, struct husk_error **err);

/* husk_proc_root_open + husk_proc_openat. Returns the fd. */
int husk_proc_open(const char *path, int flags, struct husk_error **err);

/* Write `value` in one write(2) (procfs parses each write on its own); a short write is an error. */
int husk_proc_write(const char *path, const char *value, struct husk_error **err);
int husk_proc_writeat(int proc_root, const char *path, const char *value, struct husk_error **err);

/*
 * Read up to size-1 bytes into buf and NUL-terminate it; returns the length read.
 * Content longer than the buffer is an error (ENOBUFS), never silently cut.
 */
ssize_t husk_proc_read(const char *path, char *buf, size_t size, struct husk_error **err);
