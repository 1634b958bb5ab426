/* linux.personality: the execution domain (LINUX or LINUX32) of the container process. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

/*
 * personality(2) with the domain, in the container process before execve (the exec'd program
 * inherits it; LINUX32 makes uname(2) report a 32-bit machine such as i686). No-op when absent.
 * runtime-spec defines no flag yet, so any flag is an error naming it.
 */
int husk_personality_apply(const struct husk_personality *personality, struct husk_error **err);
