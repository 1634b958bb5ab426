/* Linux security modules: the AppArmor profile and SELinux label the container process gets at execve. */
#pragma once

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/*
 * In the container process, after pivot_root (it writes to the container's verified /proc)
 * and before execve; both take effect at the next execve:
 *  - process.apparmorProfile: "exec <profile>" to /proc/thread-self/attr/apparmor/exec
 *    (attr/exec on kernels without per-LSM directories);
 *  - process.selinuxLabel: the label to /proc/thread-self/attr/exec.
 * As runc: a profile or label given while that LSM is not enabled on the host is an error
 * (running unconfined when confinement was asked for is not a silent fallback), and the debug
 * log names the missing LSM and how it was probed. Absent or empty fields do nothing
 * (husk_debug says so).
 */
int husk_lsm_apply(const struct husk_process *p, struct husk_error **err);

/*
 * In the parent, before anything on the host changes: refuse a config whose LSM fields this
 * host cannot honour, with the errors of husk_lsm_apply (and the same debug lines):
 * process.apparmorProfile without AppArmor, process.selinuxLabel or linux.mountLabel without
 * SELinux. runc 1.1.5 refuses all three too: selinuxLabel when it validates the config
 * ("selinux label is specified in config, but selinux is disabled or not supported"),
 * apparmorProfile in its init (writing attr/exec fails with EINVAL) and mountLabel when the
 * kernel rejects the `context=` option of the first tmpfs mount (EINVAL).
 */
int husk_lsm_validate(const struct husk_spec *spec, struct husk_error **err);

/* Whether the running kernel has AppArmor / SELinux active, probed through procfs (works after pivot_root). */
bool husk_apparmor_enabled(void);
bool husk_selinux_enabled(void);
