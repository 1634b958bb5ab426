/* What checkpoint and restore tell criu alike: the config file, the cgroup mode, the host's binds. */
#include "container/criu-opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

void husk_criu_add_command(struct husk_criu_args *a, const struct husk_runtime *rt, const char *command)
{
        husk_criu_add(a, rt->criu ? rt->criu : "criu");
        husk_criu_add(a, command);
}

/* path, or the current directory's path/ before it. NULL with errno set. */
static char *absolute_path(const char *path)
{
        if (path[0] == '/')
                return strdup(path);
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        char *abs = NULL;
        if (!cwd || asprintf(&abs, "%s/%s", cwd, path) < 0)
                return NULL;
        return abs;
}

int husk_criu_absolute_dirs(const struct husk_criu_options *o, char **ret_image, char **ret_work,
                            struct husk_error **err)
{
        _cleanup_free_ char *image = absolute_path(o->image_path), *work = NULL;
        if (!image)
                return husk_error_set(err, errno, "--image-path `%s` in the current directory", o->image_path);
        if (o->work_path && *o->work_path && !(work = absolute_path(o->work_path)))
                return husk_error_set(err, errno, "--work-path `%s` in the current directory", o->work_path);
        *ret_image = TAKE_PTR(image);
        *ret_work = TAKE_PTR(work);
        return 0;
}

int husk_criu_check_choices(const struct husk_criu_options *o, struct husk_error **err)
{
        struct husk_criu_args scratch = {0};
        int r = husk_criu_cgroups_mode(&scratch, o->manage_cgroups_mode, err);
        if (r == 0)
                r = husk_criu_empty_ns(&scratch, o->empty_ns, err);
        husk_criu_args_clear(&scratch);
        return r;
}

int husk_criu_add_common(struct husk_criu_args *a, const struct husk_criu_options *o, struct husk_error **err)
{
        if (o->work_path && *o->work_path) {
                husk_criu_add(a, "--work-dir");
                husk_criu_add(a, o->work_path);
        }
        const struct husk_criu_flag flags[] = {
            {o->tcp_established, "--tcp-established"},
            {o->ext_unix_sk, "--ext-unix-sk"},
            {o->shell_job, "--shell-job"},
            {o->file_locks, "--file-locks"},
            {o->auto_dedup, "--auto-dedup"},
            {o->lazy_pages, "--lazy-pages"},
        };
        husk_criu_add_flags(a, flags, sizeof(flags) / sizeof(flags[0]));
        int r = husk_criu_cgroups_mode(a, o->manage_cgroups_mode, err);
        if (r < 0)
                return r;
        /* runc's rule, --empty-ns network or not: husk, like runc, does not manage network devices, so criu
         * dumps none and restores the container's own network namespace with lo alone, for a hook or a CNI
         * plugin to set up again (a veth whose other end is on the host could not be restored). A namespace
         * joined by path is external to criu and stays as it is. */
        return husk_criu_empty_ns(a, "network", err);
}

int husk_criu_cgroups_mode(struct husk_criu_args *a, const char *mode, struct husk_error **err)
{
        if (!mode || !*mode) {
                husk_criu_add(a, "--manage-cgroups");
                return 0;
        }
        static const char *const known[] = {"soft", "full", "strict", "ignore"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (strcmp(mode, known[i]) == 0) {
                        husk_criu_addf(a, "--manage-cgroups=%s", mode);
                        return 0;
                }
        return husk_error_set(err, 0, "--manage-cgroups-mode: `%s` is not one of soft, full, strict, ignore", mode);
}

int husk_criu_empty_ns(struct husk_criu_args *a, const char *ns, struct husk_error **err)
{
        if (!ns || !*ns)
                return 0;
        if (strcmp(ns, "network") != 0)
                return husk_error_set(err, 0, "--empty-ns: `%s`: only `network` can be left empty", ns);
        husk_criu_add(a, "--empty-ns");
        husk_criu_add(a, "net");
        return 0;
}

void husk_criu_config_file(struct husk_criu_args *a, const struct husk_spec *spec)
{
        for (size_t i = 0; i < spec->annotations.len; i++)
                if (strcmp(spec->annotations.items[i].key, HUSK_CRIU_CONFIG_ANNOTATION) == 0) {
                        const char *file = spec->annotations.items[i].value;
                        if (file && *file) {
                                husk_criu_add(a, "--config");
                                husk_criu_add(a, file);
                        }
                        return;
                }
        if (access("/etc/criu/runc.conf", F_OK) == 0) {
                husk_criu_add(a, "--config");
                husk_criu_add(a, "/etc/criu/runc.conf");
        }
}

bool husk_criu_mount_is_bind(const struct husk_mount *m)
{
        return m->bind || (m->type && strcmp(m->type, "bind") == 0);
}

char *husk_criu_mount_key(const char *destination)
{
        return husk_path_clean(destination);
}

void husk_criu_add_flags(struct husk_criu_args *a, const struct husk_criu_flag *flags, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (flags[i].on)
                        husk_criu_add(a, flags[i].flag);
}
