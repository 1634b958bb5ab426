/* The container process's identity: groups, gid, uid, umask. */
#include "linux/user.h"

#include <errno.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int husk_user_switch(const struct husk_user *user, bool setgroups_allowed, struct husk_error **err)
{
        if (setgroups_allowed && setgroups(user->additional_gids_len, user->additional_gids) < 0)
                return husk_error_set(err, errno, "process.user.additionalGids: setgroups");
        if (!setgroups_allowed && user->additional_gids_len)
                return husk_error_set(err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
        if (user->uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "keep capabilities across setuid");
        if (setresgid(user->gid, user->gid, user->gid) < 0)
                return husk_error_set(err, errno, "process.user.gid: setresgid %u", user->gid);
        if (setresuid(user->uid, user->uid, user->uid) < 0)
                return husk_error_set(err, errno, "process.user.uid: setresuid %u", user->uid);
        return 0;
}

void husk_user_umask(const struct husk_user *user)
{
        umask(user->has_umask ? user->umask : 0022);
}
