/* Path resolution and creation confined to a directory tree (openat2 RESOLVE_IN_ROOT). */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Every function here treats root_fd as "/" for `path` (absolute or relative, it makes
 * no difference): `..` stops at the root, symlinks (absolute or relative) are followed
 * but resolved inside the root, and magic links (/proc/<pid>/fd/..., /proc/self/root)
 * are refused with ELOOP. Nothing outside the tree is ever opened, created or mounted.
 * Needs openat2(2) (Linux 5.6); on older kernels the functions fail with ENOSYS.
 *
 * Return value: an fd (O_CLOEXEC) >= 0, or -errno with *err set ("open `/dev/null`",
 * errnum = errno). Pass err = NULL to probe: e.g. a caller that skips missing paths
 * checks for -ENOENT without allocating an error.
 */

/*
 * Open `path` as it exists. open_flags are openat2 O_* flags (O_PATH, O_DIRECTORY,
 * O_RDONLY, O_NOFOLLOW...; O_CLOEXEC is always added); O_CREAT and O_TMPFILE are refused
 * with EINVAL (use the mk* functions). resolve_extra adds RESOLVE_* flags, e.g.
 * RESOLVE_NO_SYMLINKS to refuse any symlink, RESOLVE_NO_XDEV to stay on one mount.
 */
int husk_path_open_in_root(int root_fd, const char *path, uint64_t open_flags, uint64_t resolve_extra,
                           struct husk_error **err);

/*
 * mkdir -p inside the root: create the missing components of `path` with `mode` (the
 * umask applies) and return an O_PATH|O_DIRECTORY fd of the final directory. Existing
 * components may be symlinks (resolved in the root, a dangling one is created at its
 * in-root target); an existing non-directory fails with ENOTDIR.
 */
int husk_path_mkdir_all_in_root(int root_fd, const char *path, mode_t mode, struct husk_error **err);

/*
 * Return an fd of the object at `path`, creating an empty regular file with `mode` (and
 * missing parent directories with 0755) when nothing is there. An existing object is
 * returned whatever its type (O_PATH fd; a created file is returned O_RDONLY), so a caller
 * that needs a file checks the type itself. Used for bind-mount targets of files.
 */
int husk_path_mkfile_in_root(int root_fd, const char *path, mode_t mode, struct husk_error **err);

/*
 * As husk_path_mkdir_all_in_root and husk_path_mkfile_in_root, for the runtime making what
 * another user (the root of a user namespace) would have made: each component created here
 * (missing parents included, not what was already there) is given to uid:gid before the walk
 * goes on, and removed again when the chown fails (no object is left with another owner).
 */
int husk_path_mkdir_all_in_root_owned(int root_fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
                                      struct husk_error **err);
int husk_path_mkfile_in_root_owned(int root_fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
                                   struct husk_error **err);

/*
 * Create the missing parent directories of `path` (mode 0755) and return an O_PATH fd of
 * the parent, with *ret_name set to the final component (caller frees), for the *at()
 * calls that make or replace the last component itself: mknodat, symlinkat, unlinkat,
 * fchownat(AT_SYMLINK_NOFOLLOW). Those never follow a symlink in the final component. A
 * final component that is empty, `.` or `..` fails with EINVAL.
 */
int husk_path_open_parent_in_root(int root_fd, const char *path, char **ret_name, struct husk_error **err);

/*
 * Clean a path lexically, as Go's filepath.Clean on "/" + path (runc's CleanPath): absolute, no empty
 * or `.` components, `..` pops one and never climbs above the root. "/" when nothing is left. Nothing
 * is looked up. The caller frees the result; NULL when out of memory.
 */
char *husk_path_clean(const char *path);

/* Does `path` have a `..` component? */
bool husk_path_has_dotdot(const char *path);

/* Undo the octal escapes of a mountinfo field (`\040` is a space) in place. */
void husk_path_unescape_mountinfo(char *s);

/* A directory stream of its own on the directory dirfd (any fd on it, O_PATH too), which stays the caller's:
 * NULL with errno set on failure. */
DIR *husk_opendir_at(int dirfd);
