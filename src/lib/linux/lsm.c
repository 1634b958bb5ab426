/* Linux security modules: the AppArmor profile and SELinux label the container process gets at execve. */
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/proc.h"
#include "util/cleanup.h"
#include "util/log.h"

bool husk_apparmor_enabled(void)
{
        /* Reading the current label fails (EINVAL) when AppArmor is built in but not active. */
        struct husk_error *err = NULL;
        char buf[256];
        ssize_t n = husk_proc_read("thread-self/attr/apparmor/current", buf, sizeof(buf), &err);
        husk_error_free(err);
        if (n > 0)
                return true;
        /* Kernels before 5.1 have no per-LSM directory: ask the module parameter. */
        _cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        char c = 0;
        return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool husk_selinux_enabled(void)
{
        /* selinuxfs is registered only when SELinux is enabled at boot (security/selinux/selinuxfs.c). */
        struct husk_error *err = NULL;
        char buf[4096];
        ssize_t n = husk_proc_read("filesystems", buf, sizeof(buf), &err);
        husk_error_free(err);
        return n > 0 && strstr(buf, "\tselinuxfs\n") != NULL;
}

/* Whether a field naming an AppArmor profile can be honoured; says why not in the debug log. */
static bool apparmor_usable(const char *field, const char *profile)
{
        if (husk_apparmor_enabled())
                return true;
        husk_debug("AppArmor is not enabled on this host (no attr/apparmor/current label, "
                   "/sys/module/apparmor/parameters/enabled is not Y): %s `%s` cannot be applied",
                   field, profile);
        return false;
}

static bool selinux_usable(const char *field, const char *label)
{
        if (husk_selinux_enabled())
                return true;
        husk_debug("SELinux is not enabled on this host (no selinuxfs in /proc/filesystems): %s `%s` cannot be applied",
                   field, label);
        return false;
}

static int apply_apparmor(const char *profile, struct husk_error **err)
{
        if (!apparmor_usable("process.apparmorProfile", profile))
                return husk_error_set(err, 0,
                                      "process.apparmorProfile `%s` is set but AppArmor is not enabled on this host",
                                      profile);
        _cleanup_free_ char *value = NULL;
        if (asprintf(&value, "exec %s", profile) < 0)
                return husk_error_set(err, ENOMEM, "process.apparmorProfile");
        struct husk_error *first = NULL;
        int r = husk_proc_write("thread-self/attr/apparmor/exec", value, &first);
        if (r < 0 && first->errnum == ENOENT) {
                husk_error_free(first);
                first = NULL;
                r = husk_proc_write("thread-self/attr/exec", value, &first);
        }
        if (r < 0) {
                r = husk_error_set(err, first->errnum, "process.apparmorProfile `%s` (is the profile loaded?): %s", profile,
                                   first->msg);
                husk_error_free(first);
                return r;
        }
        return 0;
}

static int apply_selinux(const char *label, struct husk_error **err)
{
        if (!selinux_usable("process.selinuxLabel", label))
                return husk_error_set(err, 0, "process.selinuxLabel `%s` is set but SELinux is not enabled on this host",
                                      label);
        int r = husk_proc_write("thread-self/attr/exec", label, err);
        if (r < 0)
                return husk_error_wrap(err, "process.selinuxLabel `%s`", label);
        return 0;
}

int husk_lsm_apply(const struct husk_process *p, struct husk_error **err)
{
        if (p->apparmor_profile && *p->apparmor_profile) {
                int r = apply_apparmor(p->apparmor_profile, err);
                if (r < 0)
                        return r;
        } else {
                husk_debug("no AppArmor profile for the container process");
        }
        if (p->selinux_label && *p->selinux_label) {
                int r = apply_selinux(p->selinux_label, err);
                if (r < 0)
                        return r;
        } else {
                husk_debug("no SELinux label for the container process");
        }
        return 0;
}

int husk_lsm_validate(const struct husk_spec *spec, struct husk_error **err)
{
        const char *profile = spec->process.apparmor_profile;
        const char *label = spec->process.selinux_label;
        const char *mount_label = spec->linux_.mount_label;
        if (profile && *profile && !apparmor_usable("process.apparmorProfile", profile))
                return husk_error_set(err, 0,
                                      "process.apparmorProfile `%s` is set but AppArmor is not enabled on this host",
                                      profile);
        if (label && *label && !selinux_usable("process.selinuxLabel", label))
                return husk_error_set(err, 0, "process.selinuxLabel `%s` is set but SELinux is not enabled on this host",
                                      label);
        if (mount_label && *mount_label && !selinux_usable("linux.mountLabel", mount_label))
                return husk_error_set(err, 0, "linux.mountLabel `%s` is set but SELinux is not enabled on this host",
                                      mount_label);
        return 0;
}
