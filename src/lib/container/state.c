/* Container state on disk: <root>/<id>/ with state.json (atomic) and exec.sock, plus status derivation. */
#include "container/state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "spec/json_parse.h"
#include "util/cleanup.h"
#include "util/io.h"
#include "util/syscalls.h"
#include "util/timestamp.h"

static const char *const status_names[] = {
        [HUSK_STATUS_CREATING] = "creating", [HUSK_STATUS_CREATED] = "created", [HUSK_STATUS_RUNNING] = "running",
        [HUSK_STATUS_PAUSED] = "paused",     [HUSK_STATUS_STOPPED] = "stopped",
};

const char *husk_status_name(enum husk_status status)
{
        return status <= HUSK_STATUS_STOPPED ? status_names[status] : "unknown";
}

int husk_id_validate(const char *id, struct husk_error **err)
{
        size_t len = strlen(id);
        if (len == 0)
                return husk_error_set(err, 0, "invalid id format: the container id is empty");
        if (len > 1024)
                return husk_error_set(err, 0, "invalid id format: the container id is longer than 1024 bytes");
        if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return husk_error_set(err, 0, "invalid id format: `%s`", id);
        for (const unsigned char *p = (const unsigned char *)id; *p; p++)
                if (*p == '/' || *p < 0x20 || *p == 0x7f)
                        return husk_error_set(err, 0, "invalid id format: `%s` contains `/` or a control character",
                                              id);
        return 0;
}

int husk_state_root_create(const char *root, struct husk_error **err)
{
        if (mkdir(root, 0700) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return husk_error_set(err, errno, "create state root `%s`", root);
        /* Create missing parents, as runc does for --root. */
        _cleanup_free_ char *copy = strdup(root);
        if (!copy)
                return husk_error_set(err, ENOMEM, "create state root `%s`", root);
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        return husk_error_set(err, errno, "create state root `%s`", copy);
                *p = '/';
        }
        if (mkdir(root, 0700) < 0 && errno != EEXIST)
                return husk_error_set(err, errno, "create state root `%s`", root);
        return 0;
}

int husk_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct husk_error **err)
{
        /* The root exists on every run but a root's first: opened first, made only when missing. */
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r;
        if (rootfd < 0 && errno == ENOENT) {
                if ((r = husk_state_root_create(root, err)) < 0)
                        return r;
                rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        }
        if (rootfd < 0)
                return husk_error_set(err, errno, "open state root `%s`", root);
        if (mkdirat(rootfd, id, 0711) < 0) {
                /* runc's words: hcsshim's guest agent matches them to report "already exists". */
                if (errno == EEXIST)
                        return husk_error_set(err, 0, "container with given ID already exists");
                return husk_error_set(err, errno, "create state dir `%s/%s`", root, id);
        }
        int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                r = husk_error_set(err, errno, "lock state dir `%s/%s`", root, id);
                if (fd >= 0)
                        close(fd);
                unlinkat(rootfd, id, AT_REMOVEDIR);
                return r;
        }
        *ret_dirfd = fd;
        return 0;
}

static int dir_open(const char *root, const char *id, bool lock, bool wait_for_create, int *ret_dirfd,
                    struct husk_error **err)
{
        int r = husk_id_validate(id, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", root, id) < 0)
                return husk_error_set(err, ENOMEM, "open state dir");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return husk_error_set(err, 0, "container `%s` does not exist", id);
                return husk_error_set(err, errno, "open state dir `%s`", path);
        }
        if (lock) {
                if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                        if (errno != EWOULDBLOCK)
                                return husk_error_set(err, errno, "lock state dir `%s`", path);
                        /* Held by a create not done yet, whose hooks may be the ones asking: they would wait for
                         * ever. */
                        if (!wait_for_create && faccessat(fd, HUSK_CREATING_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                                husk_error_set(err, 0, "container `%s` is still being created", id);
                                return -EBUSY;
                        }
                        if (flock(fd, LOCK_EX) < 0)
                                return husk_error_set(err, errno, "lock state dir `%s`", path);
                }
                /* A delete may have removed the dir before we had the lock. */
                struct stat st;
                if (fstat(fd, &st) < 0 || st.st_nlink == 0)
                        return husk_error_set(err, 0, "container `%s` does not exist", id);
        }
        *ret_dirfd = TAKE_FD(fd);
        return 0;
}

int husk_state_dir_open(const char *root, const char *id, bool lock, int *ret_dirfd, struct husk_error **err)
{
        return dir_open(root, id, lock, false, ret_dirfd, err);
}

int husk_state_dir_open_wait(const char *root, const char *id, int *ret_dirfd, struct husk_error **err)
{
        return dir_open(root, id, true, true, ret_dirfd, err);
}

int husk_state_dir_remove(const char *root, const char *id, int dirfd, struct husk_error **err)
{
        static const char *const files[] = {HUSK_STATE_FILE,    HUSK_STATE_FILE ".tmp", HUSK_EXEC_SOCKET,
                                            HUSK_CREATING_MARK, HUSK_CONFIG_COPY,       HUSK_CGROUP_FILE};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (unlinkat(dirfd, files[i], 0) < 0 && errno != ENOENT)
                        return husk_error_set(err, errno, "remove `%s/%s/%s`", root, id, files[i]);
        if ((unlinkat(dirfd, HUSK_NOTIFY_SOCKET, 0) < 0 && errno != ENOENT) ||
            (unlinkat(dirfd, HUSK_NOTIFY_DIR, AT_REMOVEDIR) < 0 && errno != ENOENT))
                return husk_error_set(err, errno, "remove `%s/%s/%s`", root, id, HUSK_NOTIFY_DIR);
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return husk_error_set(err, errno, "open state root `%s`", root);
        if (unlinkat(rootfd, id, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return husk_error_set(err, errno, "remove state dir `%s/%s`", root, id);
        return 0;
}

static json_t *hooks_to_json(const struct husk_hook_list *list)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < list->len; i++) {
                const struct husk_hook *h = &list->items[i];
                json_t *o = json_object();
                json_object_set_new(o, "path", json_string(h->path));
                if (h->args) {
                        json_t *a = json_array();
                        for (char **p = h->args; *p; p++)
                                json_array_append_new(a, json_string(*p));
                        json_object_set_new(o, "args", a);
                }
                if (h->env) {
                        json_t *a = json_array();
                        for (char **p = h->env; *p; p++)
                                json_array_append_new(a, json_string(*p));
                        json_object_set_new(o, "env", a);
                }
                if (h->has_timeout)
                        json_object_set_new(o, "timeout", json_integer(h->timeout));
                json_array_append_new(arr, o);
        }
        return arr;
}

/* A copy of a string array; *oom is set when a copy was due and could not be made. */
static char **strv_from_json(json_t *arr, bool *oom)
{
        if (!json_is_array(arr))
                return NULL;
        size_t n = json_array_size(arr);
        char **v = calloc(n + 1, sizeof(char *));
        if (!v) {
                *oom = true;
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(arr, i));
                if (!(v[i] = strdup(s ? s : ""))) {
                        strv_free(v);
                        *oom = true;
                        return NULL;
                }
        }
        return v;
}

static void hooks_from_json(json_t *arr, struct husk_hook_list *list, bool *oom)
{
        size_t n = json_array_size(arr);
        if (!json_is_array(arr) || n == 0)
                return;
        list->items = calloc(n, sizeof(struct husk_hook));
        if (!list->items) {
                *oom = true;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(arr, i);
                const char *path = json_string_value(json_object_get(o, "path"));
                if (!path)
                        continue;
                struct husk_hook *h = &list->items[list->len++];
                if (!(h->path = strdup(path)))
                        *oom = true;
                h->args = strv_from_json(json_object_get(o, "args"), oom);
                h->env = strv_from_json(json_object_get(o, "env"), oom);
                json_t *t = json_object_get(o, "timeout");
                if (json_is_integer(t)) {
                        h->has_timeout = true;
                        h->timeout = (int)json_integer_value(t);
                }
        }
}

static json_t *annotations_to_json(const struct husk_kv_list *kv)
{
        json_t *o = json_object();
        for (size_t i = 0; i < kv->len; i++)
                json_object_set_new(o, kv->items[i].key, json_string(kv->items[i].value));
        return o;
}

int husk_state_write(int dirfd, const struct husk_state *s, struct husk_error **err)
{
        json_t *o = json_object();
        json_object_set_new(o, "ociVersion", json_string(s->oci_version ? s->oci_version : "1.2.0"));
        json_object_set_new(o, "id", json_string(s->id));
        json_object_set_new(o, "pid", json_integer(s->pid));
        json_object_set_new(o, "pidStartTime", json_integer((json_int_t)s->pid_start_time));
        json_object_set_new(o, "bundle", json_string(s->bundle ? s->bundle : ""));
        json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
        json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
        json_object_set_new(o, "owner", json_integer(s->owner_uid));
        if (s->annotations.len)
                json_object_set_new(o, "annotations", annotations_to_json(&s->annotations));
        if (s->cgroup_path)
                json_object_set_new(o, "cgroupPath", json_string(s->cgroup_path));
        json_object_set_new(o, "rootless", json_boolean(s->rootless));
        json_object_set_new(o, "foreground", json_boolean(s->foreground));
        json_object_set_new(o, "noPivot", json_boolean(s->no_pivot));
        json_object_set_new(o, "intelRdt", json_boolean(s->intel_rdt));
        if (s->shared_pidns)
                json_object_set_new(o, "sharedPidns", json_true());
        if (s->session_keyring)
                json_object_set_new(o, "sessionKeyring", json_string(s->session_keyring));
        if (s->systemd_unit)
                json_object_set_new(o, "systemdUnit", json_string(s->systemd_unit));
        if (s->poststart.len)
                json_object_set_new(o, "poststart", hooks_to_json(&s->poststart));
        if (s->poststop.len)
                json_object_set_new(o, "poststop", hooks_to_json(&s->poststop));
        _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return husk_error_set(err, ENOMEM, "serialize state");

        _cleanup_close_ int fd = openat(dirfd, HUSK_STATE_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return husk_error_set(err, errno, "write `%s`", HUSK_STATE_FILE ".tmp");
        int r = husk_write_all(fd, text, strlen(text));
        if (r < 0)
                return husk_error_set(err, -r, "write `%s`", HUSK_STATE_FILE ".tmp");
        /* No fsync: the state root is runtime state (tmpfs on most hosts, and meaningless after a
         * reboot); on a disk it cost milliseconds per write. A file torn by a crash reads as corrupt
         * state, which `delete --force` cleans up through the `cgroup` file. */
        if (renameat(dirfd, HUSK_STATE_FILE ".tmp", dirfd, HUSK_STATE_FILE) < 0)
                return husk_error_set(err, errno, "rename `%s`", HUSK_STATE_FILE);
        return 0;
}

int husk_state_write_cgroup(int dirfd, const char *path, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, HUSK_CGROUP_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t len = strlen(path);
        if (fd < 0 || write(fd, path, len) != (ssize_t)len)
                return husk_error_set(err, errno, "write `%s`", HUSK_CGROUP_FILE);
        return 0;
}

int husk_state_read_cgroup(int dirfd, char **ret)
{
        *ret = NULL;
        _cleanup_close_ int fd = openat(dirfd, HUSK_CGROUP_FILE, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        char buf[8192];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? -errno : 0;
        buf[n] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* A copy of o's string `key`, NULL when it has none; *oom is set when the copy could not be made. */
static char *dup_string(json_t *o, const char *key, bool *oom)
{
        const char *s = json_string_value(json_object_get(o, key));
        char *copy = s ? strdup(s) : NULL;
        if (s && !copy)
                *oom = true;
        return copy;
}

int husk_state_read(int dirfd, const char *id, struct husk_state **ret, struct husk_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, HUSK_STATE_FILE, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT) {
                        /* A create that died before writing anything: report it as stopped. */
                        struct husk_state *s = calloc(1, sizeof(*s));
                        if (!s || !(s->id = strdup(id))) {
                                free(s);
                                return husk_error_set(err, ENOMEM, "read state");
                        }
                        s->status = HUSK_STATUS_STOPPED;
                        *ret = s;
                        return 0;
                }
                return husk_error_set(err, errno, "open `%s` of container `%s`", HUSK_STATE_FILE, id);
        }
        /* Read it whole: jansson's json_loadfd reads a byte per syscall. */
        size_t cap = 16384, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        while (buf) {
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return husk_error_set(err, errno, "read `%s` of container `%s`", HUSK_STATE_FILE, id);
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == cap) {
                        char *grown = realloc(buf, cap *= 2);
                        if (!grown)
                                break;
                        buf = grown;
                }
        }
        if (!buf || len == cap)
                return husk_error_set(err, ENOMEM, "read `%s` of container `%s`", HUSK_STATE_FILE, id);
        json_error_t jerr;
        json_t *o = husk_json_loadb(buf, len, 0, &jerr);
        if (!o)
                husk_error_sanitize_text(jerr.text);
        if (!o || !json_is_object(o)) {
                json_decref(o);
                return husk_error_set(err, 0, "container `%s`: corrupt `%s`: %s (delete --force removes it)", id,
                                      HUSK_STATE_FILE, o ? "not an object" : jerr.text);
        }
        struct husk_state *s = calloc(1, sizeof(*s));
        if (!s) {
                json_decref(o);
                return husk_error_set(err, ENOMEM, "read state");
        }
        bool oom = false;
        s->oci_version = dup_string(o, "ociVersion", &oom);
        s->id = dup_string(o, "id", &oom);
        if (!s->id && !(s->id = strdup(id)))
                oom = true;
        s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
        s->pid_start_time = (uint64_t)json_integer_value(json_object_get(o, "pidStartTime"));
        s->bundle = dup_string(o, "bundle", &oom);
        s->rootfs = dup_string(o, "rootfs", &oom);
        s->created = dup_string(o, "created", &oom);
        s->owner_uid = (uid_t)json_integer_value(json_object_get(o, "owner"));
        s->cgroup_path = dup_string(o, "cgroupPath", &oom);
        s->rootless = json_is_true(json_object_get(o, "rootless"));
        s->foreground = json_is_true(json_object_get(o, "foreground"));
        s->no_pivot = json_is_true(json_object_get(o, "noPivot"));
        s->intel_rdt = json_is_true(json_object_get(o, "intelRdt"));
        s->shared_pidns = json_is_true(json_object_get(o, "sharedPidns"));
        s->session_keyring = dup_string(o, "sessionKeyring", &oom);
        s->systemd_unit = dup_string(o, "systemdUnit", &oom);
        json_t *ann = json_object_get(o, "annotations");
        size_t n = json_object_size(ann);
        if (n && !(s->annotations.items = calloc(n, sizeof(struct husk_kv))))
                oom = true;
        if (s->annotations.items) {
                const char *key;
                json_t *value;
                json_object_foreach(ann, key, value)
                {
                        struct husk_kv *kv = &s->annotations.items[s->annotations.len++];
                        kv->key = strdup(key);
                        kv->value = strdup(json_string_value(value) ? json_string_value(value) : "");
                        if (!kv->key || !kv->value)
                                oom = true;
                }
        }
        hooks_from_json(json_object_get(o, "poststart"), &s->poststart, &oom);
        hooks_from_json(json_object_get(o, "poststop"), &s->poststop, &oom);
        json_decref(o);
        /* Half a state would run hooks without their arguments, or lose the bundle: all or nothing. */
        if (oom) {
                husk_state_free(s);
                return husk_error_set(err, ENOMEM, "read `%s` of container `%s`", HUSK_STATE_FILE, id);
        }
        /* No pid yet: a create that stopped (killed, say) before it wrote the state again may have made the cgroup,
         * and an init may live in it. The cgroup is recorded on its own as soon as it exists (husk_state_write_cgroup):
         * delete --force finds what to kill there. */
        if (s->pid == 0 && !s->cgroup_path && husk_state_read_cgroup(dirfd, &s->cgroup_path) == -ENOMEM) {
                husk_state_free(s);
                return husk_error_set(err, ENOMEM, "read `%s` of container `%s`", HUSK_CGROUP_FILE, id);
        }
        s->status = s->pid > 0 ? HUSK_STATUS_RUNNING : HUSK_STATUS_CREATING;
        *ret = s;
        return 0;
}

int husk_state_load(const char *root, const char *id, bool lock, int *ret_dirfd, struct husk_state **ret,
                    struct husk_error **err)
{
        _cleanup_close_ int dirfd = -1;
        int r = husk_state_dir_open(root, id, lock, &dirfd, err);
        if (r < 0)
                return r;
        r = husk_state_read(dirfd, id, ret, err);
        if (r < 0)
                return r;
        husk_state_refresh(dirfd, *ret);
        *ret_dirfd = TAKE_FD(dirfd);
        return 0;
}

int husk_state_init_pidfd(const struct husk_state *state)
{
        int pidfd = husk_pidfd_open(state->pid);
        if (pidfd >= 0 && husk_proc_start_time(state->pid) != state->pid_start_time) {
                close(pidfd);
                return -1;
        }
        return pidfd;
}

uint64_t husk_proc_start_time(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* comm may contain spaces and parentheses: fields resume after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return 0;
        char state = p[2];
        if (state == 'Z' || state == 'X' || state == 'x')
                return 0;
        p += 2;
        /* state is field 3; starttime is field 22. */
        for (int field = 3; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        return p ? strtoull(p, NULL, 10) : 0;
}

pid_t husk_proc_ns_pid(pid_t pid)
{
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return pid;
        buf[n] = '\0';
        char *line = strstr(buf, "\nNSpid:");
        if (!line)
                return pid;
        line += strlen("\nNSpid:");
        char *end = strchr(line, '\n');
        if (end)
                *end = '\0';
        char *last = strrchr(line, '\t');
        long v = last ? strtol(last + 1, NULL, 10) : 0;
        return v > 0 ? (pid_t)v : pid;
}

void husk_state_refresh(int dirfd, struct husk_state *s)
{
        if (s->pid <= 0) {
                s->status = HUSK_STATUS_STOPPED;
                return;
        }
        uint64_t start = husk_proc_start_time(s->pid);
        if (start == 0 || start != s->pid_start_time) {
                s->status = HUSK_STATUS_STOPPED;
                return;
        }
        /* The freezer first, as runc: a frozen created container is paused. */
        bool frozen = false;
        if (s->cgroup_path && husk_cgroup_path_is_frozen(s->cgroup_path, &frozen) == 0 && frozen) {
                s->status = HUSK_STATUS_PAUSED;
                return;
        }
        if (faccessat(dirfd, HUSK_EXEC_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                s->status = HUSK_STATUS_CREATED;
        else if (faccessat(dirfd, HUSK_CREATING_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                s->status = HUSK_STATUS_CREATING;
        else
                s->status = HUSK_STATUS_RUNNING;
}

char *husk_state_oci_json(const struct husk_state *s, bool pretty)
{
        return husk_state_oci_json_owner(s, "", pretty);
}

char *husk_state_oci_json_owner(const struct husk_state *s, const char *owner, bool pretty)
{
        json_t *o = json_object();
        json_object_set_new(o, "ociVersion", json_string(s->oci_version ? s->oci_version : "1.2.0"));
        json_object_set_new(o, "id", json_string(s->id));
        json_object_set_new(o, "pid", json_integer(s->status == HUSK_STATUS_STOPPED ? 0 : s->pid));
        json_object_set_new(o, "status", json_string(husk_status_name(s->status)));
        json_object_set_new(o, "bundle", json_string(s->bundle ? s->bundle : ""));
        json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
        json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
        if (s->annotations.len)
                json_object_set_new(o, "annotations", annotations_to_json(&s->annotations));
        json_object_set_new(o, "owner", json_string(owner));
        char *text = json_dumps(o, pretty ? JSON_INDENT(2) | JSON_PRESERVE_ORDER : JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        return text;
}

static void hook_list_free(struct husk_hook_list *list)
{
        for (size_t i = 0; i < list->len; i++) {
                free(list->items[i].path);
                strv_free(list->items[i].args);
                strv_free(list->items[i].env);
        }
        free(list->items);
}

void husk_state_free(struct husk_state *s)
{
        if (!s)
                return;
        free(s->oci_version);
        free(s->id);
        free(s->bundle);
        free(s->rootfs);
        free(s->created);
        free(s->cgroup_path);
        free(s->session_keyring);
        free(s->systemd_unit);
        for (size_t i = 0; i < s->annotations.len; i++) {
                free(s->annotations.items[i].key);
                free(s->annotations.items[i].value);
        }
        free(s->annotations.items);
        hook_list_free(&s->poststart);
        hook_list_free(&s->poststop);
        free(s);
}

void husk_state_freep(struct husk_state **s)
{
        husk_state_free(*s);
        *s = NULL;
}

char *husk_timestamp_now(void)
{
        char buf[HUSK_TIMESTAMP_MAX];
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        husk_timestamp_format_rfc3339nano(&now, buf, sizeof(buf));
        return strdup(buf);
}

int husk_state_read_config(int dirfd, const struct husk_spec_parse_options *opts, struct husk_spec **ret,
                           struct husk_error **err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, HUSK_CONFIG_COPY);
        return husk_spec_load_text(path, opts, ret, NULL, NULL, err);
}
