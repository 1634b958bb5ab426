/* User namespace id maps: written by the parent for the init process, directly or through newuidmap. */
#include "linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/syscalls.h"
#include "util/log.h"

extern char **environ;

/* One kind of id: what differs between the uid and the gid side. */
struct id_kind {
        const char *field;  /* linux.uidMappings */
        const char *file;   /* uid_map */
        const char *helper; /* newuidmap */
        const char *subids; /* /etc/subuid */
        unsigned int own;   /* the caller's effective id */
};

static struct id_kind uid_kind(void)
{
        return (struct id_kind){"linux.uidMappings", "uid_map", "newuidmap", "/etc/subuid", geteuid()};
}

static struct id_kind gid_kind(void)
{
        return (struct id_kind){"linux.gidMappings", "gid_map", "newgidmap", "/etc/subgid", getegid()};
}

static bool only_own_id(const struct husk_id_mappings *maps, unsigned int own)
{
        return maps->len == 1 && maps->items[0].size == 1 && maps->items[0].host_id == own;
}

/* The helper's absolute path: PATH first, then where Debian's uidmap package puts it. */
static char *find_helper(const char *name)
{
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        char *save = NULL, *full = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save)) {
                if (*dir != '/' || asprintf(&full, "%s/%s", dir, name) < 0) {
                        full = NULL;
                        continue;
                }
                if (access(full, X_OK) == 0)
                        return full;
                free(full);
                full = NULL;
        }
        const char *fallback[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin"};
        for (size_t i = 0; i < ARRAY_SIZE(fallback); i++) {
                if (asprintf(&full, "%s/%s", fallback[i], name) < 0)
                        return NULL;
                if (access(full, X_OK) == 0)
                        return full;
                free(full);
        }
        return NULL;
}

struct subid_range {
        unsigned long start, count;
};

/*
 * The caller's ranges in /etc/subuid or /etc/subgid ("name:start:count" or "uid:start:count"
 * lines). Returns how many were stored in ranges (at most max), or -errno when the file cannot be
 * read.
 */
static int read_subids(const char *file, const char *name, unsigned int id, struct subid_range *ranges, size_t max)
{
        _cleanup_fclose_ FILE *f = fopen(file, "re");
        if (!f)
                return -errno;
        char idstr[16];
        snprintf(idstr, sizeof(idstr), "%u", id);
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        size_t n = 0;
        while (n < max && getline(&line, &cap, f) > 0) {
                char *save = NULL;
                char *who = strtok_r(line, ":\n", &save);
                char *start = strtok_r(NULL, ":\n", &save);
                char *count = strtok_r(NULL, ":\n", &save);
                if (!who || !start || !count || (strcmp(who, idstr) != 0 && (!name || strcmp(who, name) != 0)))
                        continue;
                char *end1, *end2;
                errno = 0;
                unsigned long s = strtoul(start, &end1, 10), c = strtoul(count, &end2, 10);
                if (errno || *end1 || *end2)
                        continue;
                ranges[n++] = (struct subid_range){s, c};
        }
        return (int)n;
}

static bool range_covered(const struct husk_id_mapping *m, unsigned int own, const struct subid_range *ranges,
                          size_t n)
{
        /* newuidmap lets a caller map its own id without a subordinate range. */
        if (m->size == 1 && m->host_id == own)
                return true;
        for (size_t i = 0; i < n; i++)
                if (m->host_id >= ranges[i].start &&
                    (unsigned long)m->host_id + m->size <= ranges[i].start + ranges[i].count)
                        return true;
        return false;
}

/* The checks newuidmap/newgidmap will make, done first so the error says what to add where. */
static int check_helper_ranges(const struct id_kind *k, const struct husk_id_mappings *maps, struct husk_error **err)
{
        _cleanup_free_ char *helper = find_helper(k->helper);
        if (!helper)
                return husk_error_set(err, 0,
                                      "%s: mapping more than your own id as an unprivileged user needs `%s`, which "
                                      "is not installed: install it (Debian/Ubuntu: `apt-get install uidmap`, Fedora: "
                                      "`dnf install shadow-utils`) or map only your own id (`husk spec --rootless`)",
                                      k->field, k->helper);
        struct passwd *pw = getpwuid(geteuid());
        const char *name = pw ? pw->pw_name : NULL;
        char who[64];
        if (name)
                snprintf(who, sizeof(who), "%s", name);
        else
                snprintf(who, sizeof(who), "%u", geteuid());
        struct subid_range ranges[64];
        int n = read_subids(k->subids, name, geteuid(), ranges, ARRAY_SIZE(ranges));
        if (n < 0 && n != -ENOENT)
                return husk_error_set(err, -n, "%s: read `%s`", k->field, k->subids);
        if (n <= 0)
                return husk_error_set(err, 0, "%s: no entry for user `%s` in %s: add one, e.g. `%s:100000:65536`",
                                      k->field, who, k->subids, who);
        for (size_t i = 0; i < maps->len; i++) {
                const struct husk_id_mapping *m = &maps->items[i];
                if (!range_covered(m, k->own, ranges, (size_t)n))
                        return husk_error_set(err, 0,
                                              "%s[%zu]: host ids %u-%lu are not delegated to user `%s` in %s "
                                              "(first entry: `%s:%lu:%lu`): map ids inside the delegated ranges "
                                              "or add a range to %s",
                                              k->field, i, m->host_id, (unsigned long)m->host_id + m->size - 1, who,
                                              k->subids, who, ranges[0].start, ranges[0].count, k->subids);
        }
        return 0;
}

#define MAX_MAP_RANGES 340          /* UID_GID_MAP_MAX_EXTENTS */
#define LAST_VALID_ID 4294967294ULL /* (uid_t)-1 is no id */

static bool overlap(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size)
{
        return (uint64_t)a < (uint64_t)b + b_size && (uint64_t)b < (uint64_t)a + a_size;
}

int husk_userns_check_mappings(const struct husk_id_mappings *maps, const char *what, struct husk_error **err)
{
        if (maps->len == 0)
                return husk_error_set(err, 0, "%s: no ranges", what);
        if (maps->len > MAX_MAP_RANGES)
                return husk_error_set(err, 0, "%s: %zu ranges, the kernel takes at most %d", what, maps->len,
                                      MAX_MAP_RANGES);
        for (size_t i = 0; i < maps->len; i++) {
                const struct husk_id_mapping *m = &maps->items[i];
                if (m->size == 0)
                        return husk_error_set(err, 0, "%s[%zu]: size must be at least 1", what, i);
                uint64_t container_last = (uint64_t)m->container_id + m->size - 1;
                uint64_t host_last = (uint64_t)m->host_id + m->size - 1;
                if (container_last > LAST_VALID_ID || host_last > LAST_VALID_ID)
                        return husk_error_set(err, 0, "%s[%zu]: the range ends past the last valid id %llu", what, i,
                                              LAST_VALID_ID);
                for (size_t j = 0; j < i; j++) {
                        const struct husk_id_mapping *o = &maps->items[j];
                        if (overlap(m->container_id, m->size, o->container_id, o->size))
                                return husk_error_set(err, 0,
                                                      "%s[%zu]: container ids %u-%llu overlap those of entry %zu", what,
                                                      i, m->container_id, (unsigned long long)container_last, j);
                        if (overlap(m->host_id, m->size, o->host_id, o->size))
                                return husk_error_set(err, 0, "%s[%zu]: host ids %u-%llu overlap those of entry %zu",
                                                      what, i, m->host_id, (unsigned long long)host_last, j);
                }
        }
        return 0;
}

/* Whether every id of process.user is mapped: one that is not would only fail at setresuid, as EINVAL. */
static int check_user_mapped(const struct husk_spec *spec, struct husk_error **err)
{
        const struct husk_linux *lx = &spec->linux_;
        const struct husk_user *user = &spec->process.user;
        if (husk_userns_host_id(&lx->uid_mappings, user->uid) < 0)
                return husk_error_set(err, 0, "config.json: process.user.uid: %u is not mapped by linux.uidMappings",
                                      (unsigned)user->uid);
        if (husk_userns_host_id(&lx->gid_mappings, user->gid) < 0)
                return husk_error_set(err, 0, "config.json: process.user.gid: %u is not mapped by linux.gidMappings",
                                      (unsigned)user->gid);
        for (size_t i = 0; i < user->additional_gids_len; i++)
                if (husk_userns_host_id(&lx->gid_mappings, user->additional_gids[i]) < 0)
                        return husk_error_set(err, 0,
                                              "config.json: process.user.additionalGids[%zu]: %u is not mapped by "
                                              "linux.gidMappings",
                                              i, (unsigned)user->additional_gids[i]);
        return 0;
}

/* A uid= or gid= option of a filesystem the init mounts (devpts' gid=5, a tmpfs's uid=) names an id of the
 * container's user namespace: one the maps do not cover fails the mount with a bare EINVAL. */
static int check_mount_ids_mapped(const struct husk_spec *spec, struct husk_error **err)
{
        const struct husk_linux *lx = &spec->linux_;
        for (size_t i = 0; i < spec->mounts_len; i++) {
                const struct husk_mount *m = &spec->mounts[i];
                size_t len;
                for (const char *o = m->bind ? NULL : m->data; o && *o; o += len + (o[len] == ',')) {
                        len = strcspn(o, ",");
                        bool uid = strncmp(o, "uid=", 4) == 0;
                        if (!uid && strncmp(o, "gid=", 4) != 0)
                                continue;
                        char *end;
                        unsigned long id = strtoul(o + 4, &end, 10);
                        if (end == o + 4 || (*end && *end != ',') || id > UINT32_MAX)
                                continue; /* the filesystem's to refuse */
                        if (husk_userns_host_id(uid ? &lx->uid_mappings : &lx->gid_mappings, (uint32_t)id) < 0)
                                return husk_error_set(err, 0,
                                                      "config.json: mounts[%zu]: %.4s%lu in the options of `%s` on "
                                                      "`%s` is not mapped by linux.%sMappings",
                                                      i, o, id, m->type ? m->type : "none", m->destination,
                                                      uid ? "uid" : "gid");
                }
        }
        return 0;
}

int husk_userns_plan(const struct husk_spec *spec, struct husk_userns_plan *ret, struct husk_error **err)
{
        const struct husk_linux *lx = &spec->linux_;
        *ret = (struct husk_userns_plan){0};
        if (lx->uid_mappings.len == 0 || lx->gid_mappings.len == 0)
                return husk_error_set(err, 0, "config.json: linux.uidMappings and linux.gidMappings: both are "
                                              "required with a new user namespace");
        int r;
        if ((r = husk_userns_check_mappings(&lx->uid_mappings, "config.json: linux.uidMappings", err)) < 0 ||
            (r = husk_userns_check_mappings(&lx->gid_mappings, "config.json: linux.gidMappings", err)) < 0)
                return r;
        /* The init sets the container up as the namespace's root (see init.c). */
        if (husk_userns_host_id(&lx->uid_mappings, 0) < 0 || husk_userns_host_id(&lx->gid_mappings, 0) < 0)
                return husk_error_set(err, 0, "config.json: linux.uidMappings and linux.gidMappings must map "
                                              "container id 0 (the container's root sets it up)");
        if ((r = check_mount_ids_mapped(spec, err)) < 0)
                return r;
        if (geteuid() == 0)
                return check_user_mapped(spec, err);
        struct id_kind uk = uid_kind(), gk = gid_kind();
        if (!only_own_id(&lx->uid_mappings, uk.own)) {
                ret->uid_helper = true;
                if ((r = check_helper_ranges(&uk, &lx->uid_mappings, err)) < 0)
                        return r;
        }
        if (!only_own_id(&lx->gid_mappings, gk.own)) {
                ret->gid_helper = true;
                if ((r = check_helper_ranges(&gk, &lx->gid_mappings, err)) < 0)
                        return r;
        } else {
                ret->setgroups_deny = true;
                if (spec->process.user.additional_gids_len)
                        return husk_error_set(err, 0,
                                              "process.user.additionalGids: an unprivileged user mapping only its "
                                              "own gid must deny setgroups in the user namespace, so no additional "
                                              "gids can be set: remove them, or map a range of gids from %s "
                                              "(installs newgidmap's package uidmap)",
                                              gk.subids);
        }
        return check_user_mapped(spec, err);
}

static char *format_map(const struct husk_id_mappings *maps, char sep)
{
        char *buf = malloc(maps->len * 33 + 1);
        if (!buf)
                return NULL;
        size_t len = 0;
        for (size_t i = 0; i < maps->len; i++)
                len += (size_t)sprintf(buf + len, "%u %u %u%c", maps->items[i].container_id, maps->items[i].host_id,
                                       maps->items[i].size, sep);
        buf[len] = '\0';
        return buf;
}

static int write_proc_file(pid_t pid, const char *file, const char *text, const char *field, struct husk_error **err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "%s%sopen `%s`", field ? field : "", field ? ": " : "", path);
        /* The whole map must go in one write. */
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t)len)
                return husk_error_set(err, errno, "%s%swrite `%s`", field ? field : "", field ? ": " : "", path);
        return 0;
}

/* Run newuidmap/newgidmap <pid> <ranges...>; its own complaint goes into the error. */
static int run_helper(const struct id_kind *k, pid_t pid, const struct husk_id_mappings *maps, struct husk_error **err)
{
        _cleanup_free_ char *helper = find_helper(k->helper);
        if (!helper)
                return husk_error_set(err, ENOENT, "%s: `%s` not found: install the uidmap package", k->field,
                                      k->helper);
        size_t argc = 2 + 3 * maps->len + 1;
        _cleanup_free_ char **argv = calloc(argc, sizeof(char *));
        _cleanup_free_ char *nums = malloc(maps->len * 3 * 12 + 12);
        if (!argv || !nums)
                return husk_error_set(err, ENOMEM, "%s", k->field);
        char *p = nums;
        argv[0] = (char *)k->helper;
        argv[1] = p;
        p += sprintf(p, "%d", pid) + 1;
        for (size_t i = 0; i < maps->len; i++) {
                unsigned int v[3] = {maps->items[i].container_id, maps->items[i].host_id, maps->items[i].size};
                for (size_t j = 0; j < 3; j++) {
                        argv[2 + 3 * i + j] = p;
                        p += sprintf(p, "%u", v[j]) + 1;
                }
        }
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return husk_error_set(err, errno, "%s: run `%s`", k->field, helper);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        pid_t child;
        int e = posix_spawn(&child, helper, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (e != 0) {
                close(pipefd[0]);
                return husk_error_set(err, e, "%s: run `%s`", k->field, helper);
        }
        char out[512];
        size_t len = 0;
        ssize_t n;
        while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        len += (size_t)n;
        close(pipefd[0]);
        out[len] = '\0';
        while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
                out[--len] = '\0';
        int status;
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return husk_error_set(err, errno, "%s: wait for `%s`", k->field, helper);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        _cleanup_free_ char *ranges = format_map(maps, ' ');
        return husk_error_set(err, 0, "%s: `%s %d %s` failed%s%s: check the ranges delegated in %s", k->field,
                              helper, pid, ranges ? ranges : "", len ? ": " : "", out, k->subids);
}

static int write_one(const struct id_kind *k, pid_t pid, const struct husk_id_mappings *maps, bool helper,
                     struct husk_error **err)
{
        if (helper)
                return run_helper(k, pid, maps, err);
        _cleanup_free_ char *text = format_map(maps, '\n');
        if (!text)
                return husk_error_set(err, ENOMEM, "%s", k->field);
        return write_proc_file(pid, k->file, text, k->field, err);
}

int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, const struct husk_userns_plan *plan,
                           struct husk_error **err)
{
        struct id_kind uk = uid_kind(), gk = gid_kind();
        int r;
        /* The kernel refuses an unprivileged gid_map until setgroups is denied (CVE-2014-8989). */
        if (plan->setgroups_deny && (r = write_proc_file(pid, "setgroups", "deny", gk.field, err)) < 0)
                return r;
        r = write_one(&uk, pid, &spec->linux_.uid_mappings, plan->uid_helper, err);
        if (r < 0)
                return r;
        return write_one(&gk, pid, &spec->linux_.gid_mappings, plan->gid_helper, err);
}

bool husk_userns_setgroups_allowed(pid_t pid)
{
        char path[64] = "/proc/self/setgroups";
        if (pid > 0)
                snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;
        char buf[16] = {0};
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        return !(n >= 4 && strncmp(buf, "deny", 4) == 0);
}

/* ---- a child parked in a user namespace, for its /proc/<pid> files ---- */

int husk_userns_child_start(int userns_fd, struct husk_userns_child *ret, struct husk_error **err)
{
        /* The child reports setns's errno on `report`, then waits on `hold` until husk closes it (or dies). */
        int report[2] = {-1, -1}, hold[2];
        if (pipe2(hold, O_CLOEXEC) < 0 || (userns_fd >= 0 && pipe2(report, O_CLOEXEC) < 0)) {
                int r = husk_error_set(err, errno, "create a pipe");
                close(hold[0]);
                close(hold[1]);
                return r;
        }
        int pidfd = -1;
        struct husk_clone_args args = {
            .flags = CLONE_PIDFD | (userns_fd < 0 ? CLONE_NEWUSER : 0),
            .pidfd = (uint64_t)(uintptr_t)&pidfd,
            .exit_signal = SIGCHLD,
        };
        pid_t pid = husk_clone3(&args);
        if (pid == 0) {
                char c;
                close(hold[1]);
                if (userns_fd >= 0) {
                        int e = setns(userns_fd, CLONE_NEWUSER) < 0 ? errno : 0;
                        if (write(report[1], &e, sizeof(e)) != (ssize_t)sizeof(e) || e)
                                _exit(1);
                }
                while (read(hold[0], &c, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        int saved = errno;
        close(hold[0]);
        if (report[1] >= 0)
                close(report[1]);
        *ret = (struct husk_userns_child){.pid = pid, .pidfd = pidfd, .hold = hold[1]};
        int r = 0;
        if (pid < 0) {
                r = husk_error_set(err, saved, "clone");
        } else if (userns_fd >= 0) {
                int e = 0;
                ssize_t n;
                while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
                        ;
                if (n != (ssize_t)sizeof(e))
                        r = husk_error_set(err, n < 0 ? errno : EPIPE, "the child joining the user namespace died");
                else if (e)
                        r = husk_error_set(err, e, "join the user namespace");
        }
        if (report[0] >= 0)
                close(report[0]);
        if (r < 0)
                husk_userns_child_stop(ret);
        return r;
}

void husk_userns_child_stop(struct husk_userns_child *c)
{
        if (c->hold >= 0)
                close(c->hold);
        if (c->pidfd >= 0) {
                siginfo_t info;
                husk_pidfd_wait(c->pidfd, &info);
                close(c->pidfd);
        }
        *c = (struct husk_userns_child){.pid = -1, .pidfd = -1, .hold = -1};
}

int husk_userns_write_map(pid_t pid, const char *file, const struct husk_id_mappings *maps, struct husk_error **err)
{
        _cleanup_free_ char *text = format_map(maps, '\n');
        if (!text)
                return husk_error_set(err, ENOMEM, "write `%s`", file);
        return write_proc_file(pid, file, text, NULL, err);
}

/* Parse /proc/<pid>/<file> ("inside outside count" lines) into *ret. */
static int read_map(pid_t pid, const char *file, const char *what, struct husk_id_mappings *ret,
                    struct husk_error **err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return husk_error_set(err, errno, "user namespace `%s`: open `%s`", what, path);
        struct husk_id_mappings maps = {0};
        size_t cap = 0;
        unsigned int inside, outside, count;
        int fields;
        while ((fields = fscanf(f, "%u %u %u", &inside, &outside, &count)) == 3) {
                if (maps.len == cap) {
                        cap = cap ? 2 * cap : 4;
                        struct husk_id_mapping *grown = realloc(maps.items, cap * sizeof(*grown));
                        if (!grown) {
                                free(maps.items);
                                return husk_error_set(err, ENOMEM, "user namespace `%s`: read `%s`", what, path);
                        }
                        maps.items = grown;
                }
                maps.items[maps.len++] = (struct husk_id_mapping){inside, outside, count};
        }
        if (fields != EOF || ferror(f)) {
                int e = ferror(f) ? errno : EINVAL;
                free(maps.items);
                return husk_error_set(err, e, "user namespace `%s`: parse `%s`", what, path);
        }
        *ret = maps;
        return 0;
}

int husk_userns_read_maps(int userns_fd, const char *what, struct husk_id_mappings *ret_uids,
                          struct husk_id_mappings *ret_gids, struct husk_error **err)
{
        struct husk_userns_child child;
        int r = husk_userns_child_start(userns_fd, &child, err);
        if (r < 0)
                return husk_error_wrap(err, "user namespace `%s`: read its id maps", what);
        struct husk_id_mappings uids = {0}, gids = {0};
        /* Opened by us, the maps read relative to our user namespace, whatever the child's. */
        r = read_map(child.pid, "uid_map", what, &uids, err);
        if (r == 0 && (r = read_map(child.pid, "gid_map", what, &gids, err)) < 0)
                free(uids.items);
        husk_userns_child_stop(&child);
        if (r < 0)
                return r;
        *ret_uids = uids;
        *ret_gids = gids;
        return 0;
}

int64_t husk_userns_host_id(const struct husk_id_mappings *maps, uint32_t id)
{
        for (size_t i = 0; i < maps->len; i++) {
                const struct husk_id_mapping *m = &maps->items[i];
                if (id >= m->container_id && id - m->container_id < m->size)
                        return (int64_t)m->host_id + (id - m->container_id);
        }
        return -1;
}

/* PROC_USER_INIT_INO of the kernel's include/linux/proc_ns.h: fixed since Linux 3.8. */
#define USER_NS_INIT_INO 0xEFFFFFFDU

bool husk_userns_nested(void)
{
        /* Asked at start-up, before any setns, for --rootless and for the default root: one stat per process. */
        static int nested = -1;
        if (nested < 0) {
                struct stat st;
                nested = stat("/proc/self/ns/user", &st) == 0 && st.st_ino != USER_NS_INIT_INO;
        }
        return nested;
}
