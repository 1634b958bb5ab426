/* libFuzzer target: state.json through husk_state_read, the status derivation and the OCI state output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "container/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int state_dirfd = -1;
static char state_path[64];

static void remove_state_dir(void)
{
        unlinkat(state_dirfd, HUSK_STATE_FILE, 0);
        unlinkat(state_dirfd, HUSK_STATE_FILE ".tmp", 0);
        rmdir(state_path);
}

/* One state dir for the whole run, on tmpfs when there is one: every input is written to it. */
static int state_dir(void)
{
        if (state_dirfd >= 0)
                return state_dirfd;
        char tmpl[] = "/dev/shm/husk-fuzz-state.XXXXXX";
        char tmpl2[] = "/tmp/husk-fuzz-state.XXXXXX";
        char *dir = mkdtemp(tmpl);
        if (!dir)
                dir = mkdtemp(tmpl2);
        if (!dir)
                abort();
        state_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_dirfd < 0)
                abort();
        snprintf(state_path, sizeof(state_path), "%s", dir);
        atexit(remove_state_dir);
        return state_dirfd;
}

static void put_file(int dirfd, const uint8_t *data, size_t size)
{
        int fd = openat(dirfd, HUSK_STATE_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        size_t off = 0;
        while (off < size) {
                ssize_t w = write(fd, data + off, size - off);
                if (w <= 0)
                        abort();
                off += (size_t)w;
        }
        close(fd);
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_strv(char **a, char **b)
{
        if (!a || !b)
                return a == b;
        for (; *a && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return false;
        return !*a && !*b;
}

static bool same_hooks(const struct husk_hook_list *a, const struct husk_hook_list *b)
{
        if (a->len != b->len)
                return false;
        for (size_t i = 0; i < a->len; i++) {
                const struct husk_hook *x = &a->items[i], *y = &b->items[i];
                if (!same_str(x->path, y->path) || !same_strv(x->args, y->args) || !same_strv(x->env, y->env) ||
                    x->has_timeout != y->has_timeout || (x->has_timeout && x->timeout != y->timeout))
                        return false;
        }
        return true;
}

/* What husk_state_write stores must read back the same (the status is derived, not stored). */
static void check_round_trip(int dirfd, const struct husk_state *s)
{
        struct husk_error *err = NULL;
        if (husk_state_write(dirfd, s, &err) < 0) {
                husk_error_free(err);
                return;
        }
        struct husk_state *t = NULL;
        if (husk_state_read(dirfd, "fuzz", &t, &err) < 0)
                abort(); /* our own output must parse */
        bool same = same_str(s->id, t->id) && t->pid == s->pid && t->pid_start_time == s->pid_start_time &&
                    same_str(s->bundle ? s->bundle : "", t->bundle) && same_str(s->cgroup_path, t->cgroup_path) &&
                    t->owner_uid == s->owner_uid && t->rootless == s->rootless && t->foreground == s->foreground &&
                    t->no_pivot == s->no_pivot && t->intel_rdt == s->intel_rdt &&
                    t->annotations.len == s->annotations.len && same_hooks(&s->poststart, &t->poststart) &&
                    same_hooks(&s->poststop, &t->poststop);
        if (!same)
                abort();
        husk_state_free(t);
}

/* The OCI state document is an object with a known status and a pid only while the container lives. */
static void check_oci_json(const struct husk_state *s)
{
        char *text = husk_state_oci_json(s, s->rootless);
        if (!text)
                return; /* allocation failure */
        json_t *o = json_loads(text, 0, NULL);
        if (!json_is_object(o) || !json_is_string(json_object_get(o, "status")) ||
            strcmp(json_string_value(json_object_get(o, "status")), "unknown") == 0)
                abort();
        if (s->status == HUSK_STATUS_STOPPED && json_integer_value(json_object_get(o, "pid")) != 0)
                abort();
        json_decref(o);
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int dirfd = state_dir();
        put_file(dirfd, data, size);
        struct husk_error *err = NULL;
        struct husk_state *s = NULL;
        if (husk_state_read(dirfd, "fuzz", &s, &err) < 0) {
                /* One line: quoted input has its control characters masked. */
                if (!err || !err->msg || strchr(err->msg, '\n'))
                        abort();
                husk_error_free(err);
                return 0;
        }
        if (!s->id)
                abort();
        check_round_trip(dirfd, s);

        /*
         * husk_state_refresh only reads /proc/<pid>/stat and the freezer file beneath the cgroup
         * root (openat2 RESOLVE_BENEATH). A live pid is always our own, so that the freezer and
         * exec.sock branches run without looking at any other process: an odd start time in the
         * input is taken to mean "matches".
         */
        if (s->pid > 0) {
                s->pid = getpid();
                if (s->pid_start_time & 1)
                        s->pid_start_time = husk_proc_start_time(s->pid);
        }
        husk_state_refresh(dirfd, s);
        if (s->status > HUSK_STATUS_STOPPED || (s->pid <= 0 && s->status != HUSK_STATUS_STOPPED))
                abort();
        check_oci_json(s);
        husk_state_free(s);
        return 0;
}
