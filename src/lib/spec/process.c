/* The process object: user, args, cwd, capabilities, rlimits, scheduler, I/O priority, CPU affinity. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "util/cleanup.h"

/*
 * Kernel ABI numbers that glibc has no header for. <linux/sched.h> and friends are not included:
 * with src/lib on the include path, <linux/x.h> would find src/lib/linux/x.h first.
 */
#define SPEC_SCHED_FLAG_RECLAIM 0x02
#define SPEC_SCHED_FLAG_DL_OVERRUN 0x04
#define SPEC_SCHED_FLAG_KEEP_POLICY 0x08
#define SPEC_SCHED_FLAG_KEEP_PARAMS 0x10
#define SPEC_SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define SPEC_SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#define SPEC_IOPRIO_CLASS_RT 1
#define SPEC_IOPRIO_CLASS_BE 2
#define SPEC_IOPRIO_CLASS_IDLE 3

static const struct spec_name scheduler_policies[] = {
    {"SCHED_OTHER", SCHED_OTHER},       {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH},       {"SCHED_ISO", SCHED_ISO},   {"SCHED_IDLE", SCHED_IDLE},
    {"SCHED_DEADLINE", SCHED_DEADLINE},
};

static const struct spec_name scheduler_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", HUSK_SCHED_FLAG_RESET_ON_FORK},
    {"SCHED_FLAG_RECLAIM", SPEC_SCHED_FLAG_RECLAIM},
    {"SCHED_FLAG_DL_OVERRUN", SPEC_SCHED_FLAG_DL_OVERRUN},
    {"SCHED_FLAG_KEEP_POLICY", SPEC_SCHED_FLAG_KEEP_POLICY},
    {"SCHED_FLAG_KEEP_PARAMS", SPEC_SCHED_FLAG_KEEP_PARAMS},
    {"SCHED_FLAG_UTIL_CLAMP_MIN", SPEC_SCHED_FLAG_UTIL_CLAMP_MIN},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", SPEC_SCHED_FLAG_UTIL_CLAMP_MAX},
};

static const struct spec_name ioprio_classes[] = {
    {"IOPRIO_CLASS_RT", SPEC_IOPRIO_CLASS_RT},
    {"IOPRIO_CLASS_BE", SPEC_IOPRIO_CLASS_BE},
    {"IOPRIO_CLASS_IDLE", SPEC_IOPRIO_CLASS_IDLE},
};

static int parse_console_size(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                              struct husk_process *process)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "consoleSize", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "consoleSize");
        uint64_t height = 0, width = 0;
        /* struct winsize holds unsigned short */
        if (!JSON_TRY_GET(json_get_u64(r, &path, v, "height", UINT16_MAX, &height)))
                return json_fail_missing(r, &path, "height");
        if (!JSON_TRY_GET(json_get_u64(r, &path, v, "width", UINT16_MAX, &width)))
                return json_fail_missing(r, &path, "width");
        process->has_console_size = true;
        process->console_height = (unsigned int)height;
        process->console_width = (unsigned int)width;
        return 0;
}

static int parse_user(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                      struct husk_user *user)
{
        json_t *v, *gids;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "user", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "user");
        /* Up to 4294967294: (uid_t)-1 is "leave unchanged" to setresuid(), so the process would stay root. */
        uint64_t id;
        if (JSON_TRY_GET(json_get_u64(r, &path, v, "uid", HUSK_ID_MAX, &id)))
                user->uid = (uid_t)id;
        if (JSON_TRY_GET(json_get_u64(r, &path, v, "gid", HUSK_ID_MAX, &id)))
                user->gid = (gid_t)id;
        uint64_t umask_value;
        /* A uint32 (runtime-spec); umask(2) keeps the permission bits, as runc and crun let it. */
        if (JSON_TRY_GET(json_get_u64(r, &path, v, "umask", UINT32_MAX, &umask_value))) {
                user->has_umask = true;
                user->umask = (mode_t)(umask_value & 0777);
        }
        if (JSON_TRY_GET(json_get_array(r, &path, v, "additionalGids", &gids))) {
                struct json_path gids_path = JSON_PATH_KEY(&path, "additionalGids");
                size_t n = json_array_size(gids);
                JSON_TRY(spec_alloc_array(r, n, sizeof(gid_t), (void **)&user->additional_gids));
                for (size_t i = 0; i < n; i++) {
                        struct json_path p = JSON_PATH_INDEX(&gids_path, i);
                        uint64_t gid;
                        JSON_TRY(json_read_u64(r, &p, json_array_get(gids, i), HUSK_ID_MAX, &gid));
                        user->additional_gids[i] = (gid_t)gid;
                        user->additional_gids_len = i + 1;
                }
        }
        JSON_TRY(json_get_string(r, &path, v, "username", &user->username));
        return 0;
}

static int parse_capability_set(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                                const char *key, uint64_t *ret)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, key, &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, key);
        uint64_t mask = 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                const char *name;
                JSON_TRY(json_read_string_ref(r, &p, json_array_get(v, i), &name));
                int cap = husk_capability_from_name(name);
                if (cap < 0) {
                        /* config.md: a value that "cannot be mapped to a relevant kernel interface ... MUST
                         * be logged as a warning" (and the operation goes on): runc does the same. Dropping
                         * it can only take privilege away. */
                        struct json_quoted q;
                        json_warn(r, &p, "unknown capability %s: ignored", json_quote(&q, name));
                        continue;
                }
                mask |= UINT64_C(1) << cap;
        }
        *ret = mask;
        return 0;
}

static int parse_capabilities(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                              struct husk_capabilities *caps)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "capabilities", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "capabilities");
        caps->present = true;
        JSON_TRY(parse_capability_set(r, &path, v, "bounding", &caps->bounding));
        JSON_TRY(parse_capability_set(r, &path, v, "effective", &caps->effective));
        JSON_TRY(parse_capability_set(r, &path, v, "inheritable", &caps->inheritable));
        JSON_TRY(parse_capability_set(r, &path, v, "permitted", &caps->permitted));
        JSON_TRY(parse_capability_set(r, &path, v, "ambient", &caps->ambient));
        return 0;
}

static int parse_rlimit(const struct json_reader *r, const struct json_path *path, const json_t *v, uint32_t *seen,
                        struct husk_rlimit *rlimit)
{
        JSON_TRY(json_read_object(r, path, v));
        const char *type;
        if (!JSON_TRY_GET(json_get_string_ref(r, path, v, "type", &type)))
                return json_fail_missing(r, path, "type");
        struct json_path type_path = JSON_PATH_KEY(path, "type");
        struct json_quoted q;
        int resource = husk_rlimit_from_name(type);
        if (resource < 0)
                return json_fail(r, &type_path, "unknown rlimit %s", json_quote(&q, type));
        /* runc refuses duplicates too: which one wins would be a guess */
        if (*seen & (1u << resource))
                return json_fail(r, &type_path, "duplicate rlimit %s", json_quote(&q, type));
        *seen |= 1u << resource;
        rlimit->resource = resource;
        if (!JSON_TRY_GET(json_get_u64(r, path, v, "soft", UINT64_MAX, &rlimit->soft)))
                return json_fail_missing(r, path, "soft");
        if (!JSON_TRY_GET(json_get_u64(r, path, v, "hard", UINT64_MAX, &rlimit->hard)))
                return json_fail_missing(r, path, "hard");
        /* setrlimit would fail with EINVAL inside the container; say why here */
        if (rlimit->soft > rlimit->hard) {
                struct json_path soft_path = JSON_PATH_KEY(path, "soft");
                return json_fail(r, &soft_path, "soft limit %" PRIu64 " is above the hard limit %" PRIu64, rlimit->soft,
                                 rlimit->hard);
        }
        return 0;
}

static int parse_rlimits(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                         struct husk_process *process)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "rlimits", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "rlimits");
        size_t n = json_array_size(v);
        uint32_t seen = 0;
        JSON_TRY(spec_alloc_array(r, n, sizeof(*process->rlimits), (void **)&process->rlimits));
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                JSON_TRY(parse_rlimit(r, &p, json_array_get(v, i), &seen, &process->rlimits[i]));
                process->rlimits_len = i + 1;
        }
        return 0;
}

static int parse_scheduler(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                           struct husk_scheduler *sched)
{
        json_t *v, *flags;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "scheduler", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "scheduler");
        sched->present = true;
        if (!JSON_TRY_GET(spec_get_enum(r, &path, v, "policy", scheduler_policies, ARRAY_SIZE(scheduler_policies),
                                        "scheduler policy", &sched->policy)))
                return json_fail_missing(r, &path, "policy");
        int64_t n;
        if (JSON_TRY_GET(json_get_i64(r, &path, v, "nice", -20, 19, &n)))
                sched->nice = (int)n;
        if (JSON_TRY_GET(json_get_i64(r, &path, v, "priority", 0, 99, &n)))
                sched->priority = (int)n;
        if (JSON_TRY_GET(json_get_array(r, &path, v, "flags", &flags))) {
                struct json_path flags_path = JSON_PATH_KEY(&path, "flags");
                for (size_t i = 0; i < json_array_size(flags); i++) {
                        struct json_path p = JSON_PATH_INDEX(&flags_path, i);
                        const char *name;
                        JSON_TRY(json_read_string_ref(r, &p, json_array_get(flags, i), &name));
                        int flag = spec_name_lookup(scheduler_flags, ARRAY_SIZE(scheduler_flags), name);
                        if (flag < 0) {
                                struct json_quoted q;
                                return json_fail(r, &p, "unknown scheduler flag %s", json_quote(&q, name));
                        }
                        sched->flags |= (uint64_t)flag;
                }
        }
        JSON_TRY(json_get_u64(r, &path, v, "runtime", UINT64_MAX, &sched->runtime));
        JSON_TRY(json_get_u64(r, &path, v, "deadline", UINT64_MAX, &sched->deadline));
        JSON_TRY(json_get_u64(r, &path, v, "period", UINT64_MAX, &sched->period));
        return 0;
}

static int parse_io_priority(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                             struct husk_io_priority *io)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "ioPriority", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "ioPriority");
        io->present = true;
        if (!JSON_TRY_GET(spec_get_enum(r, &path, v, "class", ioprio_classes, ARRAY_SIZE(ioprio_classes),
                                        "ioPriority class", &io->ioprio_class)))
                return json_fail_missing(r, &path, "class");
        /* the spec marks priority REQUIRED, but Go (runc) reads an absent one as 0: so do we */
        int64_t priority = 0;
        JSON_TRY(json_get_i64(r, &path, v, "priority", 0, 7, &priority));
        io->priority = (int)priority;
        return 0;
}

/* An empty string is "not set", as Go's omitempty writes it. */
static int get_cpu_list(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                        char **ret)
{
        if (!JSON_TRY_GET(json_get_string(r, parent, obj, key, ret)))
                return 0;
        if ((*ret)[0] == '\0') {
                free(*ret);
                *ret = NULL;
                return 0;
        }
        struct json_path p = JSON_PATH_KEY(parent, key);
        return spec_check_list(r, &p, *ret);
}

static int parse_exec_cpu_affinity(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                                   struct husk_cpu_affinity *affinity)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "execCPUAffinity", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "execCPUAffinity");
        JSON_TRY(get_cpu_list(r, &path, v, "initial", &affinity->initial));
        JSON_TRY(get_cpu_list(r, &path, v, "final", &affinity->final));
        return 0;
}

int spec_parse_process(const struct json_reader *r, const struct json_path *path, const json_t *v,
                       struct husk_process *process)
{
        JSON_TRY(json_read_object(r, path, v));
        JSON_TRY(json_get_bool(r, path, v, "terminal", &process->terminal));
        JSON_TRY(parse_console_size(r, path, v, process));
        JSON_TRY(parse_user(r, path, v, &process->user));

        if (!JSON_TRY_GET(json_get_strv(r, path, v, "args", &process->args)))
                return json_fail_missing(r, path, "args");
        if (!process->args[0]) {
                struct json_path p = JSON_PATH_KEY(path, "args");
                return json_fail(r, &p, "must not be empty");
        }
        JSON_TRY(json_get_string(r, path, v, "commandLine", &process->command_line));
        JSON_TRY(json_get_strv(r, path, v, "env", &process->env));

        if (!JSON_TRY_GET(json_get_string(r, path, v, "cwd", &process->cwd)))
                return json_fail_missing(r, path, "cwd");
        struct json_path cwd_path = JSON_PATH_KEY(path, "cwd");
        JSON_TRY(spec_check_absolute(r, &cwd_path, process->cwd));

        JSON_TRY(parse_capabilities(r, path, v, &process->capabilities));
        JSON_TRY(parse_rlimits(r, path, v, process));
        JSON_TRY(json_get_bool(r, path, v, "noNewPrivileges", &process->no_new_privileges));
        JSON_TRY(json_get_string(r, path, v, "apparmorProfile", &process->apparmor_profile));
        int64_t oom;
        if (JSON_TRY_GET(json_get_i64(r, path, v, "oomScoreAdj", -1000, 1000, &oom))) {
                process->has_oom_score_adj = true;
                process->oom_score_adj = (int)oom;
        }
        JSON_TRY(parse_scheduler(r, path, v, &process->scheduler));
        JSON_TRY(json_get_string(r, path, v, "selinuxLabel", &process->selinux_label));
        JSON_TRY(parse_io_priority(r, path, v, &process->io_priority));
        JSON_TRY(parse_exec_cpu_affinity(r, path, v, &process->exec_cpu_affinity));
        return 0;
}

void spec_process_clear(struct husk_process *process)
{
        free(process->user.additional_gids);
        free(process->user.username);
        strv_free(process->args);
        free(process->command_line);
        strv_free(process->env);
        free(process->cwd);
        free(process->rlimits);
        free(process->apparmor_profile);
        free(process->selinux_label);
        free(process->exec_cpu_affinity.initial);
        free(process->exec_cpu_affinity.final);
        *process = (struct husk_process){0};
}

int husk_spec_env_set(struct husk_spec *spec, const char *entry, struct husk_error **err)
{
        size_t key = strcspn(entry, "=") + 1, n = 0;
        char *copy = strdup(entry);
        if (!copy)
                return husk_error_set(err, ENOMEM, "process.env: set %.*s", (int)key - 1, entry);
        char ***env = &spec->process.env;
        for (; *env && (*env)[n]; n++)
                if (strncmp((*env)[n], entry, key) == 0) {
                        free((*env)[n]);
                        (*env)[n] = copy;
                        return 0;
                }
        char **grown = realloc(*env, (n + 2) * sizeof(char *));
        if (!grown) {
                free(copy);
                return husk_error_set(err, ENOMEM, "process.env: set %.*s", (int)key - 1, entry);
        }
        grown[n] = copy;
        grown[n + 1] = NULL;
        *env = grown;
        return 0;
}
