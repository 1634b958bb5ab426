/* seccomp: compile linux.seccomp to BPF in the runtime (with an on-disk cache), install it in the container. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* A compiled filter: classic BPF plus the seccomp(2) flags to load it with. Opaque. */
struct husk_seccomp_filter;

/*
 * Compile cfg with libseccomp and export the BPF, in the parent, before anything changes on
 * the host. Follows runc:
 *  - the native architecture is always in the filter; `architectures` are added to it;
 *  - a syscall name libseccomp does not know is skipped with husk_debug;
 *  - a rule whose action (with its errno) equals the default action is skipped;
 *  - errnoRet defaults to EPERM for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, and is an error on any
 *    other action;
 *  - when one argument index appears twice in a rule, each condition becomes a rule of its
 *    own (libseccomp cannot AND two conditions on one argument): the rule then matches when
 *    any one condition does; otherwise the conditions are ANDed in one rule;
 *  - SCMP_ACT_NOTIFY is refused as default action, on `write` (the init reports the listener
 *    fd to the parent with write(2) after the filter is loaded) and without listenerPath;
 *  - flags LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV are checked against the running kernel now, so
 *    an unsupported flag is an error here, not in the container; WAIT_KILLABLE_RECV only
 *    applies when the filter has a listener and is dropped (husk_debug) otherwise;
 *  - as runc's patchbpf, when the default action denies (ERRNO other than ENOSYS, KILL*, TRAP;
 *    not ALLOW, LOG, TRACE), a stub in front of libseccomp's program makes syscalls newer than
 *    the profile return ENOSYS: per architecture of the filter (the native one included), a
 *    number above the largest one any rule names (whatever its action) is new. So glibc's
 *    probes of clone3, faccessat2, ... fall back instead of failing with the default errno.
 *    x86_64 and x32 are told apart by the x32 bit of the number, ARM's private syscalls
 *    (0xf0000 and up) are left to the filter, s390(x)'s syscall 0 (the multiplexer an unknown
 *    number ends up in) returns ENOSYS.
 * Errors name the JSON path (`linux.seccomp.syscalls[3].args[0]: ...`). The rules are loaded first
 * when the parser left them as text (husk_seccomp_load_syscalls), with its errors.
 */
int husk_seccomp_compile(struct husk_seccomp *cfg, struct husk_seccomp_filter **ret, struct husk_error **err);

/* How many compiled filters a cache directory keeps (least recently used ones are evicted). */
#define HUSK_SECCOMP_CACHE_MAX_ENTRIES 32

/*
 * As husk_seccomp_compile, but reuse `<cache_dir>/<hash>.bpf` when an earlier compile of the
 * same profile (same libseccomp version, same native arch, the rules' text byte for byte while the
 * parser leaves them as text: then a hit never parses them) left it there, and leave one
 * otherwise (written to a temporary file and renamed, so readers never see half a file). The
 * file holds the canonical form of the profile next to the final (ENOSYS-patched) BPF and a
 * checksum of both; a hit needs the size, magic, key and checksum to match, so a hash
 * collision or a file torn by a crash costs a compile, never a wrong filter. cache_dir is
 * created (0700) when missing; a cache file not owned by the caller's euid or writable by
 * group or others is ignored. A hit updates the file's mtime; after writing an entry, the
 * directory is pruned to HUSK_SECCOMP_CACHE_MAX_ENTRIES entries, oldest mtime first, and
 * temporary files older than ten minutes (left by a writer that died) are removed; files of
 * other names are left alone. Profiles whose canonical form exceeds 1 MiB are not cached.
 * Failing to write the cache is not an error (husk_debug).
 * ret_cache_hit (may be NULL) tells whether the cache was used.
 */
int husk_seccomp_compile_cached(struct husk_seccomp *cfg, const char *cache_dir, struct husk_seccomp_filter **ret,
                                bool *ret_cache_hit, struct husk_error **err);

/*
 * Only the lookup of husk_seccomp_compile_cached, for a profile whose rules may still be unread: 1 and
 * *ret on a hit, 0 on a miss or anything that keeps the cache from being used (the cache directory
 * is not made). A hit means this husk compiled the same rules' text before, so it was valid then.
 */
int husk_seccomp_cache_get(const struct husk_seccomp *cfg, const char *cache_dir, struct husk_seccomp_filter **ret);

/*
 * Load the filter into the calling process with one seccomp(SECCOMP_SET_MODE_FILTER) call
 * (plus SECCOMP_FILTER_FLAG_NEW_LISTENER when a rule uses SCMP_ACT_NOTIFY). Call it in the
 * container init as late as possible before execve. The kernel needs no_new_privs or
 * CAP_SYS_ADMIN: when process.noNewPrivileges is false, call it before dropping capabilities
 * (runc's order). *ret_notify_fd gets the listener fd (O_CLOEXEC) or -1 when there is none;
 * only write(2) is safe to use before the parent has taken it (pidfd_getfd), see above.
 */
int husk_seccomp_install(const struct husk_seccomp_filter *filter, int *ret_notify_fd, struct husk_error **err);

/* Whether the filter has SCMP_ACT_NOTIFY rules (and so needs listenerPath). */
bool husk_seccomp_filter_has_listener(const struct husk_seccomp_filter *filter);

/*
 * Whether the filter lets syscall nr of the native architecture through (allow or log) whatever the
 * arguments not in known_args (bit i: args[i] holds the call's argument i): false when the answer
 * may depend on them or on the instruction pointer.
 */
bool husk_seccomp_filter_allows(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                                unsigned int known_args);
/*
 * As husk_seccomp_filter_allows, but SCMP_ACT_NOTIFY counts as letting the call through: the agent decides, and
 * one that answers CONTINUE does. Only for calls made once the agent holds the listener fd; before that a
 * notified call waits for an agent that has no fd to hear it on.
 */
bool husk_seccomp_filter_allows_or_notifies(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                                            unsigned int known_args);
/* The errno the filter surely fails syscall nr with (SCMP_ACT_ERRNO), else 0 (same known_args). */
int husk_seccomp_filter_errno(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                              unsigned int known_args);
/* The BPF program: `*ret_len` instructions of struct sock_filter (8 bytes each). */
const void *husk_seccomp_filter_bpf(const struct husk_seccomp_filter *filter, size_t *ret_len);

void husk_seccomp_filter_free(struct husk_seccomp_filter *filter);
void husk_seccomp_filter_freep(struct husk_seccomp_filter **filter);

/*
 * Send the listener fd to the seccomp agent at listener_path (AF_UNIX, SOCK_STREAM), as
 * runtime-spec's "container process state": one connection, SCM_RIGHTS with the fd in the
 * first sendmsg, JSON payload
 *   {"ociVersion": ..., "fds": ["seccompFd"], "pid": pid, "metadata": metadata, "state": <state_json>}
 * (metadata omitted when NULL). state_json is the container's state object (as `husk state`
 * prints it) and must be valid JSON. pid is the container process as seen by the runtime.
 * A relative listener_path is taken relative to bundle (the bundle directory; as it is when NULL).
 */
int husk_seccomp_send_listener(const char *listener_path, const char *bundle, int notify_fd, pid_t pid,
                               const char *state_json, const char *metadata, struct husk_error **err);
