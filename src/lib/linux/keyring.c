/* The container's session keyring (keyctl(2), no libkeyutils). */
#include "linux/keyring.h"

#include <errno.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/proc.h"

/* Permission bits of keyctl_setperm(3): possessor, user, group, other, a byte each from the top. The
 * kernel makes a session keyring with possessor: all, user: view, read, link; runc adds search. */
#define KEY_SESSION_PERM 0x3f130000U
#define KEY_USR_SEARCH 0x00080000U
#define KEY_OTH_SEARCH 0x00000008U

static long keyctl_join(const char *name)
{
        return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
}

static int join_error(const char *name, struct husk_error **err)
{
        if (errno == EDQUOT)
                return husk_error_set(err, errno,
                                      "join a new session keyring `%s`: the owner's key quota is used up "
                                      "(kernel.keys.maxkeys, kernel.keys.maxbytes; --no-new-keyring skips it)",
                                      name);
        return husk_error_set(err, errno, "join a new session keyring `%s`", name);
}

/* The SELinux label of the keys this thread creates, "" to go back to the default (its own). */
static int set_key_label(const char *label, struct husk_error **err)
{
        int r = husk_proc_write("thread-self/attr/keycreate", label, err);
        return r < 0 ? husk_error_wrap(err, "process.selinuxLabel `%s`: label the session keyring", label) : 0;
}

/* Join (or make) the session keyring `name`, one made here labelled selinux_label when there is one.
 * *ret_id is -1 when the kernel has no keyrings (ENOSYS, passed over). */
static int join(const char *name, const char *selinux_label, long *ret_id, struct husk_error **err)
{
        bool labeled = selinux_label && *selinux_label;
        int r;
        if (labeled && (r = set_key_label(selinux_label, err)) < 0)
                return r;
        long id = keyctl_join(name);
        int saved = errno;
        if (labeled && (r = set_key_label("", err)) < 0)
                return r;
        *ret_id = id;
        errno = saved;
        return id < 0 && saved != ENOSYS ? join_error(name, err) : 0;
}

int husk_keyring_create_session(const char *name, bool in_userns, const char *selinux_label, struct husk_error **err)
{
        long id;
        int r = join(name, selinux_label, &id, err);
        if (r < 0 || id < 0)
                return r;
        /* Ours and new (nobody can know the name before): its permissions are the kernel's defaults. */
        unsigned int perm = KEY_SESSION_PERM | (in_userns ? KEY_OTH_SEARCH : KEY_USR_SEARCH);
        if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, perm, 0, 0) < 0)
                return husk_error_set(err, errno, "session keyring `%s`: set its permissions to %#x", name, perm);
        return 0;
}

int husk_keyring_join_session(const char *name, const char *selinux_label, struct husk_error **err)
{
        long id;
        return join(name, selinux_label, &id, err);
}
