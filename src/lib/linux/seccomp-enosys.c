/* The ENOSYS stub put in front of a compiled seccomp filter: syscalls newer than the profile fail with ENOSYS. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/seccomp-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

/* The x32 ABI is x86_64's audit arch with this bit set in the syscall number. */
#define X32_SYSCALL_BIT 0x40000000u
/* ARM's private syscalls (cacheflush, set_tls, ...) live above this base, not at the end of the table. */
#define ARM_PRIVATE_BASE 0x0f0000u

/* How one ABI's numbers are told apart from its audit-arch sibling (x86_64 and x32 share one). */
enum abi_mode {
        ABI_PLAIN,
        ABI_X86_64, /* x86_64 numbers: the x32 bit clear */
        ABI_X32,    /* x32 numbers: the x32 bit set (libseccomp's numbers include it) */
};

struct abi {
        uint32_t token;      /* SCMP_ARCH_* */
        uint32_t audit_arch; /* what the kernel puts in seccomp_data.arch */
        enum abi_mode mode;
        const char *name; /* for debug lines */
        uint32_t max_nr;  /* the largest number the profile names on this ABI */
        bool has_max;
};

/* The ABIs that share one audit arch: one stub section each. */
struct group {
        uint32_t audit_arch;
        const struct abi *plain, *x86_64, *x32;
};

bool husk_seccomp_wants_enosys_stub(const struct husk_seccomp *cfg)
{
        switch (cfg->default_action) {
        /* Permissive defaults let a new syscall reach the kernel, which answers ENOSYS itself; a
         * tracer handles ENOSYS on its own and a forced one would break emulation (runc's reasons). */
        case HUSK_SECCOMP_ALLOW:
        case HUSK_SECCOMP_LOG:
        case HUSK_SECCOMP_TRACE:
        case HUSK_SECCOMP_NOTIFY:
                return false;
        case HUSK_SECCOMP_ERRNO:
                return !(cfg->has_default_errno_ret && cfg->default_errno_ret == ENOSYS);
        case HUSK_SECCOMP_KILL:
        case HUSK_SECCOMP_KILL_PROCESS:
        case HUSK_SECCOMP_KILL_THREAD:
        case HUSK_SECCOMP_TRAP:
                return true;
        }
        return false;
}

static void abi_init(struct abi *abi, uint32_t token, const char *name)
{
        *abi = (struct abi){.token = token, .audit_arch = token, .mode = ABI_PLAIN, .name = name};
        /* SCMP_ARCH_X32 is libseccomp's own value, not an audit arch: the kernel reports x32 calls as x86_64. */
        if (token == SCMP_ARCH_X32) {
                abi->audit_arch = AUDIT_ARCH_X86_64;
                abi->mode = ABI_X32;
        } else if (token == SCMP_ARCH_X86_64) {
                abi->mode = ABI_X86_64;
        }
}

/* The largest syscall number any rule of cfg names on abi (rules whose action is the default too). */
static void abi_find_max(struct abi *abi, const struct husk_seccomp *cfg)
{
        for (size_t i = 0; i < cfg->syscalls_len; i++) {
                char *const *names = cfg->syscalls[i].names;
                for (size_t j = 0; names && names[j]; j++) {
                        /* Negative: unknown to libseccomp, or a pseudo number for a call this ABI lacks. */
                        int nr = seccomp_syscall_resolve_name_arch(abi->token, names[j]);
                        if (nr < 0)
                                continue;
                        if (abi->token == SCMP_ARCH_ARM && (uint32_t)nr >= ARM_PRIVATE_BASE)
                                continue;
                        if (!abi->has_max || (uint32_t)nr > abi->max_nr)
                                abi->max_nr = (uint32_t)nr;
                        abi->has_max = true;
                }
        }
}

/* ---- a tiny assembler with forward labels ---- */

#define STUB_MAX 512
#define LABEL_NEXT (-1)
#define LABEL_FILTER 0 /* the first instruction of libseccomp's program */
#define LABEL_ENOSYS 1
#define LABEL_SECTION(g) (2 + 2 * (g))
#define LABEL_X32(g) (3 + 2 * (g))
#define LABEL_COUNT(groups) (2 + 2 * (groups))

struct stub {
        struct sock_filter insns[STUB_MAX];
        int jt[STUB_MAX], jf[STUB_MAX]; /* labels of conditional jumps; jt also holds an unconditional jump's */
        size_t len;
        size_t *label_at; /* instruction index of each label */
        bool overflow;
};

static void emit(struct stub *s, uint16_t code, uint32_t k, int jt, int jf)
{
        if (s->len >= STUB_MAX) {
                s->overflow = true;
                return;
        }
        s->insns[s->len] = (struct sock_filter){.code = code, .k = k};
        s->jt[s->len] = jt;
        s->jf[s->len] = jf;
        s->len++;
}

static void label(struct stub *s, int l)
{
        s->label_at[l] = s->len;
}

/* Turn labels into offsets; every jump is forward and conditional ones reach at most 255 ahead. */
static int resolve(struct stub *s, size_t labels, struct husk_error **err)
{
        /* LABEL_FILTER is the first instruction after the stub. */
        s->label_at[LABEL_FILTER] = s->len;
        for (size_t pc = 0; pc < s->len; pc++) {
                struct sock_filter *insn = &s->insns[pc];
                if (BPF_CLASS(insn->code) != BPF_JMP)
                        continue;
                int targets[2] = {s->jt[pc], s->jf[pc]};
                size_t offsets[2] = {0, 0};
                for (int t = 0; t < 2; t++) {
                        if (targets[t] == LABEL_NEXT)
                                continue;
                        if (targets[t] < 0 || (size_t)targets[t] >= labels || s->label_at[targets[t]] <= pc)
                                return husk_error_set(err, EINVAL, "linux.seccomp: ENOSYS stub: bad jump at %zu", pc);
                        offsets[t] = s->label_at[targets[t]] - pc - 1;
                }
                if (BPF_OP(insn->code) == BPF_JA) {
                        insn->k = (uint32_t)offsets[0];
                        continue;
                }
                if (offsets[0] > 255 || offsets[1] > 255)
                        return husk_error_set(err, E2BIG, "linux.seccomp: ENOSYS stub: jump at %zu is too long", pc);
                insn->jt = (uint8_t)offsets[0];
                insn->jf = (uint8_t)offsets[1];
        }
        return 0;
}

#define LOAD_ARCH() emit(s, BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_ARCH, LABEL_NEXT, LABEL_NEXT)
#define LOAD_NR() emit(s, BPF_LD | BPF_W | BPF_ABS, SECCOMP_DATA_NR, LABEL_NEXT, LABEL_NEXT)
#define JUMP_IF(op, k, jt, jf) emit(s, BPF_JMP | (op) | BPF_K, (k), (jt), (jf))
#define JUMP(to) emit(s, BPF_JMP | BPF_JA, 0, (to), LABEL_NEXT)

/* Numbers above abi->max_nr are new: ENOSYS; the rest go to the filter. */
static void emit_max_check(struct stub *s, const struct abi *abi)
{
        JUMP_IF(BPF_JGT, abi->max_nr, LABEL_ENOSYS, LABEL_FILTER);
}

static void emit_section(struct stub *s, const struct group *g, size_t index)
{
        label(s, LABEL_SECTION(index));
        LOAD_NR();
        if (g->plain) {
                /* s390(x) passes a number the kernel does not know through the multiplexer, syscall 0. */
                if (g->plain->token == SCMP_ARCH_S390 || g->plain->token == SCMP_ARCH_S390X)
                        JUMP_IF(BPF_JEQ, 0, LABEL_ENOSYS, LABEL_NEXT);
                if (g->plain->token == SCMP_ARCH_ARM)
                        JUMP_IF(BPF_JGE, ARM_PRIVATE_BASE, LABEL_FILTER, LABEL_NEXT);
                emit_max_check(s, g->plain);
                return;
        }
        if (g->x86_64 && g->x32) {
                JUMP_IF(BPF_JSET, X32_SYSCALL_BIT, LABEL_X32(index), LABEL_NEXT);
                emit_max_check(s, g->x86_64);
                label(s, LABEL_X32(index));
                emit_max_check(s, g->x32);
                return;
        }
        /* One of the two ABIs is not in the filter: its numbers go to libseccomp's bad-arch handling. */
        if (g->x86_64) {
                JUMP_IF(BPF_JSET, X32_SYSCALL_BIT, LABEL_FILTER, LABEL_NEXT);
                emit_max_check(s, g->x86_64);
        } else {
                JUMP_IF(BPF_JSET, X32_SYSCALL_BIT, LABEL_NEXT, LABEL_FILTER);
                emit_max_check(s, g->x32);
        }
}

/* Fill groups from abis, one per audit arch, and say how many in *ret_count. */
static int group_abis(const struct abi *abis, size_t n, struct group *groups, size_t *ret_count,
                      struct husk_error **err)
{
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
                const struct abi *abi = &abis[i];
                if (!abi->has_max) {
                        husk_debug("seccomp: the profile names no syscall known on %s: no ENOSYS stub for it",
                                   abi->name);
                        continue;
                }
                struct group *g = NULL;
                for (size_t j = 0; j < count; j++)
                        if (groups[j].audit_arch == abi->audit_arch)
                                g = &groups[j];
                if (!g) {
                        g = &groups[count++];
                        *g = (struct group){.audit_arch = abi->audit_arch};
                }
                const struct abi **slot = abi->mode == ABI_X86_64 ? &g->x86_64
                                          : abi->mode == ABI_X32  ? &g->x32
                                                                  : &g->plain;
                bool mixed = abi->mode == ABI_PLAIN ? (g->x86_64 || g->x32) : g->plain != NULL;
                if (*slot || mixed)
                        return husk_error_set(err, EINVAL,
                                              "linux.seccomp.architectures: %s shares audit arch %#x with another "
                                              "architecture",
                                              abi->name, abi->audit_arch);
                *slot = abi;
        }
        *ret_count = count;
        return 0;
}

int husk_seccomp_enosys_patch(const struct husk_seccomp *cfg, struct sock_filter **insns, size_t *len,
                              struct husk_error **err)
{
        if (!husk_seccomp_wants_enosys_stub(cfg)) {
                husk_debug("seccomp: no ENOSYS stub: %s", cfg->default_action == HUSK_SECCOMP_ERRNO
                                                              ? "the default action already returns ENOSYS"
                                                              : "the default action does not deny");
                return 0;
        }

        /* The ABIs in the filter: the native one (libseccomp always has it) and the listed ones. */
        size_t n_listed = 0;
        while (cfg->architectures && cfg->architectures[n_listed])
                n_listed++;
        _cleanup_free_ struct abi *abis = calloc(n_listed + 1, sizeof(*abis));
        if (!abis)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        size_t n = 0;
        abi_init(&abis[n++], seccomp_arch_native(), "the native architecture");
        for (size_t i = 0; i < n_listed; i++) {
                uint32_t token = husk_seccomp_arch_token(cfg->architectures[i]);
                bool seen = token == 0;
                for (size_t j = 0; j < n && !seen; j++)
                        seen = abis[j].token == token;
                if (!seen)
                        abi_init(&abis[n++], token, cfg->architectures[i]);
        }
        for (size_t i = 0; i < n; i++)
                abi_find_max(&abis[i], cfg);

        _cleanup_free_ struct group *groups = calloc(n, sizeof(*groups));
        if (!groups)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        size_t n_groups = 0;
        int r = group_abis(abis, n, groups, &n_groups, err);
        if (r < 0)
                return r;
        if (n_groups == 0)
                return 0;

        _cleanup_free_ struct stub *s = calloc(1, sizeof(*s));
        _cleanup_free_ size_t *label_at = calloc(LABEL_COUNT(n_groups), sizeof(*label_at));
        if (!s || !label_at)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        s->label_at = label_at;

        /* Dispatch on the audit arch; an arch not in the stub goes straight to the filter. */
        LOAD_ARCH();
        for (size_t g = 0; g < n_groups; g++)
                JUMP_IF(BPF_JEQ, groups[g].audit_arch, LABEL_SECTION(g), LABEL_NEXT);
        JUMP(LABEL_FILTER);
        for (size_t g = 0; g < n_groups; g++)
                emit_section(s, &groups[g], g);
        label(s, LABEL_ENOSYS);
        emit(s, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, LABEL_NEXT, LABEL_NEXT);
        if (s->overflow)
                return husk_error_set(err, E2BIG, "linux.seccomp: ENOSYS stub: too many architectures");
        r = resolve(s, LABEL_COUNT(n_groups), err);
        if (r < 0)
                return r;

        size_t total = s->len + *len;
        if (total > BPF_MAXINSNS)
                return husk_error_set(err, E2BIG,
                                      "linux.seccomp: the filter has %zu instructions, more than the kernel takes (%d)",
                                      total, BPF_MAXINSNS);
        struct sock_filter *patched = malloc(total * sizeof(*patched));
        if (!patched)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        memcpy(patched, s->insns, s->len * sizeof(*patched));
        memcpy(patched + s->len, *insns, *len * sizeof(*patched));
        free(*insns);
        *insns = patched;
        *len = total;

        for (size_t i = 0; i < n; i++)
                if (abis[i].has_max)
                        husk_debug("seccomp: syscalls above %u on %s are newer than the profile: ENOSYS",
                                   abis[i].max_nr, abis[i].name);
        return 0;
}
