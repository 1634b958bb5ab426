/* linux.intelRdt: Intel RDT (cache and memory bandwidth allocation, monitoring) through the resctrl filesystem. */
#include "linux/intelrdt.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"

#define RESCTRL_PATH "/sys/fs/resctrl"

static int open_resctrl(struct husk_error **err)
{
        _cleanup_close_ int fd = open(RESCTRL_PATH, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct statfs sfs;
        if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
                return husk_error_set(err, ENOTSUP, "linux.intelRdt: resctrl is not mounted");
        return TAKE_FD(fd);
}

static bool valid_group_name(const char *name)
{
        return name && *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
               !strchr(name, '\n');
}

static int write_file_at(int dir_fd, const char *file, const char *value, const char *what, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dir_fd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "linux.intelRdt: open `%s` of %s", file, what);
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        if (n < 0)
                return husk_error_set(err, errno, "linux.intelRdt: write `%s` to `%s` of %s", value, file, what);
        if ((size_t)n != len)
                return husk_error_set(err, EIO, "linux.intelRdt: short write to `%s` of %s", file, what);
        return 0;
}

static int read_file_at(int dir_fd, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dir_fd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

/* The combined l3CacheSchema + memBwSchema text, per runtime-spec; NULL (and 0) when neither is set. */
static int combined_schema(const struct husk_intel_rdt *rdt, char **ret)
{
        *ret = NULL;
        if (!rdt->l3_cache_schema && !rdt->mem_bw_schema)
                return 0;
        size_t cap = (rdt->l3_cache_schema ? strlen(rdt->l3_cache_schema) : 0) +
                     (rdt->mem_bw_schema ? strlen(rdt->mem_bw_schema) : 0) + 3;
        _cleanup_free_ char *out = calloc(1, cap);
        if (!out)
                return -ENOMEM;
        size_t len = 0;
        for (const char *line = rdt->l3_cache_schema; line && *line;) {
                size_t n = strcspn(line, "\n");
                const char *start = line;
                while (start < line + n && isspace((unsigned char)*start))
                        start++;
                bool is_mb = strncmp(start, "MB:", 3) == 0;
                if (n > 0 && !(is_mb && rdt->mem_bw_schema)) {
                        memcpy(out + len, line, n);
                        len += n;
                        out[len++] = '\n';
                }
                line += n + (line[n] == '\n');
        }
        if (rdt->mem_bw_schema) {
                size_t n = strlen(rdt->mem_bw_schema);
                memcpy(out + len, rdt->mem_bw_schema, n);
                len += n;
                out[len++] = '\n';
        }
        out[len] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

/* Whether `want` ("L3:0=7f0;1=1f") appears in `file` (the group's schemata), spacing and leading zeros aside. */
static bool schema_line_present(const char *want, const char *file)
{
        char resource[32];
        const char *colon = strchr(want, ':');
        while (isspace((unsigned char)*want))
                want++;
        if (!colon || (size_t)(colon - want) >= sizeof(resource))
                return false;
        memcpy(resource, want, (size_t)(colon - want));
        resource[colon - want] = '\0';

        /* Find the file's line for this resource. */
        const char *line = file;
        size_t rlen = strlen(resource);
        for (;;) {
                while (*line && isspace((unsigned char)*line))
                        line++;
                if (!*line)
                        return false;
                if (strncmp(line, resource, rlen) == 0 && line[rlen] == ':')
                        break;
                line += strcspn(line, "\n");
        }
        const char *have = line + rlen + 1;
        size_t have_len = strcspn(have, "\n");

        /* Every domain=value of ours must match the same domain in the file. */
        for (const char *p = colon + 1; *p;) {
                while (*p == ';' || isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                char *end;
                unsigned long domain = strtoul(p, &end, 10);
                if (end == p || *end != '=')
                        return false;
                unsigned long long value = strtoull(end + 1, &end, 16);
                p = end;
                bool found = false;
                for (const char *q = have; q < have + have_len;) {
                        while (q < have + have_len && (*q == ';' || isspace((unsigned char)*q)))
                                q++;
                        if (q >= have + have_len)
                                break;
                        char *qend;
                        unsigned long d = strtoul(q, &qend, 10);
                        if (qend == q || *qend != '=')
                                break;
                        unsigned long long v = strtoull(qend + 1, &qend, 16);
                        if (d == domain) {
                                found = v == value;
                                break;
                        }
                        q = qend;
                }
                if (!found)
                        return false;
        }
        return true;
}

static int check_existing_schema(int group_fd, const char *combined, const char *group, struct husk_error **err)
{
        char file[8192];
        int r = read_file_at(group_fd, "schemata", file, sizeof(file));
        if (r < 0)
                return husk_error_set(err, -r, "linux.intelRdt: read `schemata` of group `%s`", group);
        for (const char *line = combined; *line;) {
                size_t n = strcspn(line, "\n");
                if (n > 0) {
                        _cleanup_free_ char *one = strndup(line, n);
                        if (!one)
                                return husk_error_set(err, ENOMEM, "linux.intelRdt");
                        if (!schema_line_present(one, file))
                                return husk_error_set(err, 0,
                                                      "linux.intelRdt: existing group `%s` does not hold schema `%s`",
                                                      group, one);
                }
                line += n + (line[n] == '\n');
        }
        return 0;
}

int husk_intel_rdt_apply(const struct husk_intel_rdt *rdt, const char *id, pid_t pid, struct husk_error **err)
{
        if (!rdt || !rdt->present)
                return 0;
        _cleanup_close_ int root = open_resctrl(err);
        if (root < 0)
                return root;
        const char *group = rdt->clos_id ? rdt->clos_id : id;
        if (!valid_group_name(group))
                return husk_error_set(err, 0, "linux.intelRdt.closID: invalid group name `%s`", group ? group : "");

        _cleanup_free_ char *combined = NULL;
        if (combined_schema(rdt, &combined) < 0)
                return husk_error_set(err, ENOMEM, "linux.intelRdt");
        bool has_schema = combined || rdt->schemata;

        bool created = false;
        bool preconfigured = rdt->clos_id && !has_schema; /* must exist already: never created here */
        if (!preconfigured) {
                if (mkdirat(root, group, 0755) == 0)
                        created = true;
                else if (errno != EEXIST)
                        return husk_error_set(err, errno, "linux.intelRdt: create group `%s`", group);
        }
        _cleanup_close_ int group_fd = openat(root, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (group_fd < 0 && errno == ENOENT && preconfigured)
                return husk_error_set(err, ENOENT, "linux.intelRdt.closID: group `%s` does not exist", group);
        if (group_fd < 0)
                return husk_error_set(err, errno, "linux.intelRdt: open group `%s`", group);
        char what[300];
        snprintf(what, sizeof(what), "group `%s`", group);

        int r;
        if (combined && rdt->clos_id && !created) {
                r = check_existing_schema(group_fd, combined, group, err);
                if (r < 0)
                        return r;
        } else if (combined) {
                r = write_file_at(group_fd, "schemata", combined, what, err);
                if (r < 0)
                        return r;
        }
        if (rdt->schemata) {
                for (size_t i = 0; rdt->schemata[i]; i++) {
                        r = write_file_at(group_fd, "schemata", rdt->schemata[i], what, err);
                        if (r < 0)
                                return r;
                }
        }

        char pid_text[32];
        snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
        r = write_file_at(group_fd, "tasks", pid_text, what, err);
        if (r < 0)
                return r;

        if (rdt->enable_monitoring || rdt->enable_cmt || rdt->enable_mbm) {
                if (!valid_group_name(id))
                        return husk_error_set(err, 0, "linux.intelRdt: invalid container id `%s`", id ? id : "");
                _cleanup_close_ int mon = openat(group_fd, "mon_groups", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (mon < 0)
                        return husk_error_set(err, errno, "linux.intelRdt: monitoring is not available in %s", what);
                if (mkdirat(mon, id, 0755) < 0 && errno != EEXIST)
                        return husk_error_set(err, errno, "linux.intelRdt: create monitoring group `%s`", id);
                _cleanup_close_ int mon_group = openat(mon, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (mon_group < 0)
                        return husk_error_set(err, errno, "linux.intelRdt: open monitoring group `%s`", id);
                snprintf(what, sizeof(what), "monitoring group `%s`", id);
                r = write_file_at(mon_group, "tasks", pid_text, what, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int husk_intel_rdt_remove(const struct husk_intel_rdt *rdt, const char *id, struct husk_error **err)
{
        if (!rdt || !rdt->present)
                return 0;
        _cleanup_close_ int root = open_resctrl(err);
        if (root < 0)
                return root;
        const char *group = rdt->clos_id ? rdt->clos_id : id;
        if (!valid_group_name(group) || !valid_group_name(id))
                return husk_error_set(err, 0, "linux.intelRdt: invalid group name `%s`", group ? group : "");
        _cleanup_close_ int group_fd = openat(root, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (group_fd < 0)
                return errno == ENOENT ? 0 : husk_error_set(err, errno, "linux.intelRdt: open group `%s`", group);
        _cleanup_close_ int mon = openat(group_fd, "mon_groups", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (mon >= 0 && unlinkat(mon, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return husk_error_set(err, errno, "linux.intelRdt: remove monitoring group `%s`", id);
        if (!rdt->clos_id && unlinkat(root, group, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return husk_error_set(err, errno, "linux.intelRdt: remove group `%s`", group);
        return 0;
}
