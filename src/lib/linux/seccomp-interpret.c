/* A classic BPF interpreter for seccomp programs: checks the optimizer, answers what a filter does to a call. */
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

#include "linux/seccomp-filter.h"
#include "linux/seccomp-internal.h"

bool husk_seccomp_interpret(const struct sock_filter *p, size_t n, const struct seccomp_data *d, uint32_t *ret,
                            uint32_t *loaded)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *i = &p[pc];
                uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
                switch (i->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k % 4 || i->k + 4 > sizeof(*d))
                                return false;
                        memcpy(&a, (const char *)d + i->k, 4);
                        if (loaded)
                                *loaded |= 1U << (i->k / 4);
                        continue;
                case BPF_LD | BPF_W | BPF_LEN:
                        a = sizeof(*d);
                        continue;
                case BPF_LDX | BPF_W | BPF_LEN:
                        x = sizeof(*d);
                        continue;
                case BPF_LD | BPF_IMM:
                        a = i->k;
                        continue;
                case BPF_LDX | BPF_IMM:
                        x = i->k;
                        continue;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                case BPF_ST:
                case BPF_STX:
                        if (i->k >= BPF_MEMWORDS)
                                return false;
                        if (i->code == (BPF_LD | BPF_MEM))
                                a = mem[i->k];
                        else if (i->code == (BPF_LDX | BPF_MEM))
                                x = mem[i->k];
                        else
                                mem[i->k] = i->code == BPF_ST ? a : x;
                        continue;
                case BPF_MISC | BPF_TAX:
                        x = a;
                        continue;
                case BPF_MISC | BPF_TXA:
                        a = x;
                        continue;
                case BPF_RET | BPF_K:
                        *ret = i->k;
                        return true;
                case BPF_RET | BPF_A:
                        *ret = a;
                        return true;
                case BPF_JMP | BPF_JA:
                        if (i->k >= n - pc - 1)
                                return false;
                        pc += i->k;
                        continue;
                default:
                        break;
                }
                if (BPF_CLASS(i->code) == BPF_ALU) {
                        switch (BPF_OP(i->code)) {
                        case BPF_ADD:
                                a += src;
                                break;
                        case BPF_SUB:
                                a -= src;
                                break;
                        case BPF_MUL:
                                a *= src;
                                break;
                        case BPF_DIV:
                                if (!src)
                                        return false;
                                a /= src;
                                break;
                        case BPF_MOD:
                                if (!src)
                                        return false;
                                a %= src;
                                break;
                        case BPF_AND:
                                a &= src;
                                break;
                        case BPF_OR:
                                a |= src;
                                break;
                        case BPF_XOR:
                                a ^= src;
                                break;
                        case BPF_LSH:
                                a = src < 32 ? a << src : 0;
                                break;
                        case BPF_RSH:
                                a = src < 32 ? a >> src : 0;
                                break;
                        case BPF_NEG:
                                a = -a;
                                break;
                        default:
                                return false;
                        }
                        continue;
                }
                if (BPF_CLASS(i->code) != BPF_JMP)
                        return false;
                bool jump;
                switch (BPF_OP(i->code)) {
                case BPF_JEQ:
                        jump = a == src;
                        break;
                case BPF_JGT:
                        jump = a > src;
                        break;
                case BPF_JGE:
                        jump = a >= src;
                        break;
                case BPF_JSET:
                        jump = (a & src) != 0;
                        break;
                default:
                        return false;
                }
                size_t off = jump ? i->jt : i->jf;
                if (off >= n - pc - 1)
                        return false;
                pc += off;
        }
        return false; /* fell off the end: the kernel refuses such a program */
}

/* The filter's return for the call, when it depends on nothing unknown. */
static bool filter_result(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                          unsigned int known_args, uint32_t *ret)
{
        struct seccomp_data d = {.nr = nr, .arch = seccomp_arch_native()};
        /* Words 0 and 1 (nr, arch) are known; the instruction pointer (2, 3) never is. */
        uint32_t known = 0x3;
        for (int i = 0; i < 6; i++) {
                if (!(known_args & (1U << i)))
                        continue;
                d.args[i] = args[i];
                known |= 0x3U << (4 + 2 * i);
        }
        uint32_t loaded = 0;
        return husk_seccomp_interpret(filter->insns, filter->len, &d, ret, &loaded) && !(loaded & ~known);
}

/* The filter's action for the call, or SECCOMP_RET_KILL_THREAD (let through by no caller) where it may depend on
 * what is not known. */
static uint32_t sure_action(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                            unsigned int known_args)
{
        uint32_t ret = 0;
        return filter_result(filter, nr, args, known_args, &ret) ? ret & SECCOMP_RET_ACTION_FULL : SECCOMP_RET_KILL_THREAD;
}

bool husk_seccomp_filter_allows(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                                unsigned int known_args)
{
        uint32_t action = sure_action(filter, nr, args, known_args);
        return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

bool husk_seccomp_filter_allows_or_notifies(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                                            unsigned int known_args)
{
        uint32_t action = sure_action(filter, nr, args, known_args);
        return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG || action == SECCOMP_RET_USER_NOTIF;
}

int husk_seccomp_filter_errno(const struct husk_seccomp_filter *filter, int nr, const uint64_t args[6],
                              unsigned int known_args)
{
        uint32_t ret = 0;
        if (!filter_result(filter, nr, args, known_args, &ret) || (ret & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO)
                return 0;
        return (int)(ret & SECCOMP_RET_DATA);
}
