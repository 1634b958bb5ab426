/* linux.sysctl: namespaced kernel parameters written under /proc/sys of the container. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * Only sysctls the container's namespaces isolate are accepted (runc's rules); anything else
 * is an error naming the key, checked for all keys before the first write:
 *  - kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, shm_rmid_forced, fs.mqueue.*:
 *    need netns-independent IPC isolation, i.e. `ipc_private`;
 *  - net.*: need `net_private`;
 *  - kernel.domainname: needs `uts_private`; kernel.hostname is refused (it conflicts with the
 *    `hostname` field).
 * "private" means the container does not share the runtime's namespace of that type (a new
 * one, or one joined by path that is not the runtime's own).
 * Keys use '.' (net.ipv4.ip_forward) or, when the first separator is '/', '/' with '.' kept
 * inside names (net/ipv4/conf/eth0.100/forwarding), as sysctl(8) and runc accept.
 * Call in the container after its /proc is mounted and before readonlyPaths make /proc/sys
 * read-only; values are written through the verified procfs (proc.h).
 */
int husk_sysctl_apply(const struct husk_kv_list *sysctl, bool net_private, bool ipc_private, bool uts_private,
                      struct husk_error **err);

/*
 * The checks alone, for validating a config in the parent before anything is created. With the `domainname`
 * field (NULL: not checked), a kernel.domainname set to something else is refused too, as crun does (one would
 * silently win; runc lets the sysctl win). The same value in both is accepted.
 */
int husk_sysctl_validate(const struct husk_kv_list *sysctl, bool net_private, bool ipc_private, bool uts_private,
                         const char *domainname, struct husk_error **err);
