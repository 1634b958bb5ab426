/* insncount: counts the user-space instructions a command and its descendants execute, by ptrace single-stepping. */
/*
 * usage: insncount [-x FILE]... [-o REPORT] [-p PROFILE [-d]] [-v] -- COMMAND [ARGS...]
 *
 * Every thread of COMMAND and of the processes it forks or clones is single-stepped; each step is one
 * user-space instruction retired (a `rep` string instruction counts once per iteration, as valgrind's Ir does).
 * A process that executes one of the -x FILEs (compared by device and inode, so a path inside a container's
 * rootfs works) is detached from that exec on and not counted: that is how the container's own program is
 * left out. The instructions of the tracer's child before COMMAND's exec are not counted either.
 *
 * This host's VM has no hardware performance counters (perf stat -e instructions:u is "not supported") and
 * valgrind 3.19 lacks openat2, the mount API and clone3, so neither can count a runtime's instructions here;
 * single-stepping can, for any runtime alike, at the price of tens of microseconds per instruction.
 *
 * Output on stdout, or in REPORT with -o (COMMAND keeps stdout): one line per process image
 * (`image PID COUNT EXE`: a process that execs has one line per program it ran), then `cpuid COUNT` (how
 * many of the counted instructions were CPUID: in a VM each one exits to the hypervisor, some 5-7 us on
 * this host, so a handful of them outweigh thousands of ordinary instructions) and `total COUNT`.
 * With -p, PROFILE gets one line per instruction address ever executed, `COUNT PATH OFFSET`, OFFSET
 * being the decimal offset in the mapped file (PATH `[anon]`, `[vdso]`... when no file backs it);
 * bench/profile.sh turns that into a per-function profile. With -d each line has a fourth column, 0 for an
 * address COMMAND's own process executed and 1 for one its descendants did (an address both ran has two
 * lines): scripts/hot-text.py lays out husk's code by it. -v prints each exec to stderr.
 * Exit status: COMMAND's (128+N if killed by signal N), 125 on a tracer error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_EXCLUDES 16

struct mapping {
        unsigned long start, end, offset;
        int path_id;
};

struct tracee {
        pid_t pid;
        bool used;
        bool counting;      /* single-stepped and counted (false until the first exec of the root process) */
        bool awaiting_stop; /* auto-attached child whose initial SIGSTOP is still to come */
        uint64_t count;
        char exe[PATH_MAX];
        struct mapping *maps;
        size_t n_maps;
};

static struct tracee *tracees;
static size_t n_tracees;
static struct stat excludes[MAX_EXCLUDES];
static size_t n_excludes;
static bool verbose;
static bool split_descendants; /* -d */
static pid_t root_pid;
static FILE *report;
static uint64_t cpuid_total;

/* The profile: instruction address (as path id + file offset) -> count, open addressing. */
struct sample {
        uint64_t key; /* path_id << 40 | offset (| 1 << 63 for a descendant's, with -d), 0 = empty */
        uint64_t count;
};
static struct sample *samples;
static size_t samples_cap, samples_used;
static char **paths;
static size_t n_paths;

static void die(const char *what)
{
        fprintf(stderr, "insncount: %s: %s\n", what, strerror(errno));
        exit(125);
}

static void *xrealloc(void *p, size_t size)
{
        p = realloc(p, size);
        if (!p)
                die("realloc");
        return p;
}

static struct tracee *find(pid_t pid, bool create)
{
        struct tracee *free_slot = NULL;
        for (size_t i = 0; i < n_tracees; i++) {
                if (tracees[i].used && tracees[i].pid == pid)
                        return &tracees[i];
                if (!tracees[i].used && !free_slot)
                        free_slot = &tracees[i];
        }
        if (!create)
                return NULL;
        if (!free_slot) {
                tracees = xrealloc(tracees, (n_tracees + 1) * sizeof(*tracees));
                free_slot = &tracees[n_tracees++];
        }
        memset(free_slot, 0, sizeof(*free_slot));
        free_slot->pid = pid;
        free_slot->used = true;
        return free_slot;
}

static void read_exe(struct tracee *t)
{
        char link[64];
        snprintf(link, sizeof(link), "/proc/%d/exe", t->pid);
        ssize_t n = readlink(link, t->exe, sizeof(t->exe) - 1);
        t->exe[n > 0 ? n : 0] = '\0';
        if (n <= 0)
                snprintf(t->exe, sizeof(t->exe), "?");
}

static bool is_excluded(pid_t pid)
{
        char link[64];
        struct stat st;
        snprintf(link, sizeof(link), "/proc/%d/exe", pid);
        if (stat(link, &st) < 0)
                return false;
        for (size_t i = 0; i < n_excludes; i++) {
                if (excludes[i].st_dev == st.st_dev && excludes[i].st_ino == st.st_ino)
                        return true;
        }
        return false;
}

static void report_image(const struct tracee *t)
{
        if (t->counting)
                fprintf(report, "image %d %llu %s\n", t->pid, (unsigned long long)t->count, t->exe);
}

static int path_id(const char *path)
{
        for (size_t i = 0; i < n_paths; i++) {
                if (strcmp(paths[i], path) == 0)
                        return (int)i;
        }
        paths = xrealloc(paths, (n_paths + 1) * sizeof(*paths));
        paths[n_paths] = strdup(path);
        if (!paths[n_paths])
                die("strdup");
        return (int)n_paths++;
}

static void load_maps(struct tracee *t)
{
        char name[64], line[PATH_MAX + 128];
        snprintf(name, sizeof(name), "/proc/%d/maps", t->pid);
        FILE *f = fopen(name, "re");
        t->n_maps = 0;
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                unsigned long start, end, offset;
                char perms[8];
                int consumed = 0;
                if (sscanf(line, "%lx-%lx %7s %lx %*s %*s%n", &start, &end, perms, &offset, &consumed) < 4)
                        continue;
                if (perms[2] != 'x')
                        continue;
                char *p = line + consumed;
                while (*p == ' ')
                        p++;
                p[strcspn(p, "\n")] = '\0';
                t->maps = xrealloc(t->maps, (t->n_maps + 1) * sizeof(*t->maps));
                t->maps[t->n_maps++] = (struct mapping){start, end, offset, path_id(*p ? p : "[anon]")};
        }
        fclose(f);
}

static const struct mapping *lookup(struct tracee *t, unsigned long ip)
{
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < t->n_maps; i++) {
                        if (ip >= t->maps[i].start && ip < t->maps[i].end)
                                return &t->maps[i];
                }
                load_maps(t); /* new mappings since the last look (ld.so loading libraries, an exec) */
        }
        return NULL;
}

static void sample_add(uint64_t key)
{
        if (samples_used * 2 >= samples_cap) {
                size_t old_cap = samples_cap;
                struct sample *old = samples;
                samples_cap = old_cap ? old_cap * 2 : 1 << 16;
                samples = calloc(samples_cap, sizeof(*samples));
                if (!samples)
                        die("calloc");
                samples_used = 0;
                for (size_t i = 0; i < old_cap; i++) {
                        if (!old[i].key)
                                continue;
                        size_t h = (old[i].key * 0x9E3779B97F4A7C15ULL) & (samples_cap - 1);
                        while (samples[h].key)
                                h = (h + 1) & (samples_cap - 1);
                        samples[h] = old[i];
                        samples_used++;
                }
                free(old);
        }
        size_t h = (key * 0x9E3779B97F4A7C15ULL) & (samples_cap - 1);
        while (samples[h].key && samples[h].key != key)
                h = (h + 1) & (samples_cap - 1);
        if (!samples[h].key) {
                samples[h].key = key;
                samples_used++;
        }
        samples[h].count++;
}

/*
 * One counted step. The stop comes after an instruction retired and before the next one: the next is the
 * one looked at, CPUID (0f a2) counted as it is about to run (a tracee stopped in front of one always runs it).
 */
static void count_step(struct tracee *t, bool profile_it)
{
        unsigned long ip;
        struct user_regs_struct regs;
        if (profile_it) {
                if (ptrace(PTRACE_GETREGS, t->pid, NULL, &regs) < 0)
                        return;
                ip = regs.rip;
        } else {
                errno = 0;
                ip = (unsigned long)ptrace(PTRACE_PEEKUSER, t->pid, (void *)offsetof(struct user_regs_struct, rip),
                                           NULL);
                if (errno != 0)
                        return;
        }
        errno = 0;
        long word = ptrace(PTRACE_PEEKTEXT, t->pid, (void *)ip, NULL);
        if (errno == 0 && (word & 0xffff) == 0xa20f)
                cpuid_total++;
        if (!profile_it)
                return;
        const struct mapping *m = lookup(t, ip);
        uint64_t key = m ? ((uint64_t)(m->path_id + 1) << 40) | (ip - m->start + m->offset)
                         : ((uint64_t)(path_id("[unmapped]") + 1) << 40) | 1;
        if (split_descendants && t->pid != root_pid)
                key |= 1ULL << 63;
        sample_add(key);
}

static void resume(struct tracee *t, int sig)
{
        enum __ptrace_request how = t->counting ? PTRACE_SINGLESTEP : PTRACE_CONT;
        if (ptrace(how, t->pid, NULL, (void *)(long)sig) < 0 && errno != ESRCH)
                die("ptrace resume");
}

static void forget(struct tracee *t)
{
        report_image(t);
        free(t->maps);
        t->maps = NULL;
        t->used = false;
}

int main(int argc, char **argv)
{
        const char *profile = NULL;
        int opt;
        report = stdout;
        while ((opt = getopt(argc, argv, "+x:o:p:dv")) != -1) {
                switch (opt) {
                case 'x':
                        if (n_excludes == MAX_EXCLUDES || stat(optarg, &excludes[n_excludes]) < 0) {
                                fprintf(stderr, "insncount: cannot exclude `%s`\n", optarg);
                                return 125;
                        }
                        n_excludes++;
                        break;
                case 'o':
                        report = fopen(optarg, "we");
                        if (!report)
                                die("open the report");
                        break;
                case 'p':
                        profile = optarg;
                        break;
                case 'd':
                        split_descendants = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                default:
                        fprintf(stderr,
                                "usage: insncount [-x FILE]... [-o REPORT] [-p PROFILE [-d]] [-v] -- COMMAND [ARGS...]\n");
                        return 125;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "usage: insncount [-x FILE]... [-o REPORT] [-p PROFILE [-d]] [-v] -- COMMAND [ARGS...]\n");
                return 125;
        }

        pid_t root = fork();
        if (root < 0)
                die("fork");
        if (root == 0) {
                if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
                        die("ptrace traceme");
                raise(SIGSTOP);
                execvp(argv[optind], argv + optind);
                fprintf(stderr, "insncount: exec `%s`: %s\n", argv[optind], strerror(errno));
                _exit(127);
        }
        root_pid = root;
        int status;
        if (waitpid(root, &status, 0) < 0 || !WIFSTOPPED(status))
                die("wait for the child to stop");
        long options =
            PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
        if (ptrace(PTRACE_SETOPTIONS, root, NULL, (void *)options) < 0)
                die("ptrace setoptions");
        struct tracee *first = find(root, true);
        bool root_exec_seen = false;
        resume(first, 0);

        uint64_t total = 0;
        int exit_status = 125;
        size_t live = 1;
        while (live > 0) {
                pid_t pid = waitpid(-1, &status, __WALL);
                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ECHILD)
                                break;
                        die("waitpid");
                }
                struct tracee *t = find(pid, false);
                if (WIFEXITED(status) || WIFSIGNALED(status)) {
                        if (pid == root)
                                exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                        if (t) {
                                total += t->counting ? t->count : 0;
                                forget(t);
                                live--;
                        }
                        continue;
                }
                if (!WIFSTOPPED(status))
                        continue;
                if (!t) {
                        /* A new child's first stop can come before its parent's clone event. */
                        t = find(pid, true);
                        t->awaiting_stop = true;
                        t->counting = true;
                        read_exe(t);
                        live++;
                }
                int sig = WSTOPSIG(status);
                int event = status >> 16;
                if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
                        unsigned long child;
                        if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &child) == 0 && !find((pid_t)child, false)) {
                                struct tracee *c = find((pid_t)child, true);
                                t = find(pid, false); /* find() may have moved the table */
                                c->awaiting_stop = true;
                                c->counting = t->counting;
                                memcpy(c->exe, t->exe, sizeof(c->exe));
                                live++;
                        }
                        resume(t, 0);
                        continue;
                }
                if (event == PTRACE_EVENT_EXEC) {
                        unsigned long former;
                        /* A multithreaded exec: the execing thread took over the leader's pid. */
                        if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &former) == 0 && (pid_t)former != pid) {
                                struct tracee *old = find((pid_t)former, false);
                                if (old) {
                                        total += old->counting ? old->count : 0;
                                        forget(old);
                                        live--;
                                        t = find(pid, false);
                                }
                        }
                        if (pid == root && !root_exec_seen) {
                                root_exec_seen = true;
                                t->counting = true;
                        } else {
                                total += t->counting ? t->count : 0;
                                report_image(t);
                        }
                        t->count = 0;
                        t->n_maps = 0;
                        read_exe(t);
                        if (verbose)
                                fprintf(stderr, "insncount: %d exec %s\n", pid, t->exe);
                        if (is_excluded(pid)) {
                                if (verbose)
                                        fprintf(stderr, "insncount: %d excluded, detached\n", pid);
                                t->counting = false;
                                if (ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0 && errno != ESRCH)
                                        die("ptrace detach");
                                forget(t);
                                live--;
                                continue;
                        }
                        resume(t, 0);
                        continue;
                }
                if (event != 0) { /* PTRACE_EVENT_STOP and others we did not ask for */
                        resume(t, 0);
                        continue;
                }
                if (sig == SIGTRAP) {
                        if (t->counting) {
                                t->count++;
                                count_step(t, profile != NULL);
                        }
                        resume(t, 0);
                        continue;
                }
                if (sig == SIGSTOP && t->awaiting_stop) {
                        t->awaiting_stop = false;
                        resume(t, 0);
                        continue;
                }
                siginfo_t si;
                if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0) {
                        resume(t, 0); /* a group-stop, not a signal to deliver */
                        continue;
                }
                resume(t, sig);
        }
        fprintf(report, "cpuid %llu\n", (unsigned long long)cpuid_total);
        fprintf(report, "total %llu\n", (unsigned long long)total);
        if (fflush(report) != 0)
                die("write the report");

        if (profile) {
                FILE *f = fopen(profile, "we");
                if (!f)
                        die("open the profile");
                for (size_t i = 0; i < samples_cap; i++) {
                        if (!samples[i].key)
                                continue;
                        uint64_t key = samples[i].key & ~(1ULL << 63);
                        int id = (int)(key >> 40) - 1;
                        fprintf(f, "%llu\t%s\t%llu", (unsigned long long)samples[i].count, paths[id],
                                (unsigned long long)(key & ((1ULL << 40) - 1)));
                        if (split_descendants)
                                fprintf(f, "\t%d", (int)(samples[i].key >> 63));
                        fputc('\n', f);
                }
                if (fclose(f) != 0)
                        die("write the profile");
        }
        return exit_status;
}
