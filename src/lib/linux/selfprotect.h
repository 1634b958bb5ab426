/* A write-protected /proc/self/exe for the husk processes that enter a container (CVE-2019-5736). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * A container process that reaches a husk process through /proc/<pid>/exe (or makes husk's own
 * final execve run `#!/proc/self/exe`) gets the husk binary of the host; once every husk has
 * exited, reopening that link for writing replaces the runtime. Non-dumpable processes stop the
 * first route unless the container holds CAP_SYS_PTRACE; the second needs no privilege at all.
 * The cure is that every husk process which clones into a container runs from a view of its
 * binary that nobody can write:
 *  - a read-only overlayfs (lower layers only: the binary's directory and an empty detached
 *    tmpfs), never attached to any mount tree. No copy; unlike a read-only bind mount it cannot
 *    be remounted writable, since an overlay without an upper layer has nowhere to write;
 *  - else (no overlayfs, no privilege for fsopen) a sealed memfd copy, as runc 1.1 does.
 */

/* Whether /proc/self/exe already cannot be written: a sealed memfd or a file on a read-only overlayfs. */
bool husk_selfprotect_active(void);

/* Whether another process's exe can be opened and is not protected as above. */
bool husk_selfprotect_pid_exposed(pid_t pid);

/* An executable memfd (close-on-exec) to fill, then seal with husk_selfprotect_seal: no write,
 * resize or chmod after that, checked. */
int husk_selfprotect_memfd(const char *name, struct husk_error **err);
int husk_selfprotect_seal(int fd, struct husk_error **err);

/* An fd (O_PATH on the overlay, or the sealed memfd) on a write-protected view of the running binary. */
int husk_selfprotect_open(struct husk_error **err);

/*
 * Unless husk_selfprotect_active(), execveat() the protected view with the same argv (from
 * /proc/self/cmdline) and environment; the new image finds itself protected and goes on.
 * Returns 0 when nothing had to be done, < 0 when protection failed (callers refuse to enter the
 * container); does not return otherwise. Call it before the process holds state beyond its
 * arguments (fds other than stdio are all O_CLOEXEC in husk; pending and blocked signals survive).
 */
int husk_selfprotect_reexec(struct husk_error **err);
