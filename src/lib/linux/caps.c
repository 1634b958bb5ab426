/* Process capabilities: the bounding, effective, permitted, inheritable and ambient sets of the container process. */
#include "linux/caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

#define BIT(cap) (UINT64_C(1) << (cap))

static int cached_last_cap = -1;

int husk_caps_last_cap(void)
{
        if (cached_last_cap >= 0)
                return cached_last_cap;
        /* PR_CAPBSET_READ fails with EINVAL exactly for numbers above the kernel's last cap. */
        int lo = 0, hi = 63;
        if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) < 0)
                return cached_last_cap = CAP_LAST_CAP; /* cannot happen on Linux >= 2.6.25 */
        while (lo < hi) {
                int mid = (lo + hi + 1) / 2;
                if (prctl(PR_CAPBSET_READ, (unsigned long)mid, 0, 0, 0) >= 0)
                        lo = mid;
                else
                        hi = mid - 1;
        }
        return cached_last_cap = lo;
}

static uint64_t kernel_cap_mask(void)
{
        int last = husk_caps_last_cap();
        return last >= 63 ? UINT64_MAX : BIT(last + 1) - 1;
}

static int capget_raw(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable, struct husk_error **err)
{
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {0};
        if (syscall(SYS_capget, &header, data) < 0)
                return husk_error_set(err, errno, "capget");
        *effective = data[0].effective | (uint64_t)data[1].effective << 32;
        *permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
        *inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
        return 0;
}

static int capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable, struct husk_error **err)
{
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
                {(uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable},
                {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32)},
        };
        if (syscall(SYS_capset, &header, data) < 0)
                return husk_error_set(err, errno,
                                      "capset (effective 0x%016llx, permitted 0x%016llx, inheritable 0x%016llx)",
                                      (unsigned long long)effective, (unsigned long long)permitted,
                                      (unsigned long long)inheritable);
        return 0;
}

int husk_caps_keep_for_setuid(struct husk_error **err)
{
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "prctl(PR_SET_KEEPCAPS)");
        return 0;
}

static void warn_unknown(uint64_t requested, uint64_t known)
{
        uint64_t unknown = requested & ~known;
        for (int cap = 0; cap < 64; cap++)
                if (unknown & BIT(cap))
                        husk_warn("capability %d is not known to the running kernel (last is %d): skipped", cap,
                                  husk_caps_last_cap());
}

static int drop_bounding(uint64_t keep, struct husk_error **err)
{
        int last = husk_caps_last_cap();
        for (int cap = 0; cap <= last; cap++) {
                if (keep & BIT(cap))
                        continue;
                /* Dropping one already gone succeeds too, but needs CAP_SETPCAP: look only when refused. */
                if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) == 0)
                        continue;
                int e = errno;
                int in_set = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
                if (in_set < 0)
                        return husk_error_set(err, errno, "read capability %d of the bounding set", cap);
                if (in_set > 0)
                        return husk_error_set(err, e, "drop capability %d from the bounding set", cap);
        }
        return 0;
}

static int set_ambient(uint64_t ambient, uint64_t permitted, uint64_t inheritable, struct husk_error **err)
{
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
                if (errno == EINVAL && ambient == 0)
                        return 0; /* kernel without ambient capabilities (< 4.3) and none asked for */
                return husk_error_set(err, errno, "clear the ambient capabilities");
        }
        for (int cap = 0; cap < 64; cap++) {
                if (!(ambient & BIT(cap)))
                        continue;
                /* The kernel refuses (EPERM) an ambient cap that is not permitted and inheritable;
                 * `runc spec` itself asks for that, and runc ignores it, so only debug. */
                if (!(permitted & inheritable & BIT(cap))) {
                        husk_debug("ambient %s is not in both the permitted and inheritable sets: not raised",
                                   husk_capability_name(cap) ? husk_capability_name(cap) : "capability");
                        continue;
                }
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0) < 0)
                        return husk_error_set(err, errno, "raise ambient capability %d", cap);
        }
        return 0;
}

int husk_caps_apply(const struct husk_capabilities *caps, struct husk_error **err)
{
        static const struct husk_capabilities none = {0};
        if (!caps || !caps->present)
                caps = &none;

        uint64_t known = kernel_cap_mask();
        warn_unknown(caps->bounding | caps->effective | caps->permitted | caps->inheritable | caps->ambient, known);
        uint64_t bounding = caps->bounding & known, effective = caps->effective & known;
        uint64_t permitted = caps->permitted & known, inheritable = caps->inheritable & known;
        uint64_t ambient = caps->ambient & known;

        uint64_t cur_effective = 0, cur_permitted = 0, cur_inheritable = 0;
        int r = capget_raw(&cur_effective, &cur_permitted, &cur_inheritable, err);
        if (r < 0)
                return r;
        /* After setuid(non-zero) with keepcaps the effective set is empty: take back what is permitted. */
        if (cur_effective != cur_permitted) {
                r = capset_raw(cur_permitted, cur_permitted, cur_inheritable, err);
                if (r < 0)
                        return husk_error_wrap(err, "raise the effective capabilities");
        }
        r = drop_bounding(bounding, err);
        if (r < 0)
                return r;
        r = capset_raw(effective, permitted, inheritable, err);
        if (r < 0)
                return r;
        r = set_ambient(ambient, permitted, inheritable, err);
        if (r < 0)
                return r;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return husk_error_set(err, errno, "prctl(PR_SET_KEEPCAPS, 0)");
        return 0;
}
