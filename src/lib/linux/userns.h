/* User namespace id maps, written by the parent for the init process. */
#pragma once

#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* Write linux.uidMappings/gidMappings to /proc/<pid>/{uid,gid}_map (husk running as root). */
int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, struct husk_error **err);
