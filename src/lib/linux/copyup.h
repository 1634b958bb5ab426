/* tmpcopyup: fill a new tmpfs with a copy of the directory it is about to cover (copyup.c). */
#pragma once

#include "util/error.h"

/* Copy what the directory src_dir holds (not itself) into dst_dir: contents, modes, owners; symlinks as
 * symlinks, never followed. An error names the entry, relative to src_dir. */
int husk_copyup(int src_dir, int dst_dir, struct husk_error **err);
