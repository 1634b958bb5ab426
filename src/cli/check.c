/* check: report what this host offers containers (text or JSON), exit 1 when a root-container need is missing. */
#include "check.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "linux/probe.h"
#include "util/cleanup.h"

static void print_text(const struct husk_probe_report *report, bool ok)
{
        for (size_t i = 0; i < report->len; i++) {
                const struct husk_probe_item *it = &report->items[i];
                printf("%-8s %-30s %s\n", husk_probe_status_name(it->status), it->name, it->detail);
                if (it->fix)
                        printf("%-8s %-30s fix: %s%s\n", "", "", it->fix,
                               it->required ? " (required for containers)" : "");
        }
        printf("\n%s\n", ok ? "husk can run containers as root on this host"
                            : "husk cannot run containers on this host: fix the required items above");
}

static int print_json(const struct husk_probe_report *report, bool ok, struct husk_error **err)
{
        json_t *items = json_array();
        json_t *doc = json_pack("{s:b,s:o}", "ok", ok, "checks", items);
        if (!doc)
                return husk_error_set(err, ENOMEM, "check");
        for (size_t i = 0; i < report->len; i++) {
                const struct husk_probe_item *it = &report->items[i];
                json_t *o = json_pack("{s:s,s:s,s:b,s:s}", "name", it->name, "status",
                                      husk_probe_status_name(it->status), "required", it->required, "detail",
                                      it->detail);
                if (!o || json_array_append_new(items, o) < 0) {
                        json_decref(doc);
                        return husk_error_set(err, ENOMEM, "check");
                }
                if (it->value)
                        json_object_set_new(o, "value", json_string(it->value));
                if (it->fix)
                        json_object_set_new(o, "fix", json_string(it->fix));
        }
        _cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!text)
                return husk_error_set(err, ENOMEM, "check");
        printf("%s\n", text);
        return 0;
}

int cli_check(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        (void)g;
        bool help = false;
        const char *format = "text";
        const struct cli_option options[] = {
                {"format", 'f', CLI_STRING, &format, "text or json"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("check", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("check", "[--format text|json]",
                          "Report what this host supports for containers and how to fix what is missing.\n"
                          "Exit status 0 when everything root containers need is present, 1 otherwise.",
                          options);
                return 0;
        }
        int r = cli_expect_args("check", n, 0, 0, "", err);
        if (r < 0)
                return r;
        bool json = strcmp(format, "json") == 0;
        if (!json && strcmp(format, "text") != 0)
                return husk_error_set(err, 0, "check: --format: unknown format `%s` (text or json)", format);

        struct husk_probe_report report = {0};
        r = husk_probe_host(&report, err);
        if (r < 0)
                return husk_error_wrap(err, "check");
        bool ok = husk_probe_report_ok(&report);
        if (json)
                r = print_json(&report, ok, err);
        else
                print_text(&report, ok);
        husk_probe_report_done(&report);
        if (r < 0)
                return r;
        if (!ok)
                cli_exit_status = 1;
        return 0;
}
