/* A child that runs in its parent's memory until it execs: clone3 with CLONE_VM | CLONE_VFORK. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "util/syscalls.h"

/* Whether it can be done here: this build can (x86_64 and aarch64: the child's start is a few
 * instructions of asm), and the caller is its process's main thread, whose stack grows on demand. */
bool husk_vfork_usable(void);

/*
 * Only where husk_vfork_usable() (the caller asks once; this does not ask again): from another
 * thread, the child's stack would run off the thread's fixed one.
 *
 * clone3 with args (its flags plus CLONE_VM | CLONE_VFORK; its stack fields are ours to set): the
 * child calls fn(arg) in the caller's memory, on the caller's stack below the caller's frame, and
 * exits with fn's value if fn returns. The caller waits until the child has exec'd or exited, so no
 * fork copies the caller's page tables and neither side takes a copy-on-write fault afterwards.
 *
 * What the child writes in memory, the caller sees: the child must work on copies of what it means
 * to change, free nothing the caller allocated, and leave by execve or _exit (never exit(), which
 * would run the caller's atexit handlers and flush its stdio buffers). Its fd table, signal
 * handlers, credentials and namespaces are its own as after fork; what belongs to the memory is
 * shared (prctl PR_SET_DUMPABLE among it). The child must not wait for anything from the caller.
 *
 * Returns the child's pid, or -1 with errno (ENOTSUP in a build without it).
 */
pid_t husk_clone3_vfork(struct husk_clone_args *args, int (*fn)(void *), void *arg);
