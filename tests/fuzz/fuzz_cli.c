/* libFuzzer target: command lines (NUL-separated arguments) through cli_parse and cli_parse_signal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Errors start with the command's name (they quote the argument verbatim, newlines included). */
static void check_error(struct husk_error *err, const char *prefix)
{
        if (!err || !err->msg)
                return; /* allocation failure */
        if (strncmp(err->msg, prefix, strlen(prefix)) != 0)
                abort();
        husk_error_free(err);
}

static bool in_argv(char **argv, int argc, const char *p)
{
        for (int i = 0; i < argc; i++)
                if (argv[i] == p)
                        return true;
        return false;
}

/* exec's table (every option kind, short and long names), parsed without and with permutation. */
static void parse_exec(char **args, int argc, const char *text, size_t size, bool permute)
{
        const char *process = NULL, *console = NULL, *cwd = NULL, *user = NULL, *pid_file = NULL;
        bool tty = false, detach = false, nnp = false, help = false;
        int preserve_fds = -1;
        struct cli_list env = {0}, gids = {0}, caps = {0};
        const struct cli_option options[] = {
            {"process", 'p', CLI_STRING, &process, ""},
            {"console-socket", 0, CLI_STRING, &console, ""},
            {"cwd", 0, CLI_STRING, &cwd, ""},
            {"env", 'e', CLI_LIST, &env, ""},
            {"tty", 't', CLI_BOOL, &tty, ""},
            {"user", 'u', CLI_STRING, &user, ""},
            {"additional-gids", 'g', CLI_LIST, &gids, ""},
            {"detach", 'd', CLI_BOOL, &detach, ""},
            {"pid-file", 0, CLI_STRING, &pid_file, ""},
            {"no-new-privs", 0, CLI_BOOL, &nnp, ""},
            {"cap", 'c', CLI_LIST, &caps, ""},
            {"preserve-fds", 0, CLI_INT, &preserve_fds, ""},
            {"help", 'h', CLI_BOOL, &help, ""},
            {0},
        };
        /* cli_parse reorders argv in place: keep the original pointers to check against. */
        char **argv = calloc((size_t)argc + 1, sizeof(char *));
        if (!argv)
                return;
        memcpy(argv, args, (size_t)argc * sizeof(char *));
        struct husk_error *err = NULL;
        int n = cli_parse("exec", argc, argv, options, permute, &err);
        if (n < 0) {
                check_error(err, "exec: ");
        } else {
                /* Positionals are a subset of the input, NULL-terminated, and values point into argv. */
                if (n > argc || argv[n])
                        abort();
                for (int i = 0; i < n; i++)
                        if (!in_argv(args, argc, argv[i]))
                                abort();
                if (preserve_fds < -1)
                        abort();
                /* Values are the input's own bytes (`--flag=value` points past the '='), never copies. */
                const char *strings[] = {process, console, cwd, user, pid_file};
                for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                        if (strings[i] && (strings[i] < text || strings[i] > text + size))
                                abort();
        }
        struct cli_list *lists[] = {&env, &gids, &caps};
        for (size_t i = 0; i < 3; i++) {
                if (lists[i]->items && lists[i]->items[lists[i]->len])
                        abort();
                free(lists[i]->items);
        }
        free(argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* A NUL-terminated copy, split on NUL bytes into the arguments. */
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        int argc = 1;
        for (size_t i = 0; i < size; i++)
                argc += text[i] == '\0';
        char **args = calloc((size_t)argc + 1, sizeof(char *));
        if (!args) {
                free(text);
                return 0;
        }
        char *p = text;
        for (int i = 0; i < argc; i++) {
                args[i] = p;
                p += strlen(p) + 1;
        }

        parse_exec(args, argc, text, size, false);
        parse_exec(args, argc, text, size, true);

        for (int i = 0; i < argc; i++) {
                struct husk_error *err = NULL;
                int sig = cli_parse_signal(args[i], &err);
                if (sig < 0)
                        check_error(err, "kill: ");
                else if (sig >= 65) /* 0 is valid: kill(2)'s check */
                        abort();
        }
        free(args);
        free(text);
        return 0;
}
