/* Helpers for rootfs tests: a temporary bundle with a busybox rootfs, a child in its own mount namespace. */
#include "rootfs-fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int check_failures;

static void die(const char *what, const char *path)
{
        fprintf(stderr, "fixture: %s `%s`: %s\n", what, path, strerror(errno));
        _exit(99);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
        int in = open(from, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -1;
        int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        struct stat st;
        int r = -1;
        if (out >= 0 && fstat(in, &st) == 0) {
                off_t off = 0;
                r = 0;
                while (off < st.st_size)
                        if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0) {
                                r = -1;
                                break;
                        }
        }
        close(in);
        if (out >= 0)
                close(out);
        return r;
}

bool fixture_create(struct rootfs_fixture *f)
{
        memset(f, 0, sizeof(*f));
        snprintf(f->bundle, sizeof(f->bundle), "/tmp/husk-bundle-XXXXXX");
        snprintf(f->host, sizeof(f->host), "/tmp/husk-hostdir-XXXXXX");
        if (!mkdtemp(f->bundle) || !mkdtemp(f->host)) {
                perror("fixture: mkdtemp");
                return false;
        }
        snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs", f->bundle);
        char bin[PATH_MAX + 8], busybox[PATH_MAX + 16];
        snprintf(bin, sizeof(bin), "%s/bin", f->rootfs);
        snprintf(busybox, sizeof(busybox), "%s/busybox", bin);
        if (mkdir(f->rootfs, 0755) < 0 || mkdir(bin, 0755) < 0 || copy_file("/bin/busybox", busybox, 0755) < 0) {
                perror("fixture: make rootfs");
                return false;
        }
        return true;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

void fixture_destroy(struct rootfs_fixture *f)
{
        /* FTW_MOUNT: should a mount have leaked, never descend into it (it could be the host's). */
        if (f->bundle[0])
                nftw(f->bundle, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        if (f->host[0])
                nftw(f->host, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void join(char *buf, size_t size, const char *base, const char *rel)
{
        snprintf(buf, size, "%s/%s", base, rel);
}

void fixture_write(const char *base, const char *rel, const char *content)
{
        char p[PATH_MAX];
        join(p, sizeof(p), base, rel);
        FILE *out = fopen(p, "we");
        if (!out)
                die("write", p);
        fputs(content, out);
        fclose(out);
}

void fixture_mkdir(const char *base, const char *rel)
{
        char p[PATH_MAX];
        join(p, sizeof(p), base, rel);
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                die("mkdir", p);
}

void fixture_symlink(const char *base, const char *rel, const char *target)
{
        char p[PATH_MAX];
        join(p, sizeof(p), base, rel);
        if (symlink(target, p) < 0)
                die("symlink", p);
}

bool fixture_exists(const char *base, const char *rel)
{
        char p[PATH_MAX];
        struct stat st;
        join(p, sizeof(p), base, rel);
        return lstat(p, &st) == 0;
}

int fixture_count_entries(const char *dir)
{
        return fixture_count_entries_fd(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

int fixture_count_entries_fd(int fd)
{
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        int n = 0;
        for (struct dirent *e; (e = readdir(d));)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

int fixture_run_in_child(int (*fn)(void *arg), void *arg)
{
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                        perror("fixture: new mount namespace");
                        _exit(98);
                }
                check_failures = 0;
                int r = fn(arg);
                fflush(NULL);
                _exit(r ? r : (check_failures ? 1 : 0));
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void unescape(char *s)
{
        char *out = s;
        for (char *in = s; *in; in++) {
                if (in[0] == '\\' && in[1] && in[2] && in[3]) {
                        *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
                        in += 3;
                } else {
                        *out++ = *in;
                }
        }
        *out = '\0';
}

bool mountinfo_find(const char *mountpoint, struct mountinfo_entry *ret)
{
        FILE *in = fopen("/proc/self/mountinfo", "re");
        if (!in)
                return false;
        bool found = false;
        char line[4096];
        while (fgets(line, sizeof(line), in)) {
                struct mountinfo_entry e = {0};
                char *save = NULL;
                char *tok[6];
                int i = 0;
                for (char *t = line; i < 6 && (t = strtok_r(i ? NULL : line, " \n", &save));)
                        tok[i++] = t;
                if (i < 6)
                        continue;
                snprintf(e.mountpoint, sizeof(e.mountpoint), "%s", tok[4]);
                unescape(e.mountpoint);
                snprintf(e.opts, sizeof(e.opts), "%s", tok[5]);
                for (char *t; (t = strtok_r(NULL, " \n", &save)) && strcmp(t, "-") != 0;) {
                        strncat(e.optional, t, sizeof(e.optional) - strlen(e.optional) - 2);
                        strcat(e.optional, " ");
                }
                char *fstype = strtok_r(NULL, " \n", &save);
                strtok_r(NULL, " \n", &save); /* source */
                char *super = strtok_r(NULL, " \n", &save);
                snprintf(e.fstype, sizeof(e.fstype), "%s", fstype ? fstype : "");
                snprintf(e.super_opts, sizeof(e.super_opts), "%s", super ? super : "");
                if (strcmp(e.mountpoint, mountpoint) == 0) {
                        *ret = e;
                        found = true;
                }
        }
        fclose(in);
        return found;
}

bool opts_have(const char *opts, const char *opt)
{
        size_t n = strlen(opt);
        for (const char *p = opts; p && *p;) {
                size_t len = strcspn(p, ",");
                if (len == n && strncmp(p, opt, n) == 0)
                        return true;
                p += len;
                if (*p)
                        p++;
        }
        return false;
}
