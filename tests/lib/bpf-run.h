/* Test helper: a classic-BPF interpreter written apart from husk's (linux/seccomp-interpret.c), to judge
 * seccomp programs, including those for architectures this host cannot run. Include after <cmocka.h>. */
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Run prog on d as the kernel's seccomp does; an instruction it does not know fails the test. */
static inline uint32_t bpf_run(const struct sock_filter *prog, size_t len, const struct seccomp_data *d)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *insn = &prog[pc];
                uint32_t src = BPF_SRC(insn->code) == BPF_X ? x : insn->k;
                switch (BPF_CLASS(insn->code)) {
                case BPF_LD:
                case BPF_LDX: {
                        uint32_t v = 0;
                        if (BPF_MODE(insn->code) == BPF_ABS && BPF_SIZE(insn->code) == BPF_W && insn->k % 4 == 0 &&
                            insn->k + 4 <= sizeof(*d))
                                memcpy(&v, (const char *)d + insn->k, 4);
                        else if (BPF_MODE(insn->code) == BPF_IMM)
                                v = insn->k;
                        else if (BPF_MODE(insn->code) == BPF_MEM && insn->k < BPF_MEMWORDS)
                                v = mem[insn->k];
                        else if (BPF_MODE(insn->code) == BPF_LEN)
                                v = sizeof(*d);
                        else
                                fail_msg("bpf: bad load %#x at %zu", insn->code, pc);
                        if (BPF_CLASS(insn->code) == BPF_LD)
                                a = v;
                        else
                                x = v;
                        break;
                }
                case BPF_ST:
                case BPF_STX:
                        if (insn->k >= BPF_MEMWORDS)
                                fail_msg("bpf: bad store at %zu", pc);
                        mem[insn->k] = BPF_CLASS(insn->code) == BPF_ST ? a : x;
                        break;
                case BPF_ALU:
                        switch (BPF_OP(insn->code)) {
                        case BPF_ADD: a += src; break;
                        case BPF_SUB: a -= src; break;
                        case BPF_MUL: a *= src; break;
                        case BPF_DIV: a = src ? a / src : 0; break;
                        case BPF_OR: a |= src; break;
                        case BPF_AND: a &= src; break;
                        case BPF_LSH: a <<= src & 31; break;
                        case BPF_RSH: a >>= src & 31; break;
                        case BPF_XOR: a ^= src; break;
                        case BPF_NEG: a = -a; break;
                        default: fail_msg("bpf: bad alu %#x at %zu", insn->code, pc);
                        }
                        break;
                case BPF_JMP: {
                        bool cond = false;
                        switch (BPF_OP(insn->code)) {
                        case BPF_JA: pc += insn->k; continue;
                        case BPF_JEQ: cond = a == src; break;
                        case BPF_JGT: cond = a > src; break;
                        case BPF_JGE: cond = a >= src; break;
                        case BPF_JSET: cond = (a & src) != 0; break;
                        default: fail_msg("bpf: bad jump %#x at %zu", insn->code, pc);
                        }
                        pc += cond ? insn->jt : insn->jf;
                        break;
                }
                case BPF_RET:
                        return BPF_RVAL(insn->code) == BPF_A ? a : insn->k;
                case BPF_MISC:
                        if (BPF_MISCOP(insn->code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        break;
                default:
                        fail_msg("bpf: bad instruction %#x at %zu", insn->code, pc);
                }
        }
        fail_msg("bpf: the program runs off its end");
        return 0;
}
