/* cgroup v2 device controller: a hand-assembled BPF_PROG_TYPE_CGROUP_DEVICE program attached with bpf(2). */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

/* Registers: the context arrives in r1; the prologue spreads it over r2..r5. */
enum { R0 = 0, R1, R2, R3, R4, R5 };

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct program {
        struct bpf_insn *insns;
        size_t len;
};

static unsigned access_mask(const char *access)
{
        unsigned mask = 0;
        for (const char *a = access; *a; a++)
                mask |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        return mask ? mask : BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
}

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/*
 * One rule as a block that returns its verdict when the request matches and falls through to the
 * next block otherwise. An allow rule matches when it grants every requested access bit; a deny rule
 * when it denies any of them. Returns whether the block is unconditional (matches everything).
 */
static bool emit_rule(struct program *p, const struct husk_device_cgroup_rule *rule)
{
        bool any_type = rule->type == 'a';
        unsigned acc = access_mask(rule->access);
        bool check_access = acc != ACC_ALL;
        bool check_major = !any_type && rule->major >= 0;
        bool check_minor = !any_type && rule->minor >= 0;
        int len = (any_type ? 0 : 1) + (check_access ? 3 : 0) + (check_major ? 1 : 0) + (check_minor ? 1 : 0) + 2;
        int pc = 0; /* index inside the block */
        struct bpf_insn *out = &p->insns[p->len];

#define SKIP() ((int16_t)(len - (pc + 1)))
        if (!any_type) {
                int type = rule->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
                out[pc] = JMP_IMM(BPF_JNE, R2, type, SKIP());
                pc++;
        }
        if (check_access) {
                out[pc++] = MOV32_REG(R1, R3);
                if (rule->allow) {
                        out[pc++] = ALU32_IMM(BPF_AND, R1, (int)(ACC_ALL & ~acc));
                        out[pc] = JMP_IMM(BPF_JNE, R1, 0, SKIP());
                } else {
                        out[pc++] = ALU32_IMM(BPF_AND, R1, (int)acc);
                        out[pc] = JMP_IMM(BPF_JEQ, R1, 0, SKIP());
                }
                pc++;
        }
        if (check_major) {
                out[pc] = JMP_IMM(BPF_JNE, R4, (int32_t)rule->major, SKIP());
                pc++;
        }
        if (check_minor) {
                out[pc] = JMP_IMM(BPF_JNE, R5, (int32_t)rule->minor, SKIP());
                pc++;
        }
#undef SKIP
        out[pc++] = MOV64_IMM(R0, rule->allow ? 1 : 0);
        out[pc++] = EXIT();
        p->len += (size_t)pc;
        return len == 2;
}

/*
 * Later rules override earlier ones (as writes to devices.allow/deny do on v1), so blocks go from the
 * last rule to the first and the first match decides; no match denies. An unconditional block ends
 * the program: the verifier rejects unreachable instructions.
 */
static int build_program(const struct cg_device_rules *rules, struct program *ret, struct husk_error **err)
{
        size_t max = 6 + rules->len * 8 + 2;
        struct bpf_insn *insns = calloc(max, sizeof(*insns));
        if (!insns)
                return husk_error_set(err, ENOMEM, "allocate BPF program");
        struct program p = {.insns = insns};
        p.insns[p.len++] = LDX_W(R2, R1, 0);               /* access_type */
        p.insns[p.len++] = ALU32_IMM(BPF_AND, R2, 0xffff); /* device type */
        p.insns[p.len++] = LDX_W(R3, R1, 0);               /* access_type */
        p.insns[p.len++] = ALU32_IMM(BPF_RSH, R3, 16);     /* access */
        p.insns[p.len++] = LDX_W(R4, R1, (int16_t)offsetof(struct bpf_cgroup_dev_ctx, major));
        p.insns[p.len++] = LDX_W(R5, R1, (int16_t)offsetof(struct bpf_cgroup_dev_ctx, minor));
        bool terminated = false;
        for (size_t i = rules->len; i-- > 0 && !terminated;)
                terminated = emit_rule(&p, &rules->items[i]);
        if (!terminated) {
                p.insns[p.len++] = MOV64_IMM(R0, 0);
                p.insns[p.len++] = EXIT();
        }
        *ret = p;
        return 0;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? -errno : (int)r;
}

static int load_program(const struct program *p, struct husk_error **err)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)p->insns;
        attr.insn_cnt = (uint32_t)p->len;
        attr.license = (uint64_t)(uintptr_t) "Apache";
        int fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        int e = -fd;
        /* Only on failure: load again with the verifier's log, which says what was wrong. */
        char log[4096] = "";
        attr.log_level = 1;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = sizeof(log);
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        if (log[0])
                husk_debug("device BPF program rejected by the verifier: %s", log);
        return husk_error_set(err, e, "load the device cgroup BPF program (%zu instructions)", p->len);
}

/* The programs attached to this cgroup directly, so an update can replace them. */
static int query_attached(int cgroup_fd, uint32_t *ids, uint32_t *count)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t)cgroup_fd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
        attr.query.prog_cnt = *count;
        int r = sys_bpf(BPF_PROG_QUERY, &attr);
        if (r < 0)
                return r;
        *count = attr.query.prog_cnt;
        return 0;
}

int cg_devices_bpf_apply(int dirfd, const struct cg_device_rules *rules, struct husk_error **err)
{
        struct program p = {0};
        int r = build_program(rules, &p, err);
        if (r < 0)
                return r;
        _cleanup_free_ struct bpf_insn *insns = p.insns; /* owns p.insns */
        (void)insns;
        _cleanup_close_ int prog_fd = load_program(&p, err);
        if (prog_fd < 0)
                return prog_fd;

        uint32_t old_ids[64];
        uint32_t old_count = ARRAY_SIZE(old_ids);
        if (query_attached(dirfd, old_ids, &old_count) < 0)
                old_count = 0;
        if (old_count > ARRAY_SIZE(old_ids))
                old_count = ARRAY_SIZE(old_ids);

        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)dirfd;
        attr.attach_bpf_fd = (uint32_t)prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        /* MULTI keeps the ancestors' programs in force too, and lets the old one go after the new is in. */
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        r = sys_bpf(BPF_PROG_ATTACH, &attr);
        if (r < 0)
                return husk_error_set(err, -r, "attach the device cgroup BPF program");

        for (uint32_t i = 0; i < old_count; i++) {
                union bpf_attr get;
                memset(&get, 0, sizeof(get));
                get.prog_id = old_ids[i];
                _cleanup_close_ int old_fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
                if (old_fd < 0)
                        continue;
                union bpf_attr detach;
                memset(&detach, 0, sizeof(detach));
                detach.target_fd = (uint32_t)dirfd;
                detach.attach_bpf_fd = (uint32_t)old_fd;
                detach.attach_type = BPF_CGROUP_DEVICE;
                r = sys_bpf(BPF_PROG_DETACH, &detach);
                if (r < 0)
                        return husk_error_set(err, -r, "detach the previous device cgroup BPF program");
        }
        return 0;
}
