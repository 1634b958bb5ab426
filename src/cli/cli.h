/* What the subcommands of the husk CLI share: global options, flag parsing, output helpers. */
#pragma once

#include <stdbool.h>

#include "container/container.h"
#include "util/error.h"

struct cli_global {
        struct husk_runtime rt;
        const char *log_path;
        const char *log_format;
        bool debug;
};

enum cli_option_kind {
        CLI_BOOL,
        CLI_BOOL_SET, /* a boolean whose absence shows: an int target, 0 or 1 once given, else as the caller set it */
        CLI_STRING,
        CLI_INT,
        CLI_LIST, /* repeatable string: target is a struct cli_list */
};

/* Values of a repeatable flag, NULL-terminated; free items (the strings stay argv's). */
struct cli_list {
        char **items;
        size_t len;
};

struct cli_option {
        const char *long_name; /* without dashes */
        char short_name;       /* 0 when none */
        enum cli_option_kind kind;
        void *target; /* bool *, int * (CLI_BOOL_SET, CLI_INT), const char **, struct cli_list * */
        const char *help;
};

/*
 * Parse flags of one command: `--flag value`, `--flag=value`, Go's `-flag value`, `-f value`,
 * booleans with optional `=true|false`, and `--` to end flags. With permute, flags may follow
 * positional arguments; without, the first positional ends the flags (exec, kill).
 * Returns the index of the first positional argument in argv (argv is reordered), or < 0.
 * command names the command in errors; NULL for husk's global flags.
 */
int cli_parse(const char *command, int argc, char **argv, const struct cli_option *options, bool permute,
              struct husk_error **err);

/* `--help` text of a command, printed by the caller. */
void cli_usage(const char *command, const char *synopsis, const char *description,
               const struct cli_option *options);

/* Exactly n positional arguments, or an error naming what is missing or extra. */
int cli_expect_args(const char *command, int have, int want_min, int want_max, const char *what,
                    struct husk_error **err);

/*
 * runc's rule for ids, ^[\w+-\.]+$ (ASCII; `+-\.` is a range, which lets `,` in too): "invalid id format" for any
 * other character. libhusk refuses only what is unsafe as a file name (husk_id_validate), and run_oci mode keeps
 * that: run_oci takes any name without `/`.
 */
int cli_expect_id(const char *command, const char *id, struct husk_error **err);

/*
 * Add "<verb> `id`: " to an error, except "container `id` does not exist": hcsshim matches that
 * from the start of the message.
 */
int cli_wrap(struct husk_error **err, const char *verb, const char *id);

/* Signal names (KILL, SIGKILL) or numbers. */
int cli_parse_signal(const char *text, struct husk_error **err);

typedef int (*cli_command_fn)(struct cli_global *g, int argc, char **argv, struct husk_error **err);

int cli_create(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_start(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_run(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_kill(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_delete(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_state(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_list(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_spec(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_features(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_exec(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_checkpoint(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_restore(struct cli_global *g, int argc, char **argv, struct husk_error **err);
int cli_criu_hook(struct cli_global *g, int argc, char **argv, struct husk_error **err);

/* Exit status a command wants (run returns the container's); set by the command. */
extern int cli_exit_status;
/* husk's exit status when the command fails (1, but for exec). */
extern int cli_failure_status;
