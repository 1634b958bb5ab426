/* Whole-buffer reads and writes on an fd, across short transfers and EINTR. */
#pragma once

#include <stddef.h>

/* Write all n bytes of p: 0, or -errno (-EIO when write(2) makes no progress). */
int husk_write_all(int fd, const void *p, size_t n);

/* Read exactly n bytes into p: 0, or -errno (-EIO at end of file before n). */
int husk_read_all(int fd, void *p, size_t n);
