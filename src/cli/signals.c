/* Signal names and numbers as `kill` accepts them: KILL, SIGKILL, 9, RTMIN+3, and 0 (no signal, a check). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
        const char *name;
        int number;
} signal_names[] = {
        {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM},     {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},    {"CONT", SIGCONT},
        {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},
        {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},         {"POLL", SIGPOLL},     {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

static int parse_number(const char *s, int *ret)
{
        if (!*s)
                return -1;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > 64)
                return -1;
        *ret = (int)v;
        return 0;
}

int cli_parse_signal(const char *text, struct husk_error **err)
{
        int n;
        /* A plus sign too, as runc's strconv.Atoi takes it ("+15"); "-15" stays an error, as it is in runc. */
        if (isdigit((unsigned char)text[text[0] == '+'])) {
                /* 0 as in kill(2): only whether the init is there (runc and crun take it) */
                if (parse_number(text, &n) == 0 && n < NSIG)
                        return n;
                return husk_error_set(err, 0, "kill: invalid signal `%s`", text);
        }
        const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
        for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
                if (strcasecmp(name, signal_names[i].name) == 0)
                        return signal_names[i].number;
        if (strncasecmp(name, "RTMIN", 5) == 0) {
                n = 0;
                if (name[5] == '\0' || (name[5] == '+' && parse_number(name + 6, &n) == 0))
                        if (SIGRTMIN + n <= SIGRTMAX)
                                return SIGRTMIN + n;
        }
        if (strncasecmp(name, "RTMAX", 5) == 0) {
                n = 0;
                if (name[5] == '\0' || (name[5] == '-' && parse_number(name + 6, &n) == 0))
                        if (SIGRTMAX - n >= SIGRTMIN)
                                return SIGRTMAX - n;
        }
        return husk_error_set(err, 0, "kill: unknown signal `%s`", text);
}
