/* linux.netDevices: move host network devices into the container's network namespace (rtnetlink, no libnl). */
#pragma once

#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * In the runtime (parent), with an fd of the container's network namespace, for each device:
 *  1. note its permanent, universe-scope addresses (the kernel drops addresses when a device
 *     changes namespace; link-local and dynamic ones belong to the old namespace),
 *  2. set it down,
 *  3. move and rename it in one RTM_NEWLINK (IFLA_NET_NS_FD + IFLA_IFNAME), so a name taken
 *     on the host but free in the container never collides,
 *  4. add the noted addresses back on the device in the container's namespace.
 * The device is left down (network configuration is not part of runtime-spec's netDevices).
 * `name` NULL or empty keeps the host name. Kernel refusals carry the kernel's extended-ack
 * text. Devices moved before a failure stay moved: when the container is torn down its
 * namespace goes away and the kernel returns physical devices to the initial namespace.
 * Needs CAP_NET_ADMIN in both namespaces and CAP_SYS_ADMIN for setns (one socket is opened
 * inside the target namespace; the caller's namespace is restored before returning).
 */
int husk_netdev_move(const struct husk_net_device *devs, size_t n, int netns_fd, struct husk_error **err);
