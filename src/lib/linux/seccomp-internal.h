/* What the seccomp-*.c files share about a compiled filter; not for other callers. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* Offsets in struct seccomp_data that programs load (BPF_LD | BPF_W | BPF_ABS). */
#define SECCOMP_DATA_NR ((uint32_t)offsetof(struct seccomp_data, nr))
#define SECCOMP_DATA_ARCH ((uint32_t)offsetof(struct seccomp_data, arch))

struct husk_seccomp_filter {
        struct sock_filter *insns;
        size_t len;         /* instructions */
        unsigned int flags; /* SECCOMP_FILTER_FLAG_* except NEW_LISTENER */
        bool listener;      /* a rule uses SCMP_ACT_NOTIFY: load with NEW_LISTENER */
};

/* The seccomp(2) flags for cfg, checked against the running kernel (compile and cache hit alike). */
int husk_seccomp_kernel_flags(const struct husk_seccomp *cfg, bool listener, unsigned int *ret_flags,
                              struct husk_error **err);

/* libseccomp's token for an OCI architecture name ("SCMP_ARCH_X86_64"), 0 when unknown. */
uint32_t husk_seccomp_arch_token(const char *name);

/*
 * Whether cfg gets the ENOSYS stub (runc's rule): only when the default action denies, i.e. not
 * for SCMP_ACT_ALLOW, SCMP_ACT_LOG and SCMP_ACT_TRACE, nor for an ERRNO default that already is ENOSYS.
 */
bool husk_seccomp_wants_enosys_stub(const struct husk_seccomp *cfg);

/*
 * Put the ENOSYS stub in front of libseccomp's program (*insns, *len instructions; replaced on
 * success, untouched on failure): for each architecture of the filter (the native one and
 * cfg->architectures), a syscall number above the largest one any rule names on that architecture
 * returns ENOSYS instead of the default action, so that programs probing syscalls newer than the
 * profile (clone3, faccessat2, ...) fall back as on an older kernel. x86_64 and x32 share an audit
 * arch and are told apart by the x32 bit of the number; ARM's private syscalls (0xf0000 and up)
 * and s390's multiplexer (syscall 0 returns ENOSYS) are handled as runc does. Does nothing when
 * husk_seccomp_wants_enosys_stub(cfg) is false.
 */
int husk_seccomp_enosys_patch(const struct husk_seccomp *cfg, struct sock_filter **insns, size_t *len,
                              struct husk_error **err);

/*
 * Shorten a compiled program (*insns, *len; replaced on success): the dispatch on the syscall number
 * and architecture re-emitted as a search over ranges of numbers that end in the same place, the
 * rest copied. Used only when it is shorter and an interpreter finds it answering like the original
 * on every number where either program's comparisons change outcome, for every architecture it
 * names and one it does not; else -EINVAL and the program is untouched.
 */
int husk_seccomp_optimize(struct sock_filter **insns, size_t *len);

/*
 * Run a classic BPF program as seccomp would on d: false for what this does not model (and for a
 * program that falls off its end). loaded (may be NULL) gets bit k set for each 32-bit word k of
 * d the run read.
 */
bool husk_seccomp_interpret(const struct sock_filter *p, size_t n, const struct seccomp_data *d, uint32_t *ret,
                            uint32_t *loaded);
