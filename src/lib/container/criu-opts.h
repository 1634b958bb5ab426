/* What checkpoint and restore tell criu alike: the config file, the cgroup mode, the host's binds. */
#pragma once

#include <stdbool.h>

#include "container/container.h"
#include "linux/criu.h"
#include "spec/spec.h"
#include "util/error.h"

/* runc writes the init's stdio here (the targets of /proc/<pid>/fd/0..2, as a JSON array) and
 * restore gives criu the caller's own pipes for those that were pipes. */
#define HUSK_CRIU_DESCRIPTORS "descriptors.json"

/* The criu binary (--criu, else `criu` on PATH) and its command (dump, restore...): the first two
 * arguments. */
void husk_criu_add_command(struct husk_criu_args *a, const struct husk_runtime *rt, const char *command);

/*
 * The image and work directories made absolute (a relative one is taken from the current directory), in
 * *ret_image and *ret_work (NULL without --work-path), which the caller frees. criu changes into its work
 * directory before it opens its log, so a relative path would be taken twice.
 */
int husk_criu_absolute_dirs(const struct husk_criu_options *o, char **ret_image, char **ret_work,
                            struct husk_error **err);

/* The flags that take a value from a fixed set, checked before anything is made. */
int husk_criu_check_choices(const struct husk_criu_options *o, struct husk_error **err);

/* What checkpoint and restore pass alike: the shared boolean flags, the cgroup mode, --empty-ns net
 * (always, as runc) and --work-dir (the image directory and the log are the caller's). o's choices are
 * checked already (husk_criu_check_choices). */
int husk_criu_add_common(struct husk_criu_args *a, const struct husk_criu_options *o, struct husk_error **err);

/* --manage-cgroups-mode: soft, full, strict or ignore (runc's), empty or NULL for criu's default. */
int husk_criu_cgroups_mode(struct husk_criu_args *a, const char *mode, struct husk_error **err);

/* --empty-ns: "network" only, as runc (criu can leave only that one empty), and that one
 * husk_criu_add_common always passes. */
int husk_criu_empty_ns(struct husk_criu_args *a, const char *ns, struct husk_error **err);

/* The config annotation naming a criu configuration file on the host (as runc's). */
#define HUSK_CRIU_CONFIG_ANNOTATION "org.criu.config"

/* runc's configuration file for criu: the annotation org.criu.config (empty: none), else
 * /etc/criu/runc.conf when it exists. */
void husk_criu_config_file(struct husk_criu_args *a, const struct husk_spec *spec);

/* Whether a spec mount is a bind from the host. */
bool husk_criu_mount_is_bind(const struct husk_mount *m);

/* The mount point criu knows a destination by: husk_path_clean's (runc cleans it the same way,
 * lexically, inside the rootfs). Caller frees; NULL: ENOMEM. */
char *husk_criu_mount_key(const char *destination);

/* criu's boolean flags, each added when on. */
struct husk_criu_flag {
        bool on;
        const char *flag;
};
void husk_criu_add_flags(struct husk_criu_args *a, const struct husk_criu_flag *flags, size_t len);
