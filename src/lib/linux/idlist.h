/* Parsing of the kernel's list format for CPU and NUMA node sets ("0-3,7"), as used by execCPUAffinity and memoryPolicy. */
#pragma once

#include <stddef.h>

#include "util/error.h"

/*
 * Parse `list` ("0-3,7", "5", "0-1,4-5"; blanks around items and a trailing newline are allowed)
 * into a bitmap of unsigned longs with bit n set for each listed id n. Ids must be <= max_id.
 * An empty list gives an empty bitmap (*ret_nbits == 0, *ret_bits == NULL).
 * `what` names the field in errors ("process.execCPUAffinity.initial").
 * *ret_nbits is the highest id + 1; the array holds enough longs for it.
 */
int husk_idlist_parse(const char *list, unsigned int max_id, const char *what, unsigned long **ret_bits,
                      size_t *ret_nbits, struct husk_error **err);
