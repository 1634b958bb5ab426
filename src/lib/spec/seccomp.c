/* linux.seccomp: default action, architectures, flags, listener, and the syscall rules with their arguments. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "util/cleanup.h"

/* The highest syscall argument index (seccomp_data.args has 6). */
#define SECCOMP_ARG_INDEX_MAX 5

static const struct spec_name actions[] = {
    {"SCMP_ACT_KILL", HUSK_SECCOMP_KILL},
    {"SCMP_ACT_KILL_PROCESS", HUSK_SECCOMP_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", HUSK_SECCOMP_KILL_THREAD},
    {"SCMP_ACT_TRAP", HUSK_SECCOMP_TRAP},
    {"SCMP_ACT_ERRNO", HUSK_SECCOMP_ERRNO},
    {"SCMP_ACT_TRACE", HUSK_SECCOMP_TRACE},
    {"SCMP_ACT_ALLOW", HUSK_SECCOMP_ALLOW},
    {"SCMP_ACT_LOG", HUSK_SECCOMP_LOG},
    {"SCMP_ACT_NOTIFY", HUSK_SECCOMP_NOTIFY},
};

static const struct spec_name operators[] = {
    {"SCMP_CMP_NE", HUSK_SECCOMP_OP_NE},
    {"SCMP_CMP_LT", HUSK_SECCOMP_OP_LT},
    {"SCMP_CMP_LE", HUSK_SECCOMP_OP_LE},
    {"SCMP_CMP_EQ", HUSK_SECCOMP_OP_EQ},
    {"SCMP_CMP_GE", HUSK_SECCOMP_OP_GE},
    {"SCMP_CMP_GT", HUSK_SECCOMP_OP_GT},
    {"SCMP_CMP_MASKED_EQ", HUSK_SECCOMP_OP_MASKED_EQ},
};

static const struct spec_name flags[] = {
    {"SECCOMP_FILTER_FLAG_LOG", HUSK_SECCOMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", HUSK_SECCOMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", HUSK_SECCOMP_FLAG_WAIT_KILLABLE_RECV},
    {"SECCOMP_FILTER_FLAG_TSYNC", HUSK_SECCOMP_FLAG_TSYNC},
};

/* The schema's list plus what libseccomp has added since; whether this libseccomp knows one is
 * for the code that builds the filter to say. */
static const char *const architectures[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",     "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",      "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",     "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static bool takes_errno(enum husk_seccomp_action action)
{
        return action == HUSK_SECCOMP_ERRNO || action == HUSK_SECCOMP_TRACE;
}

/* Read obj[key] as an action; 0 when absent. */
static int get_action(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                      enum husk_seccomp_action *ret)
{
        int action;
        if (!JSON_TRY_GET(spec_get_enum(r, parent, obj, key, actions, ARRAY_SIZE(actions), "seccomp action", &action)))
                return 0;
        *ret = (enum husk_seccomp_action)action;
        return 1;
}

/* errnoRet (or defaultErrnoRet): the spec wants an error when the action cannot return one. */
static int get_errno_ret(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                         const char *key, enum husk_seccomp_action action, bool *has, unsigned int *ret)
{
        uint32_t value;
        if (!JSON_TRY_GET(json_get_u32(r, parent, obj, key, &value)))
                return 0;
        if (!takes_errno(action)) {
                struct json_path p = JSON_PATH_KEY(parent, key);
                return json_fail(r, &p, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
        }
        *has = true;
        *ret = value;
        return 0;
}

static int parse_architectures(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                               struct husk_seccomp *seccomp)
{
        if (!JSON_TRY_GET(json_get_strv(r, parent, obj, "architectures", &seccomp->architectures)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "architectures");
        for (size_t i = 0; seccomp->architectures[i]; i++) {
                bool known = false;
                for (size_t k = 0; k < ARRAY_SIZE(architectures) && !known; k++)
                        known = strcmp(architectures[k], seccomp->architectures[i]) == 0;
                if (!known) {
                        struct json_path p = JSON_PATH_INDEX(&path, i);
                        struct json_quoted q;
                        return json_fail(r, &p, "unknown seccomp architecture %s",
                                         json_quote(&q, seccomp->architectures[i]));
                }
        }
        return 0;
}

static int parse_flags(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                       struct husk_seccomp *seccomp)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "flags", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "flags");
        for (size_t i = 0; i < json_array_size(v); i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                const char *name;
                JSON_TRY(json_read_string_ref(r, &p, json_array_get(v, i), &name));
                int flag = spec_name_lookup(flags, ARRAY_SIZE(flags), name);
                if (flag < 0) {
                        struct json_quoted q;
                        return json_fail(r, &p, "unknown seccomp flag %s", json_quote(&q, name));
                }
                seccomp->flags |= (unsigned int)flag;
        }
        return 0;
}

static int parse_arg(const struct json_reader *r, const struct json_path *path, const json_t *v,
                     struct husk_seccomp_arg *arg)
{
        JSON_TRY(json_read_object(r, path, v));
        uint64_t index;
        if (!JSON_TRY_GET(json_get_u64(r, path, v, "index", SECCOMP_ARG_INDEX_MAX, &index)))
                return json_fail_missing(r, path, "index");
        arg->index = (unsigned int)index;
        if (!JSON_TRY_GET(json_get_u64(r, path, v, "value", UINT64_MAX, &arg->value)))
                return json_fail_missing(r, path, "value");
        JSON_TRY(json_get_u64(r, path, v, "valueTwo", UINT64_MAX, &arg->value_two));
        int op;
        if (!JSON_TRY_GET(spec_get_enum(r, path, v, "op", operators, ARRAY_SIZE(operators), "seccomp operator", &op)))
                return json_fail_missing(r, path, "op");
        arg->op = (enum husk_seccomp_op)op;
        return 0;
}

static int parse_syscall(const struct json_reader *r, const struct json_path *path, const json_t *v,
                         struct husk_seccomp_syscall *call)
{
        json_t *args;
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_strv(r, path, v, "names", &call->names)))
                return json_fail_missing(r, path, "names");
        struct json_path names_path = JSON_PATH_KEY(path, "names");
        if (!call->names[0])
                return json_fail(r, &names_path, "must not be empty");
        for (size_t i = 0; call->names[i]; i++)
                if (call->names[i][0] == '\0') {
                        struct json_path p = JSON_PATH_INDEX(&names_path, i);
                        return json_fail(r, &p, "must not be empty");
                }
        /* whether the kernel or libseccomp knows a name is decided when the filter is built:
         * runc skips unknown ones so that one profile serves old and new kernels */
        if (!JSON_TRY_GET(get_action(r, path, v, "action", &call->action)))
                return json_fail_missing(r, path, "action");
        JSON_TRY(get_errno_ret(r, path, v, "errnoRet", call->action, &call->has_errno_ret, &call->errno_ret));
        if (JSON_TRY_GET(json_get_array(r, path, v, "args", &args))) {
                struct json_path args_path = JSON_PATH_KEY(path, "args");
                size_t n = json_array_size(args);
                JSON_TRY(spec_alloc_array(r, n, sizeof(*call->args), (void **)&call->args));
                call->args_len = n;
                for (size_t i = 0; i < n; i++) {
                        struct json_path p = JSON_PATH_INDEX(&args_path, i);
                        JSON_TRY(parse_arg(r, &p, json_array_get(args, i), &call->args[i]));
                }
        }
        return 0;
}

static void clear_syscalls(struct husk_seccomp *seccomp)
{
        for (size_t i = 0; i < seccomp->syscalls_len; i++) {
                strv_free(seccomp->syscalls[i].names);
                free(seccomp->syscalls[i].args);
        }
        free(seccomp->syscalls);
        seccomp->syscalls = NULL;
        seccomp->syscalls_len = 0;
}

/* v["syscalls"], the rules; then the check that needs them and listenerPath both. */
static int parse_syscalls(const struct json_reader *r, const struct json_path *path, const json_t *v,
                          struct husk_seccomp *seccomp)
{
        json_t *calls;
        bool notify = false;
        if (JSON_TRY_GET(json_get_array(r, path, v, "syscalls", &calls))) {
                struct json_path calls_path = JSON_PATH_KEY(path, "syscalls");
                size_t n = json_array_size(calls);
                JSON_TRY(spec_alloc_array(r, n, sizeof(*seccomp->syscalls), (void **)&seccomp->syscalls));
                seccomp->syscalls_len = n;
                for (size_t i = 0; i < n; i++) {
                        struct json_path p = JSON_PATH_INDEX(&calls_path, i);
                        JSON_TRY(parse_syscall(r, &p, json_array_get(calls, i), &seccomp->syscalls[i]));
                        notify |= seccomp->syscalls[i].action == HUSK_SECCOMP_NOTIFY;
                }
        }
        /* the spec: listenerPath MUST be set when SCMP_ACT_NOTIFY is used */
        if (notify && (!seccomp->listener_path || seccomp->listener_path[0] == '\0')) {
                struct json_path p = JSON_PATH_KEY(path, "listenerPath");
                return json_fail(r, &p, "required when a syscall uses SCMP_ACT_NOTIFY");
        }
        return 0;
}

/* The rules' array as the reader left it, in the original text (big integer literals as written). */
static int keep_syscalls_text(const struct json_reader *r, struct husk_seccomp *seccomp)
{
        static const char head[] = "{\"syscalls\":", tail[] = "}";
        const struct husk_json_deferred *d = r->deferred;
        size_t n = d->end - d->start, len = sizeof(head) - 1 + n + sizeof(tail) - 1;
        char *text = malloc(len + 1);
        char *source = strdup(r->source);
        if (!text || !source) {
                free(text);
                free(source);
                return json_fail_oom(r);
        }
        memcpy(text, head, sizeof(head) - 1);
        memcpy(text + sizeof(head) - 1, r->text + d->start, n);
        memcpy(text + sizeof(head) - 1 + n, tail, sizeof(tail));
        seccomp->syscalls_json = text;
        seccomp->syscalls_json_len = len;
        seccomp->syscalls_source = source;
        return 0;
}

int spec_parse_seccomp(const struct json_reader *r, const struct json_path *path, const json_t *v,
                       struct husk_seccomp *seccomp)
{
        JSON_TRY(json_read_object(r, path, v));
        seccomp->present = true;
        if (!JSON_TRY_GET(get_action(r, path, v, "defaultAction", &seccomp->default_action)))
                return json_fail_missing(r, path, "defaultAction");
        if (seccomp->default_action == HUSK_SECCOMP_NOTIFY) {
                /* every syscall would wait on the agent, including the ones that hand it the fd */
                struct json_path p = JSON_PATH_KEY(path, "defaultAction");
                return json_fail(r, &p, "SCMP_ACT_NOTIFY cannot be the default action");
        }
        JSON_TRY(get_errno_ret(r, path, v, "defaultErrnoRet", seccomp->default_action, &seccomp->has_default_errno_ret,
                               &seccomp->default_errno_ret));
        JSON_TRY(parse_architectures(r, path, v, seccomp));
        JSON_TRY(parse_flags(r, path, v, seccomp));
        JSON_TRY(json_get_string(r, path, v, "listenerPath", &seccomp->listener_path));
        JSON_TRY(json_get_string(r, path, v, "listenerMetadata", &seccomp->listener_metadata));
        if (seccomp->listener_metadata && !seccomp->listener_path) {
                /* config-linux.md: listenerMetadata "MUST NOT be set if listenerPath is not set". */
                struct json_path p = JSON_PATH_KEY(path, "listenerMetadata");
                return json_fail(r, &p, "set without listenerPath");
        }

        if (r->deferred && r->deferred->found)
                return keep_syscalls_text(r, seccomp);
        return parse_syscalls(r, path, v, seccomp);
}

static int parse_syscalls_document(const struct json_reader *r, const json_t *doc, void *ret)
{
        const struct json_path linux_ = JSON_PATH_KEY(NULL, "linux");
        const struct json_path path = JSON_PATH_KEY(&linux_, "seccomp");
        return parse_syscalls(r, &path, doc, ret);
}

int husk_seccomp_load_syscalls(struct husk_seccomp *seccomp, struct husk_error **err)
{
        if (!seccomp->syscalls_json)
                return 0;
        int e = spec_parse_document(seccomp->syscalls_json, seccomp->syscalls_json_len, seccomp->syscalls_source, NULL,
                                    err, parse_syscalls_document, seccomp);
        if (e < 0) {
                clear_syscalls(seccomp); /* what was read before the error */
                return e;
        }
        free(seccomp->syscalls_json);
        free(seccomp->syscalls_source);
        seccomp->syscalls_json = seccomp->syscalls_source = NULL;
        seccomp->syscalls_json_len = 0;
        return 0;
}

void spec_seccomp_clear(struct husk_seccomp *seccomp)
{
        strv_free(seccomp->architectures);
        free(seccomp->listener_path);
        free(seccomp->listener_metadata);
        clear_syscalls(seccomp);
        free(seccomp->syscalls_json);
        free(seccomp->syscalls_source);
        *seccomp = (struct husk_seccomp){0};
}
