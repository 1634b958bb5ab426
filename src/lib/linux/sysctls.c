/* linux.sysctl: namespaced kernel parameters written under /proc/sys of the container. */
#include "linux/sysctls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/proc.h"
#include "util/cleanup.h"

static const char *const ipc_sysctls[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/*
 * Both spellings of a key: `dotted` for the namespace rules, `path` relative to /proc/sys.
 * With '/' as separator, '.' belongs to a name (eth0.100), so the two characters swap roles.
 */
static int key_forms(const char *key, char **ret_dotted, char **ret_path, struct husk_error **err)
{
        if (!key || !*key)
                return husk_error_set(err, 0, "linux.sysctl: empty key");
        size_t first_sep = strcspn(key, "./");
        bool slash_form = key[first_sep] == '/';
        _cleanup_free_ char *dotted = strdup(key);
        _cleanup_free_ char *path = strdup(key);
        if (!dotted || !path)
                return husk_error_set(err, ENOMEM, "linux.sysctl");
        for (size_t i = 0; key[i]; i++) {
                char c = key[i];
                if (slash_form) {
                        dotted[i] = c == '/' ? '.' : c == '.' ? '/' : c;
                } else {
                        path[i] = c == '.' ? '/' : c == '/' ? '.' : c;
                }
        }
        /* Each path component must be a plain name: "", "." or ".." would walk elsewhere in /proc. */
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return husk_error_set(err, 0, "linux.sysctl: invalid key `%s`", key);
                if (!p[n])
                        break;
                p += n + 1;
        }
        *ret_dotted = TAKE_PTR(dotted);
        *ret_path = TAKE_PTR(path);
        return 0;
}

static int check_key(const char *key, const char *dotted, bool net_private, bool ipc_private, bool uts_private,
                     struct husk_error **err)
{
        bool ipc = strncmp(dotted, "fs.mqueue.", strlen("fs.mqueue.")) == 0;
        for (size_t i = 0; !ipc && i < sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]); i++)
                ipc = strcmp(dotted, ipc_sysctls[i]) == 0;
        if (ipc) {
                if (!ipc_private)
                        return husk_error_set(err, 0, "linux.sysctl: `%s` is not allowed in the host's ipc namespace", key);
                return 0;
        }
        if (strncmp(dotted, "net.", 4) == 0) {
                if (!net_private)
                        return husk_error_set(err, 0, "linux.sysctl: `%s` is not allowed in the host's network namespace",
                                              key);
                return 0;
        }
        if (uts_private && strcmp(dotted, "kernel.domainname") == 0)
                return 0;
        if (uts_private && strcmp(dotted, "kernel.hostname") == 0)
                return husk_error_set(err, 0, "linux.sysctl: `%s` is not allowed: it conflicts with the `hostname` field",
                                      key);
        return husk_error_set(err, 0, "linux.sysctl: `%s` is not in a namespace of its own: refusing to change it for the host",
                              key);
}

int husk_sysctl_validate(const struct husk_kv_list *sysctl, bool net_private, bool ipc_private, bool uts_private,
                         const char *domainname, struct husk_error **err)
{
        for (size_t i = 0; sysctl && i < sysctl->len; i++) {
                _cleanup_free_ char *dotted = NULL, *path = NULL;
                const struct husk_kv *kv = &sysctl->items[i];
                int r = key_forms(kv->key, &dotted, &path, err);
                if (r < 0)
                        return r;
                r = check_key(kv->key, dotted, net_private, ipc_private, uts_private, err);
                if (r < 0)
                        return r;
                const char *value = kv->value ? kv->value : "";
                if (domainname && *domainname && strcmp(dotted, "kernel.domainname") == 0 &&
                    strcmp(value, domainname) != 0)
                        return husk_error_set(err, 0, "linux.sysctl: `%s` (`%s`) conflicts with the `domainname` field (`%s`)",
                                              kv->key, value, domainname);
        }
        return 0;
}

int husk_sysctl_apply(const struct husk_kv_list *sysctl, bool net_private, bool ipc_private, bool uts_private,
                      struct husk_error **err)
{
        if (!sysctl || sysctl->len == 0)
                return 0;
        int r = husk_sysctl_validate(sysctl, net_private, ipc_private, uts_private, NULL, err);
        if (r < 0)
                return r;
        _cleanup_close_ int proc_root = husk_proc_root_open(err);
        if (proc_root < 0)
                return husk_error_wrap(err, "linux.sysctl");
        for (size_t i = 0; i < sysctl->len; i++) {
                _cleanup_free_ char *dotted = NULL, *path = NULL, *proc_path = NULL;
                const struct husk_kv *kv = &sysctl->items[i];
                r = key_forms(kv->key, &dotted, &path, err);
                if (r < 0)
                        return r;
                if (asprintf(&proc_path, "sys/%s", path) < 0)
                        return husk_error_set(err, ENOMEM, "linux.sysctl");
                r = husk_proc_writeat(proc_root, proc_path, kv->value ? kv->value : "", err);
                if (r < 0)
                        return husk_error_wrap(err, "linux.sysctl: `%s`", kv->key);
        }
        return 0;
}
