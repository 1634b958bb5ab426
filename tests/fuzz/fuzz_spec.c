/* libFuzzer target: config.json, a process object and a resources object through the spec parser. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error is one line that starts with the document's name. */
static void check_error(struct husk_error *err, const char *source)
{
        if (!err || !err->msg)
                return; /* only when the error itself could not be allocated */
        size_t n = strlen(source);
        if (strncmp(err->msg, source, n) != 0 || err->msg[n] != ':' || strchr(err->msg, '\n'))
                abort();
        husk_error_free(err);
}

static void check_process(const struct husk_process *p)
{
        if (!p->args || !p->args[0] || !p->cwd || p->cwd[0] != '/')
                abort();
        if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
                abort();
        for (size_t i = 0; i < p->rlimits_len; i++)
                if (p->rlimits[i].soft > p->rlimits[i].hard || !husk_rlimit_name(p->rlimits[i].resource))
                        abort();
}

static void check_spec(const struct husk_spec *spec)
{
        if (!spec->oci_version)
                abort();
        if (spec->has_process)
                check_process(&spec->process);
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                if (!m->destination || m->destination[0] != '/' || (m->flags & m->clear_flags) ||
                    (m->rec_attr_set & m->rec_attr_clr & ~(uint64_t)0x70))
                        abort();
                if (m->data && (m->data[0] == '\0' || m->data[0] == ','))
                        abort();
        }
        for (size_t i = 0; i < spec->linux_.namespaces_len; i++)
                if (husk_spec_namespace(spec, spec->linux_.namespaces[i].type) != &spec->linux_.namespaces[i])
                        abort(); /* duplicates must have been refused */
        for (size_t i = 0; i < spec->linux_.resources.devices_len; i++) {
                const char *access = spec->linux_.resources.devices[i].access;
                if (!access[0] || strspn(access, "rwm") != strlen(access))
                        abort();
        }
        if (spec->linux_.seccomp.present)
                for (size_t i = 0; i < spec->linux_.seccomp.syscalls_len; i++)
                        if (!spec->linux_.seccomp.syscalls[i].names || !spec->linux_.seccomp.syscalls[i].names[0])
                                abort();
}

static bool rules_unknown(const struct husk_seccomp *seccomp, void *data)
{
        (void)seccomp;
        ++*(int *)data;
        return false;
}

/*
 * A parse that passes over the seccomp rules and is then told they are unknown reads the document
 * again: it must end as husk_spec_parse did, with the same message, or the same rules' text.
 */
static void check_rules_unknown(const char *text, size_t size, const struct husk_spec *spec,
                                const struct husk_error *err)
{
        int calls = 0;
        const struct husk_spec_parse_options opts = {.rules_known = rules_unknown, .data = &calls};
        struct husk_spec *again = NULL;
        struct husk_error *again_err = NULL;
        int r = husk_spec_parse_with(text, size, "config.json", &opts, &again, &again_err);
        if ((r == 0) != (spec != NULL) || calls > 1)
                abort();
        if (spec) {
                const struct husk_seccomp *a = &spec->linux_.seccomp, *b = &again->linux_.seccomp;
                if (!a->syscalls_json != !b->syscalls_json ||
                    (a->syscalls_json && (a->syscalls_json_len != b->syscalls_json_len ||
                                          memcmp(a->syscalls_json, b->syscalls_json, a->syscalls_json_len) != 0)))
                        abort();
                husk_spec_free(again);
        } else if (err && again_err && strcmp(err->msg, again_err->msg) != 0) {
                abort();
        }
        husk_error_free(again_err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct husk_error *err = NULL;

        struct husk_spec *spec = NULL;
        int parsed = husk_spec_parse(text, size, "config.json", &spec, &err);
        check_rules_unknown(text, size, parsed == 0 ? spec : NULL, err);
        if (parsed == 0) {
                /* the seccomp rules, left as text, as building a filter loads them */
                if (husk_seccomp_load_syscalls(&spec->linux_.seccomp, &err) == 0) {
                        if (spec->linux_.seccomp.syscalls_json)
                                abort();
                        check_spec(spec);
                } else {
                        check_error(err, "config.json");
                }
                husk_spec_free(spec);
        } else {
                check_error(err, "config.json");
        }

        err = NULL;
        struct husk_process *process = NULL;
        if (husk_process_parse(text, size, "process.json", &process, &err) == 0) {
                check_process(process);
                husk_process_free(process);
        } else {
                check_error(err, "process.json");
        }

        err = NULL;
        struct husk_resources *resources = NULL;
        if (husk_resources_parse(text, size, "resources.json", &resources, &err) == 0)
                husk_resources_free(resources);
        else
                check_error(err, "resources.json");
        return 0;
}
