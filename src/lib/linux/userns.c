/* User namespace id maps, written by the parent for the init process. */
#include "linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

static int write_map(pid_t pid, const char *file, const struct husk_id_mappings *maps, const char *field,
                     struct husk_error **err)
{
        if (maps->len == 0)
                return 0;
        char path[64];
        _cleanup_free_ char *buf = malloc(maps->len * 40 + 1);
        if (!buf)
                return husk_error_set(err, ENOMEM, "%s", field);
        size_t len = 0;
        for (size_t i = 0; i < maps->len; i++)
                len += (size_t)sprintf(buf + len, "%u %u %u\n", maps->items[i].container_id, maps->items[i].host_id,
                                       maps->items[i].size);
        snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return husk_error_set(err, errno, "%s: open `%s`", field, path);
        /* The whole map must go in one write. */
        if (write(fd, buf, len) != (ssize_t)len)
                return husk_error_set(err, errno, "%s: write `%s`", field, path);
        return 0;
}

int husk_userns_write_maps(pid_t pid, const struct husk_spec *spec, struct husk_error **err)
{
        int r = write_map(pid, "uid_map", &spec->linux_.uid_mappings, "linux.uidMappings", err);
        if (r < 0)
                return r;
        return write_map(pid, "gid_map", &spec->linux_.gid_mappings, "linux.gidMappings", err);
}
