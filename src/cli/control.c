/* kill, delete, state, list: the commands that act on existing containers. */
#include "cli.h"

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

int cli_kill(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool all = false, help = false;
        const struct cli_option options[] = {
                {"all", 'a', CLI_BOOL, &all, "send the signal to every process of the container"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("kill", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("kill", "[OPTIONS] ID [SIGNAL]",
                          "Send a signal (name with or without SIG, or number; default TERM) to the container.",
                          options);
                return 0;
        }
        int r = cli_expect_args("kill", n, 1, 2, "container id", err);
        if (r < 0 || (r = cli_expect_id("kill", argv[0], err)) < 0)
                return r;
        int sig = SIGTERM;
        /* An empty signal is the default too, as runc takes it: `kill ID "$SIG"` with SIG unset sends TERM. */
        if (n == 2 && argv[1][0] && (sig = cli_parse_signal(argv[1], err)) < 0)
                return sig;
        r = husk_container_kill(&g->rt, argv[0], sig, all, err);
        return r < 0 ? cli_wrap(err, "kill", argv[0]) : 0;
}

int cli_delete(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool force = false, help = false;
        const struct cli_option options[] = {
                {"force", 'f', CLI_BOOL, &force, "kill the container first if it is still running"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("delete", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("delete", "[OPTIONS] ID...", "Delete containers and everything they hold on the host.",
                          options);
                return 0;
        }
        int r = cli_expect_args("delete", n, 1, -1, "container id", err);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++) {
                if ((r = cli_expect_id("delete", argv[i], err)) < 0)
                        return r;
                r = husk_container_delete(&g->rt, argv[i], force, err);
                if (r < 0)
                        return cli_wrap(err, "delete", argv[i]);
        }
        return 0;
}

int cli_state(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool help = false;
        const struct cli_option options[] = {{"help", 'h', CLI_BOOL, &help, "show this help"}, {0}};
        int n = cli_parse("state", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("state", "ID", "Print the OCI state of a container as JSON.", options);
                return 0;
        }
        int r = cli_expect_args("state", n, 1, 1, "container id", err);
        if (r < 0 || (r = cli_expect_id("state", argv[0], err)) < 0)
                return r;
        _cleanup_(husk_state_freep) struct husk_state *state = NULL;
        r = husk_container_state(&g->rt, argv[0], &state, err);
        if (r < 0)
                return cli_wrap(err, "state", argv[0]);
        _cleanup_free_ char *json = husk_state_oci_json(state, true);
        printf("%s\n", json);
        return 0;
}

static const char *owner_name(uid_t uid, char *buf, size_t len)
{
        struct passwd *pw = getpwuid(uid);
        if (pw)
                return pw->pw_name;
        snprintf(buf, len, "#%u", uid);
        return buf;
}

static void print_json(struct husk_state **list, size_t len)
{
        if (len == 0) {
                printf("null\n"); /* runc marshals an empty list as null */
                return;
        }
        char buf[32];
        for (size_t i = 0; i < len; i++) {
                const char *owner = owner_name(list[i]->owner_uid, buf, sizeof(buf));
                _cleanup_free_ char *one = husk_state_oci_json_owner(list[i], owner, false);
                printf("%s%s", i ? "," : "[", one ? one : "{}");
        }
        printf("]\n");
}

static void print_table(struct husk_state **list, size_t len)
{
        /* Columns padded like runc's tabwriter (minimum width 12, padding 3). */
        size_t w_id = 2, w_bundle = 6, w_created = 7;
        for (size_t i = 0; i < len; i++) {
                size_t l = strlen(list[i]->id);
                w_id = l > w_id ? l : w_id;
                l = list[i]->bundle ? strlen(list[i]->bundle) : 0;
                w_bundle = l > w_bundle ? l : w_bundle;
                l = list[i]->created ? strlen(list[i]->created) : 0;
                w_created = l > w_created ? l : w_created;
        }
#define PAD(w) ((int)((w) + 3 < 12 ? 12 : (w) + 3))
        printf("%-*s%-*s%-*s%-*s%-*s%s\n", PAD(w_id), "ID", PAD(5), "PID", PAD(7), "STATUS", PAD(w_bundle),
               "BUNDLE", PAD(w_created), "CREATED", "OWNER");
        char buf[32];
        for (size_t i = 0; i < len; i++) {
                const struct husk_state *s = list[i];
                printf("%-*s%-*d%-*s%-*s%-*s%s\n", PAD(w_id), s->id, PAD(5),
                       s->status == HUSK_STATUS_STOPPED ? 0 : s->pid, PAD(7), husk_status_name(s->status),
                       PAD(w_bundle), s->bundle ? s->bundle : "", PAD(w_created), s->created ? s->created : "",
                       owner_name(s->owner_uid, buf, sizeof(buf)));
        }
#undef PAD
}

int cli_list(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        const char *format = "table";
        bool quiet = false, help = false;
        const struct cli_option options[] = {
                {"format", 'f', CLI_STRING, &format, "table or json"},
                {"quiet", 'q', CLI_BOOL, &quiet, "print only container ids"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("list", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("list", "[OPTIONS]", "List the containers under --root.", options);
                return 0;
        }
        int r = cli_expect_args("list", n, 0, 0, "", err);
        if (r < 0)
                return r;
        if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
                return husk_error_set(err, 0, "list: --format: invalid format `%s` (table or json)", format);
        struct husk_state **list = NULL;
        size_t len = 0;
        r = husk_container_list(&g->rt, &list, &len, err);
        if (r < 0)
                return husk_error_wrap(err, "list");
        if (quiet)
                for (size_t i = 0; i < len; i++)
                        printf("%s\n", list[i]->id);
        else if (strcmp(format, "json") == 0)
                print_json(list, len);
        else
                print_table(list, len);
        husk_state_list_free(list, len);
        return 0;
}
