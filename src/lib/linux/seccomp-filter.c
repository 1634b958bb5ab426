/* seccomp: compile linux.seccomp to BPF in the runtime (with an on-disk cache), install it in the container. */
#include "linux/seccomp-filter.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/seccomp-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef BPF_MAXINSNS
#define BPF_MAXINSNS 4096
#endif

#define SYSCALL_MAX_ARGS 6

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

void husk_seccomp_filter_free(struct husk_seccomp_filter *filter)
{
        if (!filter)
                return;
        free(filter->insns);
        free(filter);
}

void husk_seccomp_filter_freep(struct husk_seccomp_filter **filter)
{
        husk_seccomp_filter_free(*filter);
        *filter = NULL;
}

bool husk_seccomp_filter_has_listener(const struct husk_seccomp_filter *filter)
{
        return filter->listener;
}

const void *husk_seccomp_filter_bpf(const struct husk_seccomp_filter *filter, size_t *ret_len)
{
        *ret_len = filter->len;
        return filter->insns;
}

static const char *action_name(enum husk_seccomp_action action)
{
        switch (action) {
        case HUSK_SECCOMP_KILL: return "SCMP_ACT_KILL";
        case HUSK_SECCOMP_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
        case HUSK_SECCOMP_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
        case HUSK_SECCOMP_TRAP: return "SCMP_ACT_TRAP";
        case HUSK_SECCOMP_ERRNO: return "SCMP_ACT_ERRNO";
        case HUSK_SECCOMP_TRACE: return "SCMP_ACT_TRACE";
        case HUSK_SECCOMP_ALLOW: return "SCMP_ACT_ALLOW";
        case HUSK_SECCOMP_LOG: return "SCMP_ACT_LOG";
        case HUSK_SECCOMP_NOTIFY: return "SCMP_ACT_NOTIFY";
        }
        return "unknown action";
}

/* The libseccomp action for a rule; `where` is the JSON path used in errors. */
static int scmp_action(enum husk_seccomp_action action, bool has_errno_ret, unsigned int errno_ret, const char *where,
                       uint32_t *ret, struct husk_error **err)
{
        bool takes_errno = action == HUSK_SECCOMP_ERRNO || action == HUSK_SECCOMP_TRACE;
        if (has_errno_ret && !takes_errno)
                return husk_error_set(err, 0, "%s: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not %s",
                                      where, action_name(action));
        /* The data travels in the 16 low bits of the filter's return value; libseccomp takes an errno below
         * 4095 only (the kernel's MAX_ERRNO). */
        unsigned int max = action == HUSK_SECCOMP_ERRNO ? 4094 : 0xffff;
        if (has_errno_ret && errno_ret > max)
                return husk_error_set(err, 0, "%s: errnoRet %u is out of range (0-%u for %s)", where, errno_ret, max,
                                      action_name(action));
        uint16_t data = has_errno_ret ? (uint16_t)errno_ret : EPERM;
        switch (action) {
        case HUSK_SECCOMP_KILL:
        case HUSK_SECCOMP_KILL_THREAD: *ret = SCMP_ACT_KILL_THREAD; return 0;
        case HUSK_SECCOMP_KILL_PROCESS: *ret = SCMP_ACT_KILL_PROCESS; return 0;
        case HUSK_SECCOMP_TRAP: *ret = SCMP_ACT_TRAP; return 0;
        case HUSK_SECCOMP_ERRNO: *ret = SCMP_ACT_ERRNO(data); return 0;
        case HUSK_SECCOMP_TRACE: *ret = SCMP_ACT_TRACE(data); return 0;
        case HUSK_SECCOMP_ALLOW: *ret = SCMP_ACT_ALLOW; return 0;
        case HUSK_SECCOMP_LOG: *ret = SCMP_ACT_LOG; return 0;
        case HUSK_SECCOMP_NOTIFY: *ret = SCMP_ACT_NOTIFY; return 0;
        }
        return husk_error_set(err, 0, "%s: unknown action %d", where, (int)action);
}

static int scmp_op(enum husk_seccomp_op op, enum scmp_compare *ret)
{
        switch (op) {
        case HUSK_SECCOMP_OP_NE: *ret = SCMP_CMP_NE; return 0;
        case HUSK_SECCOMP_OP_LT: *ret = SCMP_CMP_LT; return 0;
        case HUSK_SECCOMP_OP_LE: *ret = SCMP_CMP_LE; return 0;
        case HUSK_SECCOMP_OP_EQ: *ret = SCMP_CMP_EQ; return 0;
        case HUSK_SECCOMP_OP_GE: *ret = SCMP_CMP_GE; return 0;
        case HUSK_SECCOMP_OP_GT: *ret = SCMP_CMP_GT; return 0;
        case HUSK_SECCOMP_OP_MASKED_EQ: *ret = SCMP_CMP_MASKED_EQ; return 0;
        }
        return -EINVAL;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token ("x86_64" -> SCMP_ARCH_X86_64). 0 when unknown. */
uint32_t husk_seccomp_arch_token(const char *name)
{
        static const char prefix[] = "SCMP_ARCH_";
        if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
                return 0;
        char lower[32];
        const char *s = name + sizeof(prefix) - 1;
        size_t n = strlen(s);
        if (n == 0 || n >= sizeof(lower))
                return 0;
        for (size_t i = 0; i <= n; i++)
                lower[i] = (char)tolower((unsigned char)s[i]);
        return seccomp_arch_resolve_name(lower);
}

/* 1 when the kernel accepts these seccomp(2) filter flags: a NULL program then fails with EFAULT, not EINVAL. */
static int kernel_has_filter_flags(unsigned long flags)
{
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT)
                return 1;
        return 0;
}

int husk_seccomp_kernel_flags(const struct husk_seccomp *cfg, bool listener, unsigned int *ret_flags,
                              struct husk_error **err)
{
        static const struct {
                unsigned int spec_flag;
                unsigned long kernel_flag;
                const char *name;
        } table[] = {
                {HUSK_SECCOMP_FLAG_LOG, SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG"},
                {HUSK_SECCOMP_FLAG_SPEC_ALLOW, SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
                {HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
                 "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
        };
        unsigned int flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                if (!(cfg->flags & table[i].spec_flag))
                        continue;
                unsigned long probe = table[i].kernel_flag;
                if (table[i].spec_flag == HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV) {
                        if (!listener) {
                                husk_debug("seccomp flag %s ignored: no rule uses SCMP_ACT_NOTIFY", table[i].name);
                                continue;
                        }
                        probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER; /* the kernel only takes it with a listener */
                }
                if (!kernel_has_filter_flags(probe))
                        return husk_error_set(err, EOPNOTSUPP, "linux.seccomp.flags: %s is not supported by the running kernel",
                                              table[i].name);
                flags |= (unsigned int)table[i].kernel_flag;
        }
        *ret_flags = flags;
        return 0;
}

static bool strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct husk_seccomp_syscall *sc, size_t index, uint32_t action,
                    const char *name, int nr, struct husk_error **err)
{
        struct scmp_arg_cmp conds[SYSCALL_MAX_ARGS];
        unsigned int per_index[SYSCALL_MAX_ARGS] = {0};
        bool repeated_index = false;

        for (size_t i = 0; i < sc->args_len; i++) {
                const struct husk_seccomp_arg *arg = &sc->args[i];
                if (arg->index >= SYSCALL_MAX_ARGS)
                        return husk_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu]: index %u is out of range (0-5)",
                                              index, i, arg->index);
                if (++per_index[arg->index] > 1)
                        repeated_index = true;
        }

        struct scmp_arg_cmp *all = NULL;
        _cleanup_free_ struct scmp_arg_cmp *heap = NULL;
        if (sc->args_len <= SYSCALL_MAX_ARGS) {
                all = conds;
        } else {
                heap = calloc(sc->args_len, sizeof(*heap));
                if (!heap)
                        return husk_error_set(err, ENOMEM, "linux.seccomp.syscalls[%zu]", index);
                all = heap;
        }
        for (size_t i = 0; i < sc->args_len; i++) {
                const struct husk_seccomp_arg *arg = &sc->args[i];
                enum scmp_compare op;
                if (scmp_op(arg->op, &op) < 0)
                        return husk_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu]: unknown operator %d", index, i,
                                              (int)arg->op);
                all[i] = (struct scmp_arg_cmp){
                        .arg = arg->index,
                        .op = op,
                        /* SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the value compared with */
                        .datum_a = arg->value,
                        .datum_b = op == SCMP_CMP_MASKED_EQ ? arg->value_two : 0,
                };
        }

        int r;
        if (!repeated_index) {
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned int)sc->args_len, sc->args_len ? all : NULL);
                if (r < 0)
                        return husk_error_set(err, -r, "linux.seccomp.syscalls[%zu]: add rule for `%s`", index, name);
                return 0;
        }
        /* runc's rule: libseccomp cannot AND two conditions on one argument, so each is a rule (OR). */
        for (size_t i = 0; i < sc->args_len; i++) {
                r = seccomp_rule_add_array(ctx, action, nr, 1, &all[i]);
                if (r < 0)
                        return husk_error_set(err, -r, "linux.seccomp.syscalls[%zu].args[%zu]: add rule for `%s`", index,
                                              i, name);
        }
        return 0;
}

/* Export the BPF through a memfd: libseccomp 2.5 only writes it to an fd. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_len, struct husk_error **err)
{
        _cleanup_close_ int fd = memfd_create("husk-seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return husk_error_set(err, -r, "linux.seccomp: export the BPF program");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return husk_error_set(err, errno, "stat the exported BPF program");
        size_t size = (size_t)st.st_size;
        if (size == 0 || size % sizeof(struct sock_filter) != 0)
                return husk_error_set(err, EINVAL, "linux.seccomp: libseccomp exported %zu bytes, not whole instructions",
                                      size);
        size_t len = size / sizeof(struct sock_filter);
        if (len > BPF_MAXINSNS)
                return husk_error_set(err, E2BIG,
                                      "linux.seccomp: the filter has %zu instructions, more than the kernel takes (%d)",
                                      len, BPF_MAXINSNS);
        _cleanup_free_ struct sock_filter *insns = malloc(size);
        if (!insns)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        for (size_t done = 0; done < size;) {
                ssize_t n = pread(fd, (char *)insns + done, size - done, (off_t)done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return husk_error_set(err, n < 0 ? errno : EIO, "read the exported BPF program");
                done += (size_t)n;
        }
        *ret = TAKE_PTR(insns);
        *ret_len = len;
        return 0;
}

int husk_seccomp_compile(struct husk_seccomp *cfg, struct husk_seccomp_filter **ret, struct husk_error **err)
{
        int r = husk_seccomp_load_syscalls(cfg, err);
        if (r < 0)
                return r;
        uint32_t default_action;
        r = scmp_action(cfg->default_action, cfg->has_default_errno_ret, cfg->default_errno_ret,
                        "linux.seccomp.defaultAction", &default_action, err);
        if (r < 0)
                return r;
        if (cfg->default_action == HUSK_SECCOMP_NOTIFY)
                return husk_error_set(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

        _cleanup_(seccomp_ctx_releasep) scmp_filter_ctx ctx = seccomp_init(default_action);
        if (!ctx)
                return husk_error_set(err, EINVAL, "linux.seccomp.defaultAction: %s is not supported by libseccomp or the kernel",
                                      action_name(cfg->default_action));
        /* A binary search over syscall numbers instead of a linear scan: large profiles (docker's has
         * ~350 names) cost fewer instructions per syscall. Older libseccomp lacks it: not fatal. */
        if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
                husk_debug("libseccomp cannot build a binary-tree filter: using the linear one");

        for (size_t i = 0; cfg->architectures && cfg->architectures[i]; i++) {
                const char *name = cfg->architectures[i];
                uint32_t arch = husk_seccomp_arch_token(name);
                if (arch == 0)
                        return husk_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`", i, name);
                r = seccomp_arch_add(ctx, arch);
                if (r < 0 && r != -EEXIST)
                        return husk_error_set(err, -r, "linux.seccomp.architectures[%zu]: add `%s`", i, name);
        }

        bool listener = false;
        for (size_t i = 0; i < cfg->syscalls_len; i++) {
                const struct husk_seccomp_syscall *sc = &cfg->syscalls[i];
                char where[64];
                snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
                uint32_t action;
                r = scmp_action(sc->action, sc->has_errno_ret, sc->errno_ret, where, &action, err);
                if (r < 0)
                        return r;
                if (!sc->names || !sc->names[0])
                        return husk_error_set(err, 0, "%s.names: must name at least one syscall", where);
                if (sc->action == HUSK_SECCOMP_NOTIFY && strv_contains(sc->names, "write"))
                        return husk_error_set(err, 0,
                                              "%s: SCMP_ACT_NOTIFY cannot be used for `write`: the container init needs it "
                                              "after the filter is loaded",
                                              where);
                if (action == default_action) {
                        husk_debug("%s: action equals the default action: rule skipped", where);
                        continue;
                }
                for (size_t j = 0; sc->names[j]; j++) {
                        const char *name = sc->names[j];
                        int nr = seccomp_syscall_resolve_name(name);
                        if (nr == __NR_SCMP_ERROR) {
                                husk_debug("unknown seccomp syscall `%s` ignored", name);
                                continue;
                        }
                        r = add_rule(ctx, sc, i, action, name, nr, err);
                        if (r < 0)
                                return r;
                        if (sc->action == HUSK_SECCOMP_NOTIFY)
                                listener = true;
                }
        }
        if (listener && !cfg->listener_path)
                return husk_error_set(err, 0, "linux.seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");

        unsigned int flags;
        r = husk_seccomp_kernel_flags(cfg, listener, &flags, err);
        if (r < 0)
                return r;

        _cleanup_(husk_seccomp_filter_freep) struct husk_seccomp_filter *filter = calloc(1, sizeof(*filter));
        if (!filter)
                return husk_error_set(err, ENOMEM, "linux.seccomp");
        r = export_bpf(ctx, &filter->insns, &filter->len, err);
        if (r < 0)
                return r;
        r = husk_seccomp_enosys_patch(cfg, &filter->insns, &filter->len, err);
        if (r < 0)
                return r;
        size_t compiled_len = filter->len;
        if (husk_seccomp_optimize(&filter->insns, &filter->len) == 0)
                husk_debug("seccomp: program of %zu instructions shortened to %zu", compiled_len, filter->len);
        filter->flags = flags;
        filter->listener = listener;
        *ret = TAKE_PTR(filter);
        return 0;
}

int husk_seccomp_install(const struct husk_seccomp_filter *filter, int *ret_notify_fd, struct husk_error **err)
{
        struct sock_fprog prog = {.len = (unsigned short)filter->len, .filter = filter->insns};
        unsigned long flags = filter->flags;
        if (filter->listener)
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (r < 0) {
                if (errno == EACCES)
                        return husk_error_set(err, errno,
                                              "load the seccomp filter: needs no_new_privs or CAP_SYS_ADMIN (load it "
                                              "before dropping capabilities)");
                return husk_error_set(err, errno, "load the seccomp filter");
        }
        if (ret_notify_fd)
                *ret_notify_fd = filter->listener ? (int)r : -1;
        else if (filter->listener)
                close((int)r);
        return 0;
}
