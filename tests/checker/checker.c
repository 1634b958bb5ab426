/* checker: a static program run inside test containers that prints what the container sees as key=value lines. */
/*
 * Each subcommand is small and prints one `key=value` per line so that the bats tests can read a value with
 * `grep '^key='` or `awk -F= '$1 == "key" { print $2 }'`. Exit status: 0 when the observation was made (a failed
 * write is an observation: `write=EROFS`), 1 when the thing asked about could not be read, 2 for usage errors.
 * No dependencies beyond static glibc, so it runs in a rootfs that holds nothing but busybox.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define EXIT_UNREADABLE 1
#define EXIT_USAGE 2

static const char *program = "checker";

static void fail(const char *what)
{
        fprintf(stderr, "%s: %s: %s\n", program, what, strerror(errno));
}

/* The errno name (EPERM) rather than its text, so tests match a stable token. */
static const char *errno_name(int errnum)
{
        const char *name = strerrorname_np(errnum);
        return name ? name : "EUNKNOWN";
}

/* Read a small file whole; NUL-terminated, trailing newlines kept. NULL and errno set on failure. */
static char *read_file(const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        size_t size = 0, cap = 4096;
        char *buf = malloc(cap);
        if (!buf) {
                close(fd);
                return NULL;
        }
        for (;;) {
                if (size + 1 >= cap) {
                        char *bigger = realloc(buf, cap * 2);
                        if (!bigger) {
                                free(buf);
                                close(fd);
                                return NULL;
                        }
                        buf = bigger;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + size, cap - size - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int saved = errno;
                        free(buf);
                        close(fd);
                        errno = saved;
                        return NULL;
                }
                if (n == 0)
                        break;
                size += (size_t)n;
        }
        close(fd);
        buf[size] = '\0';
        return buf;
}

static void strip_newlines(char *s)
{
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == '\n')
                s[--len] = '\0';
}

/* The value of "Key:\tvalue" in /proc/self/status, or NULL when the kernel has no such field. */
static char *status_field(const char *key)
{
        static char *status;
        if (!status) {
                status = read_file("/proc/self/status");
                if (!status)
                        return NULL;
        }
        size_t keylen = strlen(key);
        for (const char *line = status; *line;) {
                if (strncmp(line, key, keylen) == 0 && line[keylen] == ':') {
                        const char *value = line + keylen + 1;
                        while (*value == ' ' || *value == '\t')
                                value++;
                        return strndup(value, strcspn(value, "\n"));
                }
                const char *next = strchr(line, '\n');
                if (!next)
                        break;
                line = next + 1;
        }
        return NULL;
}

static int print_status_field(const char *key)
{
        char *value = status_field(key);
        if (!value) {
                fprintf(stderr, "%s: /proc/self/status has no field %s\n", program, key);
                return EXIT_UNREADABLE;
        }
        printf("%s=%s\n", key, value);
        free(value);
        return 0;
}

/* Capability names indexed by number, as in linux/capability.h, lowercase like capsh prints them. */
static const char *const cap_names[] = {
        "cap_chown",           "cap_dac_override",   "cap_dac_read_search", "cap_fowner",
        "cap_fsetid",          "cap_kill",           "cap_setgid",          "cap_setuid",
        "cap_setpcap",         "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast",
        "cap_net_admin",       "cap_net_raw",        "cap_ipc_lock",        "cap_ipc_owner",
        "cap_sys_module",      "cap_sys_rawio",      "cap_sys_chroot",      "cap_sys_ptrace",
        "cap_sys_pacct",       "cap_sys_admin",      "cap_sys_boot",        "cap_sys_nice",
        "cap_sys_resource",    "cap_sys_time",       "cap_sys_tty_config",  "cap_mknod",
        "cap_lease",           "cap_audit_write",    "cap_audit_control",   "cap_setfcap",
        "cap_mac_override",    "cap_mac_admin",      "cap_syslog",          "cap_wake_alarm",
        "cap_block_suspend",   "cap_audit_read",     "cap_perfmon",         "cap_bpf",
        "cap_checkpoint_restore",
};

/* CapEff=<hex as the kernel prints it> and CapEff_names=<comma list, unknown bits as cap_N>. */
static int cmd_caps(int argc, char **argv)
{
        static const char *const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
                char *hex = status_field(sets[i]);
                if (!hex) {
                        fprintf(stderr, "%s: /proc/self/status has no field %s\n", program, sets[i]);
                        return EXIT_UNREADABLE;
                }
                unsigned long long mask = strtoull(hex, NULL, 16);
                printf("%s=%s\n%s_names=", sets[i], hex, sets[i]);
                bool first = true;
                for (unsigned bit = 0; bit < 64; bit++) {
                        if (!(mask & (1ULL << bit)))
                                continue;
                        if (bit < sizeof(cap_names) / sizeof(cap_names[0]))
                                printf("%s%s", first ? "" : ",", cap_names[bit]);
                        else
                                printf("%scap_%u", first ? "" : ",", bit);
                        first = false;
                }
                printf("\n");
                free(hex);
        }
        return 0;
}

static int cmd_ids(int argc, char **argv)
{
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;
        if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0) {
                fail("getresuid");
                return EXIT_UNREADABLE;
        }
        printf("uid=%u\neuid=%u\nsuid=%u\ngid=%u\negid=%u\nsgid=%u\n", ruid, euid, suid, rgid, egid, sgid);

        int n = getgroups(0, NULL);
        gid_t *groups = n > 0 ? calloc((size_t)n, sizeof(gid_t)) : NULL;
        if (n < 0 || (n > 0 && (!groups || getgroups(n, groups) < 0))) {
                fail("getgroups");
                return EXIT_UNREADABLE;
        }
        printf("groups=");
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", groups[i]);
        printf("\n");
        free(groups);

        mode_t mask = umask(0);
        umask(mask);
        printf("umask=%04o\n", (unsigned)mask);
        return 0;
}

static const struct {
        const char *name;
        int resource;
} rlimits[] = {
        {"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},         {"DATA", RLIMIT_DATA},
        {"STACK", RLIMIT_STACK},     {"CORE", RLIMIT_CORE},           {"RSS", RLIMIT_RSS},
        {"NPROC", RLIMIT_NPROC},     {"NOFILE", RLIMIT_NOFILE},       {"MEMLOCK", RLIMIT_MEMLOCK},
        {"AS", RLIMIT_AS},           {"LOCKS", RLIMIT_LOCKS},         {"SIGPENDING", RLIMIT_SIGPENDING},
        {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},         {"RTPRIO", RLIMIT_RTPRIO},
        {"RTTIME", RLIMIT_RTTIME},
};

static void print_limit(const char *key, rlim_t value)
{
        if (value == RLIM_INFINITY)
                printf("%s=unlimited\n", key);
        else
                printf("%s=%llu\n", key, (unsigned long long)value);
}

/* rlimit NOFILE (or RLIMIT_NOFILE): soft=N hard=N, "unlimited" for RLIM_INFINITY. */
static int cmd_rlimit(int argc, char **argv)
{
        const char *name = argv[1];
        if (strncmp(name, "RLIMIT_", 7) == 0)
                name += 7;
        for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
                if (strcasecmp(rlimits[i].name, name) != 0)
                        continue;
                struct rlimit limit;
                if (getrlimit(rlimits[i].resource, &limit) < 0) {
                        fail("getrlimit");
                        return EXIT_UNREADABLE;
                }
                print_limit("soft", limit.rlim_cur);
                print_limit("hard", limit.rlim_max);
                return 0;
        }
        fprintf(stderr, "%s: unknown rlimit %s\n", program, argv[1]);
        return EXIT_USAGE;
}

/* seccomp=<0 disabled|1 strict|2 filter>, seccomp_filters=<count>, no_new_privs=<0|1>. */
static int cmd_seccomp(int argc, char **argv)
{
        char *mode = status_field("Seccomp");
        if (!mode) {
                fprintf(stderr, "%s: kernel reports no Seccomp field\n", program);
                return EXIT_UNREADABLE;
        }
        printf("seccomp=%s\n", mode);
        free(mode);
        char *filters = status_field("Seccomp_filters");
        if (filters) {
                printf("seccomp_filters=%s\n", filters);
                free(filters);
        }
        int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        if (nnp < 0) {
                fail("prctl(PR_GET_NO_NEW_PRIVS)");
                return EXIT_UNREADABLE;
        }
        printf("no_new_privs=%d\n", nnp);
        return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo; undo it in place. */
static void unescape_octal(char *s)
{
        char *out = s;
        for (char *in = s; *in; in++) {
                if (in[0] == '\\' && in[1] >= '0' && in[1] <= '7' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
                    in[3] <= '7') {
                        *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
                        in += 3;
                } else {
                        *out++ = *in;
                }
        }
        *out = '\0';
}

/*
 * mountinfo PATH: the topmost mount whose mount point is PATH (later lines stack on earlier ones).
 * mount_options are per mount (ro, nosuid...), super_options per filesystem (size=, mode=...),
 * options is both joined; propagation is the optional fields or "private" when there are none.
 */
static int cmd_mountinfo(int argc, char **argv)
{
        char *info = read_file("/proc/self/mountinfo");
        if (!info) {
                fail("/proc/self/mountinfo");
                return EXIT_UNREADABLE;
        }
        char *found = NULL;
        char *saveptr = NULL;
        for (char *line = strtok_r(info, "\n", &saveptr); line; line = strtok_r(NULL, "\n", &saveptr)) {
                char copy[PATH_MAX * 2];
                snprintf(copy, sizeof(copy), "%s", line);
                /* fields: id parent major:minor root mount_point ... */
                char *fields[5] = {0};
                char *p = copy;
                for (int i = 0; i < 5 && p; i++) {
                        fields[i] = strsep(&p, " ");
                }
                if (!fields[4])
                        continue;
                unescape_octal(fields[4]);
                if (strcmp(fields[4], argv[1]) == 0)
                        found = line;
        }
        if (!found) {
                fprintf(stderr, "%s: %s is not a mount point\n", program, argv[1]);
                free(info);
                return EXIT_UNREADABLE;
        }

        char *p = found;
        char *id = strsep(&p, " ");
        char *parent = strsep(&p, " ");
        char *devno = strsep(&p, " ");
        char *root = strsep(&p, " ");
        char *mount_point = strsep(&p, " ");
        char *mount_options = strsep(&p, " ");
        char propagation[256] = "";
        char *field;
        while ((field = strsep(&p, " ")) && strcmp(field, "-") != 0) {
                if (propagation[0])
                        strncat(propagation, " ", sizeof(propagation) - strlen(propagation) - 1);
                strncat(propagation, field, sizeof(propagation) - strlen(propagation) - 1);
        }
        char *fstype = strsep(&p, " ");
        char *source = strsep(&p, " ");
        char *super_options = strsep(&p, " ");
        if (!mount_options || !fstype || !source || !super_options) {
                fprintf(stderr, "%s: cannot parse mountinfo line: %s\n", program, found);
                free(info);
                return EXIT_UNREADABLE;
        }
        unescape_octal(root);
        unescape_octal(mount_point);
        unescape_octal(source);
        printf("mount_id=%s\nparent_id=%s\ndevice=%s\nroot=%s\nmount_point=%s\n", id, parent, devno, root,
               mount_point);
        printf("fstype=%s\nsource=%s\n", fstype, source);
        printf("mount_options=%s\nsuper_options=%s\noptions=%s,%s\n", mount_options, super_options, mount_options,
               super_options);
        printf("propagation=%s\n", propagation[0] ? propagation : "private");
        free(info);
        return 0;
}

/* fds=0,1,2 (every fd open in this process but the one used to list them), then fd.N=<link target>. */
static int cmd_fds(int argc, char **argv)
{
        DIR *dir = opendir("/proc/self/fd");
        if (!dir) {
                fail("/proc/self/fd");
                return EXIT_UNREADABLE;
        }
        int own = dirfd(dir);
        int fds[1024];
        size_t count = 0;
        struct dirent *entry;
        while ((entry = readdir(dir)) && count < sizeof(fds) / sizeof(fds[0])) {
                if (!isdigit((unsigned char)entry->d_name[0]))
                        continue;
                int fd = atoi(entry->d_name);
                if (fd != own)
                        fds[count++] = fd;
        }
        /* readdir of /proc/self/fd is in fd order already; keep it simple and trust that. */
        printf("fds=");
        for (size_t i = 0; i < count; i++)
                printf("%s%d", i ? "," : "", fds[i]);
        printf("\n");
        for (size_t i = 0; i < count; i++) {
                char link[64], target[PATH_MAX];
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                printf("fd.%d=%s\n", fds[i], target);
        }
        closedir(dir);
        return 0;
}

static int cmd_cwd(int argc, char **argv)
{
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd))) {
                fail("getcwd");
                return EXIT_UNREADABLE;
        }
        printf("cwd=%s\n", cwd);
        return 0;
}

static const char *file_type(mode_t mode)
{
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "file";
        case S_IFDIR:
                return "dir";
        case S_IFLNK:
                return "symlink";
        case S_IFCHR:
                return "char";
        case S_IFBLK:
                return "block";
        case S_IFIFO:
                return "fifo";
        case S_IFSOCK:
                return "socket";
        default:
                return "unknown";
        }
}

/* stat [-L] PATH: type mode(octal, with suid/sgid/sticky) uid gid major minor (of st_rdev) size [target]. */
static int cmd_stat(int argc, char **argv)
{
        bool follow = argc == 3 && strcmp(argv[1], "-L") == 0;
        const char *path = argv[argc - 1];
        if (argc == 3 && !follow)
                return EXIT_USAGE;
        struct stat st;
        if ((follow ? stat(path, &st) : lstat(path, &st)) < 0) {
                printf("error=%s\n", errno_name(errno));
                return EXIT_UNREADABLE;
        }
        printf("type=%s\nmode=%04o\nuid=%u\ngid=%u\nmajor=%u\nminor=%u\nsize=%lld\n", file_type(st.st_mode),
               (unsigned)(st.st_mode & 07777), st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev),
               (long long)st.st_size);
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                if (n >= 0) {
                        target[n] = '\0';
                        printf("target=%s\n", target);
                }
        }
        return 0;
}

/* notify MESSAGE: send MESSAGE (\n for newlines) to $NOTIFY_SOCKET as sd_notify does; notify=ok or notify=<ERRNO>. */
static int cmd_notify(int argc, char **argv)
{
        (void)argc;
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (!path || strlen(path) >= sizeof(addr.sun_path)) {
                printf("notify=no-socket\n");
                return 0;
        }
        strcpy(addr.sun_path, path);
        char msg[1024];
        size_t n = 0;
        for (const char *p = argv[1]; *p && n < sizeof(msg) - 1; p++) {
                if (p[0] == '\\' && p[1] == 'n') {
                        msg[n++] = '\n';
                        p++;
                } else {
                        msg[n++] = *p;
                }
        }
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&addr, sizeof(addr)) != (ssize_t)n) {
                printf("notify=%s\n", errno_name(errno));
                return 0;
        }
        close(fd);
        printf("notify=ok\n");
        return 0;
}

/* write PATH: create or truncate PATH and write a byte; write=ok or write=<ERRNO>. */
static int cmd_write(int argc, char **argv)
{
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                printf("write=%s\n", errno_name(errno));
                return 0;
        }
        if (write(fd, "x\n", 2) != 2 || close(fd) < 0) {
                printf("write=%s\n", errno_name(errno));
                return 0;
        }
        printf("write=ok\n");
        return 0;
}

/* One line per controller: cgroup.memory=/path, cgroup.unified=/path for "0::", cgroup.name:systemd=/path. */
static int cmd_cgroup(int argc, char **argv)
{
        char *data = read_file("/proc/self/cgroup");
        if (!data) {
                fail("/proc/self/cgroup");
                return EXIT_UNREADABLE;
        }
        char *saveptr = NULL;
        for (char *line = strtok_r(data, "\n", &saveptr); line; line = strtok_r(NULL, "\n", &saveptr)) {
                char *p = line;
                strsep(&p, ":"); /* hierarchy id */
                char *controllers = strsep(&p, ":");
                if (!controllers || !p)
                        continue;
                if (!*controllers) {
                        printf("cgroup.unified=%s\n", p);
                        continue;
                }
                char *ctrl;
                while ((ctrl = strsep(&controllers, ","))) {
                        for (char *c = ctrl; *c; c++)
                                if (*c == '=')
                                        *c = ':';
                        printf("cgroup.%s=%s\n", ctrl, p);
                }
        }
        free(data);
        return 0;
}

/* sysctl net.ipv4.ip_forward: NAME=value (dots or slashes accepted). */
static int cmd_sysctl(int argc, char **argv)
{
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "/proc/sys/%s", argv[1]);
        if (n < 0 || (size_t)n >= sizeof(path))
                return EXIT_USAGE;
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
                if (*c == '.')
                        *c = '/';
        char *value = read_file(path);
        if (!value) {
                printf("error=%s\n", errno_name(errno));
                return EXIT_UNREADABLE;
        }
        strip_newlines(value);
        printf("%s=%s\n", argv[1], value);
        free(value);
        return 0;
}

static int cmd_hostname(int argc, char **argv)
{
        struct utsname name;
        if (uname(&name) < 0) {
                fail("uname");
                return EXIT_UNREADABLE;
        }
        printf("hostname=%s\ndomainname=%s\n", name.nodename, name.domainname);
        return 0;
}

extern char **environ;

/* env: the whole environment; env NAME: NAME=value, exit 1 when unset. */
static int cmd_env(int argc, char **argv)
{
        if (argc == 1) {
                for (char **e = environ; *e; e++)
                        printf("%s\n", *e);
                return 0;
        }
        const char *value = getenv(argv[1]);
        if (!value) {
                fprintf(stderr, "%s: %s is not set\n", program, argv[1]);
                return EXIT_UNREADABLE;
        }
        printf("%s=%s\n", argv[1], value);
        return 0;
}

static int cmd_oom_score_adj(int argc, char **argv)
{
        char *value = read_file("/proc/self/oom_score_adj");
        if (!value) {
                fail("/proc/self/oom_score_adj");
                return EXIT_UNREADABLE;
        }
        strip_newlines(value);
        printf("oom_score_adj=%s\n", value);
        free(value);
        return 0;
}

/* personality=0x<hex> and domain=LINUX|LINUX32 (the runtime-spec names), flags left in the hex. */
static int cmd_personality(int argc, char **argv)
{
        int persona = personality(0xffffffff);
        if (persona < 0) {
                fail("personality");
                return EXIT_UNREADABLE;
        }
        const char *domain;
        switch (persona & PER_MASK) {
        case PER_LINUX:
                domain = "LINUX";
                break;
        case PER_LINUX32:
                domain = "LINUX32";
                break;
        default:
                domain = "other";
                break;
        }
        printf("personality=0x%x\ndomain=%s\n", (unsigned)persona, domain);
        return 0;
}

static const char *policy_name(int policy)
{
        switch (policy) {
        case SCHED_OTHER:
                return "SCHED_OTHER";
        case SCHED_FIFO:
                return "SCHED_FIFO";
        case SCHED_RR:
                return "SCHED_RR";
        case SCHED_BATCH:
                return "SCHED_BATCH";
        case SCHED_IDLE:
                return "SCHED_IDLE";
#ifdef SCHED_DEADLINE
        case SCHED_DEADLINE:
                return "SCHED_DEADLINE";
#endif
        default:
                return "unknown";
        }
}

/* policy=SCHED_OTHER priority=N reset_on_fork=0|1 nice=N cpus=0,1 (the affinity mask). */
static int cmd_sched(int argc, char **argv)
{
        int policy = sched_getscheduler(0);
        struct sched_param param;
        if (policy < 0 || sched_getparam(0, &param) < 0) {
                fail("sched_getscheduler");
                return EXIT_UNREADABLE;
        }
        errno = 0;
        int nice = getpriority(PRIO_PROCESS, 0);
        if (nice == -1 && errno != 0) {
                fail("getpriority");
                return EXIT_UNREADABLE;
        }
        printf("policy=%s\npriority=%d\nreset_on_fork=%d\nnice=%d\n", policy_name(policy & ~SCHED_RESET_ON_FORK),
               param.sched_priority, (policy & SCHED_RESET_ON_FORK) ? 1 : 0, nice);
        cpu_set_t cpus;
        if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
                printf("cpus=");
                bool first = true;
                for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
                        if (!CPU_ISSET(cpu, &cpus))
                                continue;
                        printf("%s%d", first ? "" : ",", cpu);
                        first = false;
                }
                printf("\n");
        }
        return 0;
}

/* ioprio: class=IOPRIO_CLASS_{NONE,RT,BE,IDLE} priority=N (the runtime-spec names). */
static int cmd_ioprio(int argc, char **argv)
{
        enum { IOPRIO_WHO_PROCESS = 1, IOPRIO_CLASS_SHIFT = 13 };
        static const char *const classes[] = {"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                              "IOPRIO_CLASS_IDLE"};
        long prio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
        if (prio < 0) {
                fail("ioprio_get");
                return EXIT_UNREADABLE;
        }
        long class = prio >> IOPRIO_CLASS_SHIFT;
        printf("class=%s\npriority=%ld\n", class >= 0 && class < 4 ? classes[class] : "unknown",
               prio & ((1L << IOPRIO_CLASS_SHIFT) - 1));
        return 0;
}

static bool parse_uint(const char *s, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long value = strtoul(s, &end, 10);
        if (errno || end == s || *end || value > UINT_MAX)
                return false;
        *ret = (unsigned)value;
        return true;
}

/* mknod PATH [c|b MAJOR MINOR]: mknod=ok or mknod=<ERRNO>; default is /dev/null's c 1 3. */
static int cmd_mknod(int argc, char **argv)
{
        mode_t type = S_IFCHR;
        unsigned maj = 1, min = 3;
        if (argc == 5) {
                if (strcmp(argv[2], "b") == 0)
                        type = S_IFBLK;
                else if (strcmp(argv[2], "c") != 0)
                        return EXIT_USAGE;
                if (!parse_uint(argv[3], &maj) || !parse_uint(argv[4], &min))
                        return EXIT_USAGE;
        } else if (argc != 2) {
                return EXIT_USAGE;
        }
        if (mknod(argv[1], type | 0600, makedev(maj, min)) < 0) {
                printf("mknod=%s\n", errno_name(errno));
                return 0;
        }
        printf("mknod=ok\n");
        return 0;
}

/* ns.<type>=<type>:[inode] for each entry of /proc/self/ns, to compare with the host's links. */
static int cmd_ns(int argc, char **argv)
{
        DIR *dir = opendir("/proc/self/ns");
        if (!dir) {
                fail("/proc/self/ns");
                return EXIT_UNREADABLE;
        }
        struct dirent *entry;
        while ((entry = readdir(dir))) {
                if (entry->d_name[0] == '.')
                        continue;
                char link[PATH_MAX], target[PATH_MAX];
                snprintf(link, sizeof(link), "/proc/self/ns/%s", entry->d_name);
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                printf("ns.%s=%s\n", entry->d_name, target);
        }
        closedir(dir);
        return 0;
}

static int cmd_pid(int argc, char **argv)
{
        printf("pid=%d\nppid=%d\npgid=%d\nsid=%d\n", getpid(), getppid(), getpgid(0), getsid(0));
        return 0;
}

/* monotonic=, boottime=, realtime= in seconds with nanoseconds, for time namespace offsets. */
static int cmd_clock(int argc, char **argv)
{
        static const struct {
                const char *name;
                clockid_t id;
        } clocks[] = {{"monotonic", CLOCK_MONOTONIC}, {"boottime", CLOCK_BOOTTIME}, {"realtime", CLOCK_REALTIME}};
        for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
                struct timespec ts;
                if (clock_gettime(clocks[i].id, &ts) < 0) {
                        fail("clock_gettime");
                        return EXIT_UNREADABLE;
                }
                printf("%s=%lld.%09ld\n", clocks[i].name, (long long)ts.tv_sec, ts.tv_nsec);
        }
        return 0;
}

/* stdin.tty=0|1 stdin.ttyname=... and the same for stdout and stderr; ctty=1 when /dev/tty opens. */
static int cmd_tty(int argc, char **argv)
{
        static const char *const names[] = {"stdin", "stdout", "stderr"};
        for (int fd = 0; fd < 3; fd++) {
                char *name = isatty(fd) ? ttyname(fd) : NULL;
                printf("%s.tty=%d\n", names[fd], isatty(fd));
                if (name)
                        printf("%s.ttyname=%s\n", names[fd], name);
        }
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        printf("ctty=%d\n", fd >= 0);
        if (fd >= 0)
                close(fd);
        return 0;
}

/* lsm.current=<label of this process> (AppArmor profile or SELinux context), "none" without an LSM. */
static int cmd_lsm(int argc, char **argv)
{
        char *label = read_file("/proc/self/attr/apparmor/current");
        if (!label)
                label = read_file("/proc/self/attr/current");
        if (!label) {
                printf("lsm.current=none\n");
                return 0;
        }
        strip_newlines(label);
        printf("lsm.current=%s\n", label);
        free(label);
        return 0;
}

/* SigBlk/SigIgn/SigCgt/SigPnd of this process: a runtime must hand over a clean signal state. */
static int cmd_signals(int argc, char **argv)
{
        static const char *const keys[] = {"SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (print_status_field(keys[i]) != 0)
                        return EXIT_UNREADABLE;
        return 0;
}

/*
 * Map N private anonymous 2MB huge pages: mmap=ok or mmap=ERRNO (the kernel reserves the pages here, and a
 * reservation limit fails it). Then touch each (touched=ok; a fault limit kills with SIGBUS instead), or with
 * `hold` keep the reservation untouched and wait.
 */
static int cmd_hugetlb(int argc, char **argv)
{
        long pages = strtol(argv[1], NULL, 10);
        size_t len = (size_t)pages * 2 * 1024 * 1024;
        char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        if (p == MAP_FAILED) {
                printf("mmap=%s\n", errno_name(errno));
                return 0;
        }
        printf("mmap=ok\n");
        fflush(stdout);
        if (argc > 2 && strcmp(argv[2], "hold") == 0) {
                for (;;)
                        pause();
        }
        for (size_t off = 0; off < len; off += 2 * 1024 * 1024)
                p[off] = 1;
        printf("touched=ok\n");
        return 0;
}

static int cmd_status(int argc, char **argv)
{
        return print_status_field(argv[1]);
}

/*
 * File capabilities on PATH: CAP in the file's inheritable set, with the effective bit (setcap
 * CAP+ei), nothing permitted. Such a file gains CAP at execve only from a process whose own
 * inheritable set holds it (CVE-2022-29162). Run on the host, by root, on a copy in a rootfs.
 */
static int cmd_fcaps_inheritable(int argc, char **argv)
{
        (void)argc;
        char *end;
        errno = 0;
        unsigned long cap = strtoul(argv[2], &end, 10);
        if (errno || *end || cap >= 64)
                return EXIT_USAGE;
        struct vfs_cap_data data = {.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE};
        data.data[cap / 32].inheritable = 1U << (cap % 32);
        if (setxattr(argv[1], "security.capability", &data, XATTR_CAPS_SZ_2, 0) < 0) {
                printf("fcaps=%s\n", strerror(errno));
                return 1;
        }
        printf("fcaps=ok\n");
        return 0;
}

/* Whether this kernel mounts procfs for a given pid namespace (fsconfig "pidns", Linux 6.x). */
static int cmd_proc_pidns(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
        int ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        bool ok = fs >= 0 && ns >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "pidns", NULL, ns) == 0;
        if (fs >= 0)
                close(fs);
        if (ns >= 0)
                close(ns);
        printf("proc_pidns=%s\n", ok ? "yes" : "no");
        return 0;
}

/* The session keyring this process holds: its serial, name ("_ses" when anonymous) and permissions. */
static int cmd_keyring(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        /* KEYCTL_GET_KEYRING_ID 0, KEY_SPEC_SESSION_KEYRING -3, create 0; KEYCTL_DESCRIBE 6 */
        long id = syscall(SYS_keyctl, 0, -3, 0, 0, 0);
        if (id < 0) {
                printf("keyring=%s\n", strerror(errno));
                return 0;
        }
        char text[512];
        long n = syscall(SYS_keyctl, 6, id, text, sizeof(text) - 1, 0);
        if (n < 0) {
                printf("keyring.id=%ld\nkeyring.describe=%s\n", id, strerror(errno));
                return 0;
        }
        text[(size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1] = '\0';
        /* type;uid;gid;perm;name */
        char *f[5] = {text};
        for (int i = 1; i < 5 && f[i - 1]; i++) {
                f[i] = strchr(f[i - 1], ';');
                if (f[i])
                        *f[i]++ = '\0';
        }
        printf("keyring.id=%ld\nkeyring.perm=%s\nkeyring.name=%s\n", id, f[3] ? f[3] : "", f[4] ? f[4] : "");
        return 0;
}

/* Join (making it if need be) the session keyring NAME, let its user and others search it, print its id
 * and wait to be killed: a keyring someone made before the container, under the container's name. */
static int cmd_keyring_hold(int argc, char **argv)
{
        (void)argc;
        /* KEYCTL_JOIN_SESSION_KEYRING 1, KEYCTL_SETPERM 5: possessor all, user and other view+search */
        long id = syscall(SYS_keyctl, 1, argv[1], 0, 0, 0);
        if (id < 0 || syscall(SYS_keyctl, 5, id, 0x3f090009, 0, 0) < 0) {
                printf("keyring=%s\n", strerror(errno));
                return 1;
        }
        printf("keyring.id=%ld\n", id);
        fflush(stdout);
        for (;;)
                pause();
}

struct command {
        const char *name;
        int min_args, max_args; /* arguments after the subcommand name */
        int (*run)(int argc, char **argv);
        const char *usage;
};

static const struct command commands[] = {
        {"caps", 0, 0, cmd_caps, "caps                  CapInh/CapPrm/CapEff/CapBnd/CapAmb (+ _names)"},
        {"ids", 0, 0, cmd_ids, "ids                   uid euid suid gid egid sgid groups umask"},
        {"rlimit", 1, 1, cmd_rlimit, "rlimit NAME           soft hard (NOFILE or RLIMIT_NOFILE)"},
        {"seccomp", 0, 0, cmd_seccomp, "seccomp               seccomp mode, seccomp_filters, no_new_privs"},
        {"mountinfo", 1, 1, cmd_mountinfo, "mountinfo PATH        options of the topmost mount on PATH"},
        {"fds", 0, 0, cmd_fds, "fds                   open file descriptors"},
        {"cwd", 0, 0, cmd_cwd, "cwd                   working directory"},
        {"stat", 1, 2, cmd_stat, "stat [-L] PATH        type mode uid gid major minor size [target]"},
        {"write", 1, 1, cmd_write, "write PATH            write=ok or write=ERRNO"},
        {"notify", 1, 1, cmd_notify, "notify MESSAGE        send MESSAGE (\\n: newline) to $NOTIFY_SOCKET"},
        {"cgroup", 0, 0, cmd_cgroup, "cgroup                cgroup.<controller>=path"},
        {"sysctl", 1, 1, cmd_sysctl, "sysctl NAME           NAME=value"},
        {"hostname", 0, 0, cmd_hostname, "hostname              hostname domainname"},
        {"env", 0, 1, cmd_env, "env [NAME]            NAME=value, or the whole environment"},
        {"oom_score_adj", 0, 0, cmd_oom_score_adj, "oom_score_adj         oom_score_adj"},
        {"personality", 0, 0, cmd_personality, "personality           personality domain"},
        {"sched", 0, 0, cmd_sched, "sched                 policy priority reset_on_fork nice cpus"},
        {"ioprio", 0, 0, cmd_ioprio, "ioprio                class priority"},
        {"mknod", 1, 4, cmd_mknod, "mknod PATH [c|b MAJ MIN] mknod=ok or mknod=ERRNO"},
        {"ns", 0, 0, cmd_ns, "ns                    ns.<type>=<type>:[inode]"},
        {"pid", 0, 0, cmd_pid, "pid                   pid ppid pgid sid"},
        {"clock", 0, 0, cmd_clock, "clock                 monotonic boottime realtime (seconds)"},
        {"tty", 0, 0, cmd_tty, "tty                   whether stdio are terminals, ctty"},
        {"lsm", 0, 0, cmd_lsm, "lsm                   lsm.current=<label>"},
        {"signals", 0, 0, cmd_signals, "signals               SigPnd ShdPnd SigBlk SigIgn SigCgt"},
        {"keyring-hold", 1, 1, cmd_keyring_hold, "keyring-hold NAME     join session keyring NAME, open it, wait"},
        {"keyring", 0, 0, cmd_keyring, "keyring               keyring.id, .perm, .name of the session keyring"},
        {"status", 1, 1, cmd_status, "status FIELD          FIELD=value from /proc/self/status"},
        {"fcaps-inheritable", 2, 2, cmd_fcaps_inheritable, "fcaps-inheritable PATH CAP  file caps CAP+ei on PATH"},
        {"hugetlb", 1, 2, cmd_hugetlb, "hugetlb N [hold]      map N 2MB huge pages: mmap=ok|ERRNO, touched=ok"},
        {"proc-pidns", 0, 0, cmd_proc_pidns, "proc-pidns            proc_pidns=yes when procfs takes a pidns option"},
};

static void usage(FILE *out)
{
        fprintf(out, "usage: %s SUBCOMMAND [ARGS]\n", program);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                fprintf(out, "  %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
                usage(stdout);
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                const struct command *cmd = &commands[i];
                if (strcmp(cmd->name, argv[1]) != 0)
                        continue;
                int nargs = argc - 2;
                if (nargs < cmd->min_args || nargs > cmd->max_args) {
                        fprintf(stderr, "usage: %s %s\n", program, cmd->usage);
                        return EXIT_USAGE;
                }
                int ret = cmd->run(argc - 1, argv + 1);
                if (ret == EXIT_USAGE)
                        fprintf(stderr, "usage: %s %s\n", program, cmd->usage);
                if (fflush(stdout) != 0)
                        return EXIT_UNREADABLE;
                return ret;
        }
        fprintf(stderr, "%s: unknown subcommand %s\n", program, argv[1]);
        usage(stderr);
        return EXIT_USAGE;
}
