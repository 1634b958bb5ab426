/* process.rlimits applied with setrlimit before the user switch. */
#pragma once

#include "spec/spec.h"
#include "util/error.h"

int husk_rlimits_apply(const struct husk_process *process, struct husk_error **err);
