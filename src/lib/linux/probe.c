/* Host capability probes for `husk check`: each asks the kernel with the real syscall and reads the errno. */
#include "linux/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "linux/rootfs.h"
#include "util/cleanup.h"
#include "util/words.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define CGROUP_ROOT "/sys/fs/cgroup"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct builder {
        struct husk_probe_report *report;
        bool oom;
};

const char *husk_probe_status_name(enum husk_probe_status status)
{
        switch (status) {
        case HUSK_PROBE_OK:
                return "ok";
        case HUSK_PROBE_WARNING:
                return "warning";
        case HUSK_PROBE_MISSING:
                return "missing";
        }
        return "unknown";
}

/* Append one item; the strings are copied. A failed allocation is remembered and reported once at the end. */
static void add(struct builder *b, const char *name, bool required, enum husk_probe_status status, const char *value,
                const char *fix, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add(struct builder *b, const char *name, bool required, enum husk_probe_status status, const char *value,
                const char *fix, const char *fmt, ...)
{
        struct husk_probe_report *r = b->report;
        struct husk_probe_item *grown = realloc(r->items, (r->len + 1) * sizeof(*grown));
        if (!grown) {
                b->oom = true;
                return;
        }
        r->items = grown;
        struct husk_probe_item *it = &grown[r->len];
        *it = (struct husk_probe_item){.name = name, .required = required, .status = status};
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&it->detail, fmt, ap) < 0)
                it->detail = NULL;
        va_end(ap);
        it->value = value ? strdup(value) : NULL;
        it->fix = status != HUSK_PROBE_OK && fix ? strdup(fix) : NULL;
        if (!it->detail || (value && !it->value) || (status != HUSK_PROBE_OK && fix && !it->fix)) {
                free(it->detail);
                free(it->value);
                free(it->fix);
                b->oom = true;
                return;
        }
        r->len++;
}

/* Contents of a small file with trailing whitespace removed, or NULL (errno set). */
static char *read_small(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return NULL;
        char buf[8192];
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return NULL;
                if (n == 0 || (len += (size_t)n) == sizeof(buf) - 1)
                        break;
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        buf[len] = '\0';
        return strdup(buf);
}

/*
 * Run fn in a forked child (so namespaces or credentials it changes die with it) and return 0 when it
 * succeeded, else the errno it failed with.
 */
static int in_child(int (*fn)(void *), void *arg)
{
        pid_t pid = fork();
        if (pid < 0)
                return errno;
        if (pid == 0)
                _exit(fn(arg) == 0 ? 0 : (errno > 0 && errno < 255 ? errno : 255));
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return errno;
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return ECHILD;
}

/* Full path of an executable found in $PATH (or the default PATH), or NULL. */
static char *find_program(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : DEFAULT_PATH);
        if (!copy)
                return NULL;
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *full;
                if (asprintf(&full, "%s/%s", dir, name) < 0)
                        return NULL;
                if (access(full, X_OK) == 0)
                        return full;
                free(full);
        }
        return NULL;
}

/* ---- cgroups ---- */

/* Same rule as husk_cgroup_detect_layout; repeated because linux/ must not depend on cgroup/. */
enum layout { LAYOUT_NONE, LAYOUT_V1, LAYOUT_V2, LAYOUT_HYBRID };

static enum layout detect_layout(void)
{
        struct statfs fs;
        if (statfs(CGROUP_ROOT, &fs) < 0)
                return LAYOUT_NONE;
        if (fs.f_type == CGROUP2_SUPER_MAGIC)
                return LAYOUT_V2;
        if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return LAYOUT_HYBRID;
        if (fs.f_type == TMPFS_MAGIC && statfs(CGROUP_ROOT "/memory", &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC)
                return LAYOUT_V1;
        return LAYOUT_NONE;
}

/* The caller's path in the cgroup2 hierarchy ("0::/x" of /proc/self/cgroup), or NULL. */
static char *own_v2_cgroup(void)
{
        _cleanup_free_ char *text = read_small("/proc/self/cgroup");
        if (!text)
                return NULL;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "0::", 3) == 0)
                        return strdup(line + 3);
        return NULL;
}

/* v1 controllers that are enabled and mounted as a hierarchy at /sys/fs/cgroup/<name>, space-separated. */
static char *v1_controllers(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/cgroups", "re");
        if (!f)
                return strdup("");
        char *list = NULL;
        size_t list_len = 0;
        _cleanup_fclose_ FILE *out = open_memstream(&list, &list_len);
        if (!out)
                return NULL;
        char line[256];
        while (fgets(line, sizeof(line), f)) {
                char name[64];
                unsigned hierarchy, count, enabled;
                if (line[0] == '#' || sscanf(line, "%63s %u %u %u", name, &hierarchy, &count, &enabled) != 4)
                        continue;
                if (!enabled || hierarchy == 0)
                        continue;
                char dir[128];
                struct statfs fs;
                snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s", name);
                if (statfs(dir, &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC)
                        fprintf(out, "%s%s", ftell(out) > 0 ? " " : "", name);
        }
        if (fclose(TAKE_PTR(out)) != 0) {
                free(list);
                return NULL;
        }
        return list;
}

static void probe_cgroups(struct builder *b)
{
        enum layout layout = detect_layout();
        if (layout == LAYOUT_NONE) {
                add(b, "cgroup.layout", true, HUSK_PROBE_MISSING, NULL,
                    "mount cgroup2 on /sys/fs/cgroup (`mount -t cgroup2 none /sys/fs/cgroup`)",
                    "no cgroup2 or cgroup v1 hierarchies mounted at `" CGROUP_ROOT "`");
                return;
        }
        const char *unified = layout == LAYOUT_V2       ? CGROUP_ROOT
                              : layout == LAYOUT_HYBRID ? CGROUP_ROOT "/unified"
                                                             : NULL;
        switch (layout) {
        case LAYOUT_NONE:
                break;
        case LAYOUT_V2:
                add(b, "cgroup.layout", true, HUSK_PROBE_OK, "v2", NULL, "unified cgroup2 hierarchy at `%s`",
                    CGROUP_ROOT);
                break;
        case LAYOUT_HYBRID:
                add(b, "cgroup.layout", true, HUSK_PROBE_OK, "hybrid", NULL,
                    "cgroup v1 controllers under `%s`, cgroup2 at `%s`", CGROUP_ROOT, unified);
                break;
        case LAYOUT_V1:
                add(b, "cgroup.layout", true, HUSK_PROBE_WARNING, "v1",
                    "boot with `systemd.unified_cgroup_hierarchy=1` for cgroup v2 (rootless limits, eBPF devices)",
                    "legacy cgroup v1 only: resource limits for rootless containers are not possible");
                break;
        }

        /* Controllers: the v1 hierarchies, plus what the cgroup2 root offers. */
        _cleanup_free_ char *v1 = layout == LAYOUT_V2 ? strdup("") : v1_controllers();
        _cleanup_free_ char *v2 = NULL;
        if (unified) {
                char path[128];
                snprintf(path, sizeof(path), "%s/cgroup.controllers", unified);
                v2 = read_small(path);
        }
        _cleanup_free_ char *all = NULL;
        if (!v1 || asprintf(&all, "%s%s%s", v1, *v1 && v2 && *v2 ? " " : "", v2 ? v2 : "") < 0) {
                b->oom = true;
                return;
        }
        const char *wanted[] = {"cpu", "memory", "pids", layout == LAYOUT_V2 ? NULL : "devices"};
        char missing[128] = "";
        for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
                if (wanted[i] && !husk_word_listed(all, wanted[i]))
                        snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                                 missing[0] ? ", " : "", wanted[i]);
        if (missing[0])
                add(b, "cgroup.controllers", false, HUSK_PROBE_WARNING, all,
                    "enable the controllers on the kernel command line (e.g. `cgroup_enable=memory`) "
                    "or in the parent's cgroup.subtree_control",
                    "missing %s: limits on them are not applied", missing);
        else if (layout == LAYOUT_HYBRID)
                add(b, "cgroup.controllers", false, HUSK_PROBE_OK, all, NULL, "v1: %s; cgroup2: %s", v1,
                    v2 && *v2 ? v2 : "(none)");
        else
                add(b, "cgroup.controllers", false, HUSK_PROBE_OK, all, NULL, "%s", all);

        /* Delegation: can the caller create a cgroup where husk would put a container? */
        _cleanup_free_ char *own = unified ? own_v2_cgroup() : NULL;
        _cleanup_free_ char *dir = NULL;
        if (unified && own) {
                if (asprintf(&dir, "%s%s", unified, strcmp(own, "/") == 0 ? "" : own) < 0) {
                        b->oom = true;
                        return;
                }
        } else if (!(dir = strdup(CGROUP_ROOT "/memory"))) {
                b->oom = true;
                return;
        }
        bool writable = access(dir, W_OK) == 0;
        _cleanup_free_ char *subtree = NULL;
        if (unified && own) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/cgroup.subtree_control", dir) >= 0)
                        subtree = read_small(p);
        }
        const char *delegated = subtree && *subtree ? subtree : "(none)";
        if (writable)
                add(b, "cgroup.delegation", false, HUSK_PROBE_OK, dir, NULL,
                    "caller (uid %u) can create cgroups in `%s`; subtree_control: %s", (unsigned)geteuid(), dir,
                    unified ? delegated : "(v1)");
        else if (layout == LAYOUT_V1)
                add(b, "cgroup.delegation", false, HUSK_PROBE_WARNING, dir,
                    "use cgroup v2 with systemd delegation (`Delegate=yes`) for limits in rootless containers",
                    "caller (uid %u) cannot write `%s`: cgroup v1 is not delegated, rootless containers get no "
                    "resource limits", (unsigned)geteuid(), dir);
        else
                add(b, "cgroup.delegation", false, HUSK_PROBE_WARNING, dir,
                    "run under a delegated scope: `systemd-run --user --scope -p Delegate=yes husk ...`",
                    "caller (uid %u) cannot write `%s`: rootless containers get no resource limits",
                    (unsigned)geteuid(), dir);
}

/* ---- namespaces ---- */

static int unshare_flags(void *arg)
{
        return unshare((int)(long)arg);
}

/* As nobody, with no supplementary groups: can an unprivileged user create a user namespace? */
static int unshare_user_as_nobody(void *arg)
{
        (void)arg;
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                return -1;
        return unshare(CLONE_NEWUSER);
}

static void probe_namespaces(struct builder *b)
{
        static const struct {
                const char *name;
                int flag;
                bool required;
        } kinds[] = {
                {"mount", CLONE_NEWNS, true},   {"pid", CLONE_NEWPID, true},       {"uts", CLONE_NEWUTS, true},
                {"ipc", CLONE_NEWIPC, true},    {"network", CLONE_NEWNET, true},   {"cgroup", CLONE_NEWCGROUP, false},
                {"time", CLONE_NEWTIME, false},
        };
        /* Without root the other namespaces need a user namespace around them. */
        int extra = geteuid() == 0 ? 0 : CLONE_NEWUSER;
        char have[128] = "", required_missing[128] = "", optional_missing[128] = "";
        int first_errno = 0;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                int e = in_child(unshare_flags, (void *)(long)(kinds[i].flag | extra));
                char *list = e == 0 ? have : kinds[i].required ? required_missing : optional_missing;
                snprintf(list + strlen(list), 128 - strlen(list), "%s%s", list[0] ? " " : "", kinds[i].name);
                if (e && kinds[i].required && !first_errno)
                        first_errno = e;
        }
        if (required_missing[0])
                add(b, "namespaces", true, HUSK_PROBE_MISSING, have,
                    "enable CONFIG_NAMESPACES and the missing CONFIG_*_NS options, or run outside a sandbox "
                    "that denies unshare",
                    "cannot create %s namespaces: %s", required_missing, strerror(first_errno));
        else
                add(b, "namespaces", true, optional_missing[0] ? HUSK_PROBE_WARNING : HUSK_PROBE_OK, have,
                    "enable CONFIG_CGROUPS and CONFIG_TIME_NS in the kernel", "available: %s%s%s", have,
                    optional_missing[0] ? "; missing: " : "", optional_missing);

        bool time_ns = access("/proc/self/ns/time", F_OK) == 0;
        add(b, "time_namespace", false, time_ns ? HUSK_PROBE_OK : HUSK_PROBE_MISSING, NULL,
            "enable CONFIG_TIME_NS (Linux 5.6)", time_ns ? "`/proc/self/ns/time` present" : "no `/proc/self/ns/time`");
}

static void probe_userns(struct builder *b)
{
        _cleanup_free_ char *max = read_small("/proc/sys/user/max_user_namespaces");
        _cleanup_free_ char *clone_knob = read_small("/proc/sys/kernel/unprivileged_userns_clone");
        _cleanup_free_ char *aa_knob = read_small("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        if (!max) {
                add(b, "user_namespaces", false, HUSK_PROBE_MISSING, NULL, "enable CONFIG_USER_NS in the kernel",
                    "no `/proc/sys/user/max_user_namespaces`");
                return;
        }
        int e = in_child(unshare_flags, (void *)(long)CLONE_NEWUSER);
        if (e)
                add(b, "user_namespaces", false, HUSK_PROBE_MISSING, max,
                    strcmp(max, "0") == 0 ? "`sysctl -w user.max_user_namespaces=15000`"
                                          : "check seccomp/LSM policy denying unshare(CLONE_NEWUSER)",
                    "unshare(CLONE_NEWUSER) failed: %s (max_user_namespaces=%s)", strerror(e), max);
        else
                add(b, "user_namespaces", false, HUSK_PROBE_OK, max, NULL, "max_user_namespaces=%s", max);

        /* Rootless containers: can a user without privilege create one? Only root can test as someone else. */
        char knobs[160];
        snprintf(knobs, sizeof(knobs), "%s%s%s%s", clone_knob ? "; kernel.unprivileged_userns_clone=" : "",
                 clone_knob ? clone_knob : "", aa_knob ? "; kernel.apparmor_restrict_unprivileged_userns=" : "",
                 aa_knob ? aa_knob : "");
        int ue = geteuid() == 0 ? in_child(unshare_user_as_nobody, NULL) : e;
        const char *fix = clone_knob && strcmp(clone_knob, "0") == 0
                                  ? "`sysctl -w kernel.unprivileged_userns_clone=1`"
                          : aa_knob && strcmp(aa_knob, "1") == 0
                                  ? "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor "
                                    "profile allowing userns for husk"
                                  : "`sysctl -w user.max_user_namespaces=15000`";
        if (ue)
                add(b, "user_namespaces.unprivileged", false, HUSK_PROBE_MISSING, NULL, fix,
                    "unprivileged unshare(CLONE_NEWUSER) failed: %s%s", strerror(ue), knobs);
        else
                add(b, "user_namespaces.unprivileged", false, HUSK_PROBE_OK, NULL, NULL,
                    "unprivileged users can create user namespaces%s", knobs);
}

/* Sum of the ranges for the caller (by name or uid) in /etc/subuid or /etc/subgid; -1 when unreadable. */
static long long subid_count(const char *file, const char *user, unsigned id, unsigned *ret_ranges)
{
        _cleanup_fclose_ FILE *f = fopen(file, "re");
        *ret_ranges = 0;
        if (!f)
                return -1;
        char line[512], idtext[16];
        snprintf(idtext, sizeof(idtext), "%u", id);
        long long total = 0;
        while (fgets(line, sizeof(line), f)) {
                char *save = NULL, *name = strtok_r(line, ":\n", &save);
                char *start = strtok_r(NULL, ":\n", &save), *count = strtok_r(NULL, ":\n", &save);
                if (!name || !start || !count)
                        continue;
                if (strcmp(name, idtext) != 0 && (!user || strcmp(name, user) != 0))
                        continue;
                char *end;
                errno = 0;
                long long n = strtoll(count, &end, 10);
                if (errno || *end || n <= 0)
                        continue;
                total += n;
                (*ret_ranges)++;
        }
        return total;
}

static void probe_subids(struct builder *b)
{
        uid_t uid = getuid();
        struct passwd *pw = getpwuid(uid);
        const char *user = pw ? pw->pw_name : NULL;
        static const struct {
                const char *name, *file, *flag;
        } kinds[] = {{"subuid", "/etc/subuid", "--add-subuids"}, {"subgid", "/etc/subgid", "--add-subgids"}};
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                unsigned ranges;
                long long n = subid_count(kinds[i].file, user, uid, &ranges);
                char value[32], fix[160];
                snprintf(value, sizeof(value), "%lld", n < 0 ? 0 : n);
                snprintf(fix, sizeof(fix), "`usermod %s 100000-165535 %s` (needed for rootless containers)",
                         kinds[i].flag, user ? user : "USER");
                if (n < 0)
                        add(b, kinds[i].name, false, HUSK_PROBE_MISSING, value, fix, "cannot read `%s`: %s",
                            kinds[i].file, strerror(errno));
                else if (n == 0)
                        add(b, kinds[i].name, false, HUSK_PROBE_MISSING, value, fix, "no range for `%s` in `%s`",
                            user ? user : "?", kinds[i].file);
                else if (n < 65536)
                        add(b, kinds[i].name, false, HUSK_PROBE_WARNING, value, fix,
                            "%lld ids in %u range(s) for `%s`: fewer than the 65536 most images expect", n, ranges,
                            user ? user : "?");
                else
                        add(b, kinds[i].name, false, HUSK_PROBE_OK, value, NULL, "%lld ids in %u range(s) for `%s`",
                            n, ranges, user ? user : "?");
        }
}

static void probe_idmap_helpers(struct builder *b)
{
        static const char *const helpers[] = {"newuidmap", "newgidmap"};
        for (size_t i = 0; i < ARRAY_SIZE(helpers); i++) {
                _cleanup_free_ char *path = find_program(helpers[i]);
                struct stat st;
                if (!path || stat(path, &st) < 0) {
                        add(b, helpers[i], false, HUSK_PROBE_MISSING, NULL,
                            "install it: `apt-get install uidmap` or `dnf install shadow-utils`",
                            "`%s` not found in PATH: rootless containers can map only the caller's own id",
                            helpers[i]);
                        continue;
                }
                bool setuid_root = (st.st_mode & S_ISUID) && st.st_uid == 0;
                bool file_caps = getxattr(path, "security.capability", NULL, 0) > 0;
                if (setuid_root || file_caps)
                        add(b, helpers[i], false, HUSK_PROBE_OK, path, NULL, "`%s` (%s)", path,
                            setuid_root ? "setuid root" : "file capabilities");
                else
                        add(b, helpers[i], false, HUSK_PROBE_WARNING, path, "`chmod u+s` it (owner root)",
                            "`%s` is neither setuid root nor has file capabilities: it cannot map ranges", path);
        }
}

/* ---- syscalls ---- */

static void probe_seccomp(struct builder *b)
{
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
                add(b, "seccomp", true, HUSK_PROBE_MISSING, NULL, "enable CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER",
                    "prctl(PR_GET_SECCOMP): %s", strerror(errno));
                return;
        }
        uint32_t action = SECCOMP_RET_ERRNO;
        if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
                int e = errno;
                add(b, "seccomp", true, HUSK_PROBE_MISSING, NULL, "enable CONFIG_SECCOMP_FILTER (Linux 4.14+)",
                    "seccomp(SECCOMP_GET_ACTION_AVAIL): %s", strerror(e));
                return;
        }
        add(b, "seccomp", true, HUSK_PROBE_OK, NULL, NULL, "filter mode with SECCOMP_RET_ERRNO");

        struct seccomp_notif_sizes sizes;
        action = SECCOMP_RET_USER_NOTIF;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                add(b, "seccomp.notify", false, HUSK_PROBE_MISSING, NULL, "needs Linux 5.0+ with CONFIG_SECCOMP_FILTER",
                    "seccomp(SECCOMP_GET_NOTIF_SIZES): %s: SCMP_ACT_NOTIFY is unavailable", strerror(errno));
        else if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                add(b, "seccomp.notify", false, HUSK_PROBE_MISSING, NULL, "needs Linux 5.0+",
                    "SECCOMP_RET_USER_NOTIF not available: %s", strerror(errno));
        else
                add(b, "seccomp.notify", false, HUSK_PROBE_OK, NULL, NULL,
                    "SECCOMP_RET_USER_NOTIF available (notif %u, resp %u bytes)", sizes.seccomp_notif,
                    sizes.seccomp_notif_resp);
}

/* A syscall probed with arguments the kernel rejects after it exists: ENOSYS means absent. */
static void add_syscall(struct builder *b, const char *name, bool required, long r, int e, int expected,
                        const char *fix, const char *what)
{
        if (r >= 0 || e == expected)
                add(b, name, required, HUSK_PROBE_OK, NULL, NULL, "%s", what);
        else if (e == ENOSYS)
                add(b, name, required, HUSK_PROBE_MISSING, NULL, fix, "%s: not implemented by this kernel", name);
        else
                add(b, name, required, HUSK_PROBE_MISSING, NULL,
                    "a seccomp filter or LSM around husk denies it: run husk outside that sandbox",
                    "%s: unexpected %s (blocked?)", name, strerror(e));
}

static void probe_syscalls(struct builder *b)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS | RESOLVE_IN_ROOT};
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        long r = syscall(SYS_openat2, root, "proc", &how, sizeof(how));
        int e = errno;
        if (r >= 0)
                close((int)r);
        add_syscall(b, "openat2", true, r, e, 0, "needs Linux 5.6+",
                    "openat2 with RESOLVE_* (safe path resolution inside the rootfs)");

        /* A size below CLONE_ARGS_SIZE_VER0 is EINVAL before anything is cloned. */
        r = syscall(SYS_clone3, NULL, 0);
        e = errno;
        add_syscall(b, "clone3", true, r, e, EINVAL, "needs Linux 5.3+", "clone3 (CLONE_INTO_CGROUP on cgroup v2)");

        r = syscall(SYS_pidfd_open, getpid(), 0);
        e = errno;
        if (r >= 0)
                close((int)r);
        add_syscall(b, "pidfd_open", true, r, e, 0, "needs Linux 5.3+", "pidfd_open (race-free signals and exec)");

        /* fsopen needs CAP_SYS_ADMIN: EPERM without it still proves the syscall exists. */
        r = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
        e = errno;
        if (r >= 0)
                close((int)r);
        add_syscall(b, "fsopen", false, r, e, geteuid() == 0 ? 0 : EPERM, "needs Linux 5.2+ (husk falls back to mount(2))",
                    "new mount API (fsopen/fsconfig/fsmount/move_mount)");

        /* usize 0 is below MOUNT_ATTR_SIZE_VER0: EINVAL before the path is looked at. */
        r = syscall(SYS_mount_setattr, -1, "", 0, NULL, 0);
        e = errno;
        add_syscall(b, "mount_setattr", false, r, e, EINVAL, "needs Linux 5.12+ (idmapped mounts, recursive rro)",
                    "mount_setattr (idmapped mounts; support also depends on the filesystem)");

        /* A container joining another's pid namespace is set up outside it only with this (create.c). */
        _cleanup_close_ int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        bool pidns_option = pidns >= 0 && husk_mount_proc_pidns_supported(pidns);
        add(b, "procfs.pidns", false, pidns_option ? HUSK_PROBE_OK : HUSK_PROBE_WARNING, NULL,
            "a kernel whose procfs takes the pidns option (Linux 6.x)",
            pidns_option ? "procfs mounts for another pid namespace: a container joining one is set up outside it"
                         : "procfs takes no pidns option%s: a container joining a pid namespace is set up inside it, "
                           "where a member holding CAP_SYS_PTRACE could reach the host's root (as with runc)",
            geteuid() == 0 ? "" : " (or fsopen needs CAP_SYS_ADMIN)");
}

static void probe_lsm(struct builder *b)
{
        _cleanup_free_ char *aa = read_small("/sys/module/apparmor/parameters/enabled");
        bool apparmor = aa && aa[0] == 'Y';
        struct statfs fs;
        bool selinux = statfs("/sys/fs/selinux", &fs) == 0 && fs.f_type == SELINUX_MAGIC;
        _cleanup_free_ char *enforce = selinux ? read_small("/sys/fs/selinux/enforce") : NULL;
        if (apparmor && selinux)
                add(b, "lsm", false, HUSK_PROBE_OK, "apparmor selinux", NULL, "AppArmor and SELinux (%s)",
                    enforce && strcmp(enforce, "1") == 0 ? "enforcing" : "permissive");
        else if (apparmor)
                add(b, "lsm", false, HUSK_PROBE_OK, "apparmor", NULL, "AppArmor enabled");
        else if (selinux)
                add(b, "lsm", false, HUSK_PROBE_OK, "selinux", NULL, "SELinux (%s)",
                    enforce && strcmp(enforce, "1") == 0 ? "enforcing" : "permissive");
        else
                add(b, "lsm", false, HUSK_PROBE_WARNING, "", "boot with `apparmor=1 security=apparmor` or enable SELinux",
                    "neither AppArmor nor SELinux is enabled: process.apparmorProfile and selinuxLabel cannot apply");
}

/* `criu --version`, bounded to two seconds: "Version: 3.17" -> "3.17". */
static char *criu_version(const char *path)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return NULL;
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return NULL;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (dup2(fds[1], STDOUT_FILENO) < 0 || (null >= 0 && dup2(null, STDIN_FILENO) < 0))
                        _exit(127);
                dup2(fds[1], STDERR_FILENO);
                execl(path, "criu", "--version", (char *)NULL);
                _exit(127);
        }
        close(fds[1]);
        _cleanup_close_ int rfd = fds[0];
        char buf[512];
        size_t len = 0;
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long left = 2000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
                struct pollfd p = {.fd = rfd, .events = POLLIN};
                if (left <= 0 || poll(&p, 1, (int)left) <= 0)
                        break;
                ssize_t n = read(rfd, buf + len, sizeof(buf) - 1 - len);
                if (n <= 0 || (len += (size_t)n) == sizeof(buf) - 1)
                        break;
        }
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        buf[len] = '\0';
        char *v = strstr(buf, "Version:");
        if (!v)
                return NULL;
        v += strlen("Version:");
        v += strspn(v, " \t");
        return strndup(v, strcspn(v, " \t\n"));
}

static void probe_criu(struct builder *b)
{
        _cleanup_free_ char *path = find_program("criu");
        if (!path) {
                add(b, "criu", false, HUSK_PROBE_MISSING, NULL, "`apt-get install criu` (for checkpoint/restore)",
                    "`criu` not found in PATH");
                return;
        }
        _cleanup_free_ char *version = criu_version(path);
        if (!version)
                add(b, "criu", false, HUSK_PROBE_WARNING, NULL, "reinstall criu", "`%s --version` gave no version",
                    path);
        else
                add(b, "criu", false, HUSK_PROBE_OK, version, NULL, "`%s` version %s", path, version);
}

int husk_probe_host(struct husk_probe_report *ret, struct husk_error **err)
{
        struct husk_probe_report report = {0};
        struct builder b = {.report = &report};
        probe_cgroups(&b);
        probe_namespaces(&b);
        probe_userns(&b);
        probe_subids(&b);
        probe_idmap_helpers(&b);
        probe_seccomp(&b);
        probe_syscalls(&b);
        probe_lsm(&b);
        probe_criu(&b);
        if (b.oom) {
                husk_probe_report_done(&report);
                return husk_error_set(err, ENOMEM, "probe the host");
        }
        *ret = report;
        return 0;
}

bool husk_probe_report_ok(const struct husk_probe_report *report)
{
        for (size_t i = 0; i < report->len; i++)
                if (report->items[i].required && report->items[i].status == HUSK_PROBE_MISSING)
                        return false;
        return true;
}

void husk_probe_report_done(struct husk_probe_report *report)
{
        for (size_t i = 0; i < report->len; i++) {
                free(report->items[i].value);
                free(report->items[i].detail);
                free(report->items[i].fix);
        }
        free(report->items);
        *report = (struct husk_probe_report){0};
}
