/* The loopback device of a network namespace the runtime made: SIOCSIFFLAGS on `lo`. */
#include "linux/loopback.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "util/cleanup.h"

int husk_loopback_up(struct husk_error **err)
{
        /* Any socket reaches the device ioctls; its namespace is the one it is created in. */
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return husk_error_set(err, errno, "network namespace: bring `lo` up: socket");
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, "lo", sizeof("lo"));
        /* A new namespace's lo has no flag SIOCSIFFLAGS sets or clears (only IFF_LOOPBACK): nothing
         * to read first. */
        ifr.ifr_flags = IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return husk_error_set(err, errno, "network namespace: bring `lo` up");
        return 0;
}
