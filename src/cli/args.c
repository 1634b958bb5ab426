/* Flag parsing for husk's commands, accepting every spelling runc's callers use. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_option *find_long(const struct cli_option *options, const char *name, size_t len)
{
        for (const struct cli_option *o = options; o->long_name; o++)
                if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
                        return o;
        return NULL;
}

static const struct cli_option *find_short(const struct cli_option *options, char c)
{
        for (const struct cli_option *o = options; o->long_name; o++)
                if (o->short_name == c)
                        return o;
        return NULL;
}

/* Errors start with the command's name, `exec: ...`; a global flag's with nothing. */
#define CMD(command) (command) ? (command) : "", (command) ? ": " : ""

static int set_value(const char *command, const struct cli_option *o, const char *value, struct husk_error **err)
{
        switch (o->kind) {
        case CLI_BOOL:
        case CLI_BOOL_SET: {
                int on;
                if (!value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
                        on = 1;
                else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
                        on = 0;
                else
                        return husk_error_set(err, 0, "%s%s--%s: invalid boolean `%s`", CMD(command), o->long_name,
                                              value);
                if (o->kind == CLI_BOOL)
                        *(bool *)o->target = on;
                else
                        *(int *)o->target = on;
                return 0;
        }
        case CLI_STRING:
                *(const char **)o->target = value;
                return 0;
        case CLI_LIST: {
                struct cli_list *l = o->target;
                char **grown = realloc(l->items, (l->len + 2) * sizeof(char *));
                if (!grown)
                        return husk_error_set(err, ENOMEM, "%s%s--%s", CMD(command), o->long_name);
                l->items = grown;
                l->items[l->len++] = (char *)value;
                l->items[l->len] = NULL;
                return 0;
        }
        case CLI_INT: {
                char *end;
                errno = 0;
                long v = strtol(value, &end, 10);
                if (errno || *end || end == value || v < 0 || v > INT_MAX)
                        return husk_error_set(err, 0, "%s%s--%s: invalid number `%s`", CMD(command), o->long_name,
                                              value);
                *(int *)o->target = (int)v;
                return 0;
        }
        }
        return 0;
}

int cli_parse(const char *command, int argc, char **argv, const struct cli_option *options, bool permute,
              struct husk_error **err)
{
        /* Positional arguments are collected at the front in their order. */
        char **positional = calloc((size_t)argc + 1, sizeof(char *));
        if (!positional)
                return husk_error_set(err, ENOMEM, "parse flags");
        int npos = 0, i = 0;
        for (; i < argc; i++) {
                char *arg = argv[i];
                if (strcmp(arg, "--") == 0) {
                        i++;
                        break;
                }
                if (arg[0] != '-' || arg[1] == '\0') {
                        if (!permute)
                                break;
                        positional[npos++] = arg;
                        continue;
                }
                const struct cli_option *o = NULL;
                const char *value = NULL;
                if (arg[1] == '-' || strlen(arg) > 2 || strchr(arg, '=')) {
                        const char *name = arg + (arg[1] == '-' ? 2 : 1);
                        const char *eq = strchr(name, '=');
                        size_t len = eq ? (size_t)(eq - name) : strlen(name);
                        o = find_long(options, name, len);
                        if (o && eq)
                                value = eq + 1;
                }
                /* -f, and Go's -f=json */
                if (!o && arg[1] != '-' && (arg[2] == '\0' || arg[2] == '=')) {
                        o = find_short(options, arg[1]);
                        if (o && arg[2] == '=')
                                value = arg + 3;
                }
                if (!o) {
                        free(positional);
                        return husk_error_set(err, 0, "%s%sunknown flag `%s` (see `husk %s%s--help`)", CMD(command),
                                              arg, command ? command : "", command ? " " : "");
                }
                if (o->kind != CLI_BOOL && o->kind != CLI_BOOL_SET && !value) {
                        if (i + 1 >= argc) {
                                free(positional);
                                /* runc's (urfave/cli's) words: podman probes `restore --lsm-mount-context`
                                 * for them to tell whether the runtime can restore into a pod. */
                                return husk_error_set(err, 0, "%s%sflag needs an argument: %s", CMD(command), arg);
                        }
                        value = argv[++i];
                }
                int r = set_value(command, o, value, err);
                if (r < 0) {
                        free(positional);
                        return r;
                }
        }
        /* Everything after the flags stays positional, untouched (exec's command line). */
        for (; i < argc; i++)
                positional[npos++] = argv[i];
        memcpy(argv, positional, (size_t)npos * sizeof(char *));
        argv[npos] = NULL;
        free(positional);
        return npos;
}

void cli_usage(const char *command, const char *synopsis, const char *description,
               const struct cli_option *options)
{
        printf("Usage: husk %s %s\n\n%s\n", command, synopsis, description);
        if (options && options->long_name) {
                printf("\nOptions:\n");
                for (const struct cli_option *o = options; o->long_name; o++) {
                        char name[64];
                        if (o->short_name)
                                snprintf(name, sizeof(name), "-%c, --%s%s", o->short_name, o->long_name,
                                         o->kind == CLI_BOOL || o->kind == CLI_BOOL_SET ? "" : " VALUE");
                        else
                                snprintf(name, sizeof(name), "    --%s%s", o->long_name,
                                         o->kind == CLI_BOOL || o->kind == CLI_BOOL_SET ? "" : " VALUE");
                        printf("  %-28s %s\n", name, o->help);
                }
        }
}

int cli_expect_args(const char *command, int have, int want_min, int want_max, const char *what,
                    struct husk_error **err)
{
        if (have < want_min)
                return husk_error_set(err, 0, "%s: missing %s (see `husk %s --help`)", command, what, command);
        if (want_max >= 0 && have > want_max)
                return husk_error_set(err, 0, "%s: too many arguments (see `husk %s --help`)", command, command);
        return 0;
}

int cli_expect_id(const char *command, const char *id, struct husk_error **err)
{
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_+,-.", *p)))
                        return husk_error_set(err, 0,
                                              "%s `%s`: invalid id format: a container id may hold only letters, "
                                              "digits, `_`, `+`, `,`, `-` and `.`",
                                              command, id);
        return 0;
}

int cli_wrap(struct husk_error **err, const char *verb, const char *id)
{
        const char *msg = *err ? (*err)->msg : NULL;
        if (msg && strncmp(msg, "container", 9) == 0 && strstr(msg, "does not exist"))
                return husk_error_code(*err);
        return husk_error_wrap(err, "%s `%s`", verb, id);
}
