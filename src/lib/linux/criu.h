/* Running criu(8) for checkpoint and restore: its command line, the process, its log. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* A growing argv for criu; an allocation failure is remembered and reported by husk_criu_run. */
struct husk_criu_args {
        char **argv;
        size_t len, cap;
        bool oom;
};

void husk_criu_add(struct husk_criu_args *a, const char *arg);
void husk_criu_addf(struct husk_criu_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void husk_criu_args_clear(struct husk_criu_args *a);

struct husk_criu_hooks {
        /* In the parent, once criu's process exists and before it goes on: e.g. have systemd put it in a
         * scope. Failing kills it. */
        int (*started)(pid_t pid, void *data, struct husk_error **err);
        /* In criu's process before the exec: change what criu inherits (cgroups, a mount namespace) and
         * add to its arguments (a is the child's copy). 0 or -errno. */
        int (*setup)(struct husk_criu_args *a, void *data);
        void *data;
};

/*
 * Run ARGS, whose first is the criu binary (looked up on $PATH when it has no slash, as runc's
 * default `criu` is), and wait for it, with hooks (NULL: none).
 * criu's stdio is the caller's. When criu fails, the error quotes the first `Error` line of log_path
 * (criu's --log-file, written with -v4), the cause, and names the log.
 */
int husk_criu_run(struct husk_criu_args *a, const struct husk_criu_hooks *hooks, const char *log_path,
                  struct husk_error **err);
