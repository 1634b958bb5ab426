/* features: the runtime-spec features document, listing only what husk really implements. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "cgroup/cgroup.h"
#include "container/criu-opts.h"
#include "husk-commit.h"
#include "husk-config.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static json_t *strings(const char *const *list)
{
        json_t *a = json_array();
        for (; *list; list++)
                json_array_append_new(a, json_string(*list));
        return a;
}

static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
                                    "startContainer", "poststart",     "poststop", NULL};

static const char *const mount_options[] = {
    "acl",          "async",    "atime",      "bind",        "defaults",  "dev",         "diratime",       "dirsync",
    "exec",         "iversion", "lazytime",   "loud",        "mand",      "noacl",       "noatime",        "nodev",
    "nodiratime",   "noexec",   "noiversion", "nolazytime",  "nomand",    "norelatime",  "nostrictatime",  "nosuid",
    "nosymfollow",  "private",  "ratime",     "rbind",       "rdev",      "rdiratime",   "relatime",       "remount",
    "rexec",        "rnoatime", "rnodev",     "rnodiratime", "rnoexec",   "rnorelatime", "rnostrictatime", "rnosuid",
    "rnosymfollow", "ro",       "rprivate",   "rrelatime",   "rro",       "rrw",         "rshared",        "rslave",
    "rstrictatime", "rsuid",    "rsymfollow", "runbindable", "rw",        "shared",      "silent",         "slave",
    "strictatime",  "suid",     "symfollow",  "sync",        "tmpcopyup", "unbindable",  "idmap",          "ridmap",
    NULL,
};

static const char *const namespaces[] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL};

static const char *const seccomp_actions[] = {
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_LOG",   "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL,
};

static const char *const seccomp_operators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                                "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL};

static const char *const seccomp_archs[] = {
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",     "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",     "SCMP_ARCH_X32",
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",  NULL,
};

/* TSYNC is taken and has nothing to do: husk's init has one thread. */
static const char *const seccomp_flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                            "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
                                            NULL};

int cli_features(struct cli_global *g, int argc, char **argv, struct husk_error **err)
{
        bool help = false;
        const struct cli_option options[] = {{"help", 'h', CLI_BOOL, &help, "show this help"}, {0}};
        int n = cli_parse("features", argc, argv, options, true, err);
        if (n < 0)
                return n;
        if (help) {
                cli_usage("features", "", "Print the features husk supports as runtime-spec features JSON.", options);
                return 0;
        }
        json_t *caps = json_array();
        for (int c = 0; c <= husk_capability_last_known(); c++)
                json_array_append_new(caps, json_string(husk_capability_name(c)));

        enum husk_cgroup_layout layout = 0;
        husk_cgroup_detect_layout(&layout, NULL);

        /* potentiallyUnsafeConfigAnnotations: the config annotations husk acts on that name host files. */
        json_t *doc = json_pack(
                "{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b,s:b},s:{s:b,s:o,s:o,s:o,s:o,s:o},"
                "s:{s:b},s:{s:b},s:{s:b,s:b},s:{s:{s:b}},s:{s:b}},s:{s:s,s:s},s:[s]}",
                "ociVersionMin", "1.0.0", "ociVersionMax", HUSK_SPEC_VERSION, "hooks", strings(hooks),
                "mountOptions", strings(mount_options), "linux", "namespaces", strings(namespaces), "capabilities",
                caps, "cgroup", "v1", 1, "v2", 1, "systemd", 1, "systemdUser", 1, "rdma", 1, "seccomp",
                "enabled", 1, "actions", strings(seccomp_actions), "operators", strings(seccomp_operators),
                "archs", strings(seccomp_archs), "knownFlags", strings(seccomp_flags), "supportedFlags",
                strings(seccomp_flags), "apparmor", "enabled", 1, "selinux", "enabled", 1, "intelRdt", "enabled",
                1, "schemata", 1, "mountExtensions", "idmap", "enabled", 1, "netDevices", "enabled", 1,
                "annotations", "io.github.husk.version", HUSK_VERSION, "io.github.husk.commit", HUSK_COMMIT,
                "potentiallyUnsafeConfigAnnotations", HUSK_CRIU_CONFIG_ANNOTATION);
        if (!doc)
                return husk_error_set(err, ENOMEM, "features");
        _cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        printf("%s\n", text);
        return 0;
}
