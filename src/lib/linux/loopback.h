/* The loopback device of a network namespace the runtime made. */
#pragma once

#include "util/error.h"

/*
 * Bring `lo` up in the caller's network namespace, which must be one husk created: a new namespace
 * starts with it down and no address, and runc and crun bring it up (the kernel then gives it
 * 127.0.0.1/8 and ::1), so programs may use localhost. Needs CAP_NET_ADMIN over the namespace.
 */
int husk_loopback_up(struct husk_error **err);
