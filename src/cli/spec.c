/* spec: write a default config.json, as `runc spec` does (or a rootless one). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "husk-config.h"
#include "util/cleanup.h"

/*
 * runc 1.1's template, but for two masked paths that Docker (28) and Kubernetes mask by default and runc's
 * template does not: /proc/interrupts and /sys/devices/virtual/powercap (RAPL energy counters, the
 * Platypus side channel, CVE-2020-8694).
 */
static const char default_spec[] =
        "{\"ociVersion\":\"" HUSK_SPEC_VERSION "\","
        "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
        "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
        "\"cwd\":\"/\","
        "\"capabilities\":{\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
        "\"noNewPrivileges\":true},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"husk\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
        "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
        "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
        "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
        "{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
        "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/interrupts\",\"/proc/kcore\",\"/proc/keys\","
        "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\","
        "\"/sys/devices/virtual/powercap\",\"/proc/scsi\"],"
        "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

static json_t *id_map(unsigned int host_id)
{
        return json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID", (json_int_t)host_id, "size", 1);
}

/* The template's namespaces without `type`. */
static void drop_namespace(json_t *spec, const char *type)
{
        json_t *linux_ = json_object_get(spec, "linux");
        json_t *ns = json_object_get(linux_, "namespaces"), *kept = json_array();
        size_t i;
        json_t *v;
        json_array_foreach (ns, i, v)
                if (strcmp(json_string_value(json_object_get(v, "type")), type) != 0)
                        json_array_append(kept, v);
        json_object_set_new(linux_, "namespaces", kept);
}

/* As runc's: a cgroup namespace only where cgroup v2 is all there is at /sys/fs/cgroup. */
static bool cgroup2_unified(void)
{
        struct statfs fs;
        return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* What `runc spec --rootless` changes: a user namespace mapping the caller, no network namespace (an
 * unprivileged user has none to configure), /sys bound from the host, no uid=/gid= mount options (those ids
 * are not mapped) and no resources (no cgroup is the user's to write). */
static void make_rootless(json_t *spec)
{
        json_t *linux_ = json_object_get(spec, "linux");
        json_object_del(linux_, "resources");
        drop_namespace(spec, "network");
        json_array_append_new(json_object_get(linux_, "namespaces"), json_pack("{s:s}", "type", "user"));
        json_object_set_new(linux_, "uidMappings", id_map(geteuid()));
        json_object_set_new(linux_, "gidMappings", id_map(getegid()));

        size_t i;
        json_t *v;
        json_array_foreach (json_object_get(spec, "mounts"), i, v) {
                if (strcmp(json_string_value(json_object_get(v, "destination")), "/sys") == 0) {
                        json_object_set_new(v, "type", json_string("none"));
                        json_object_set_new(v, "source", json_string("/sys"));
                        json_object_set_new(v, "options",
                                            json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
                        continue;
                }
                json_t *opts = json_object_get(v, "options"), *kept, *opt;
                if (!opts)
                        continue;
                kept = json_array();
                size_t k;
                json_array_foreach (opts, k, opt) {
                        const char *o = json_string_value(opt);
                        if (strncmp(o, "uid=", 4) != 0 && strncmp(o, "gid=", 4) != 0)
                                json_array_append(kept, opt);
                }
                json_object_set_new(v, "options", kept);
        }
}

int cli_spec(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        const char *bundle = ".";
        bool rootless = false, help = false;
        const struct cli_option options[] = {
                {"bundle", 'b', CLI_STRING, &bundle, "where to write config.json"},
                {"rootless", 0, CLI_BOOL, &rootless, "a configuration for an unprivileged user"},
                {"help", 'h', CLI_BOOL, &help, "show this help"},
                {0},
        };
        int n = cli_parse("spec", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("spec", "[OPTIONS]", "Write a default config.json into the bundle.", options);
                return 0;
        }
        int r = cli_expect_args("spec", n, 0, 0, "", err);
        if (r < 0)
                return r;
        json_t *spec = json_loads(default_spec, 0, NULL);
        if (!spec)
                return husk_error_set(err, EINVAL, "spec: built-in template");
        if (!cgroup2_unified())
                drop_namespace(spec, "cgroup");
        if (rootless)
                make_rootless(spec);
        _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
        json_decref(spec);
        _cleanup_free_ char *path = NULL;
        if (!text || asprintf(&path, "%s/config.json", bundle) < 0)
                return husk_error_set(err, ENOMEM, "spec");
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
                if (errno == EEXIST)
                        return husk_error_set(err, 0, "spec: `%s` exists: remove it first", path);
                return husk_error_set(err, errno, "spec: create `%s`", path);
        }
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
                return husk_error_set(err, errno, "spec: write `%s`", path);
        return 0;
}
