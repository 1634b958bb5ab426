/* The exec trampoline: the container's process exec'd through a sealed copy of husk-trampoline. */
#include "linux/trampoline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "husk-config.h"
#include "linux/selfprotect.h"
#include "util/cleanup.h"
#include "util/io.h"

#if HUSK_HAVE_TRAMPOLINE
extern const unsigned char husk_trampoline_elf[];
extern const size_t husk_trampoline_elf_len;
#endif

bool husk_trampoline_built(void)
{
        return HUSK_HAVE_TRAMPOLINE;
}

int husk_trampoline_open(struct husk_error **err)
{
#if HUSK_HAVE_TRAMPOLINE
        _cleanup_close_ int fd = husk_selfprotect_memfd("husk-trampoline", err);
        if (fd < 0)
                return fd;
        int r = husk_write_all(fd, husk_trampoline_elf, husk_trampoline_elf_len);
        if (r < 0)
                return husk_error_set(err, -r, "trampoline: fill the memfd");
        r = husk_selfprotect_seal(fd, err);
        return r < 0 ? r : TAKE_FD(fd);
#else
        return husk_error_set(err, ENOTSUP, "trampoline: not built for this architecture");
#endif
}

int husk_trampoline_exec(int trampoline_fd, int error_fd, int join_fd, const char *path, char *const argv[],
                         char *const envp[], struct husk_error **err)
{
        size_t argc = 0;
        while (argv[argc])
                argc++;
        char error_text[16], join_text[16] = "-";
        snprintf(error_text, sizeof(error_text), "%d", error_fd);
        if (join_fd >= 0)
                snprintf(join_text, sizeof(join_text), "%d", join_fd);
        _cleanup_free_ char **targv = calloc(argc + 4, sizeof(char *));
        if (!targv)
                return husk_error_set(err, ENOMEM, "exec `%s`", path);
        targv[0] = error_text;
        targv[1] = join_text;
        targv[2] = (char *)path;
        memcpy(targv + 3, argv, argc * sizeof(char *));
        if (fcntl(error_fd, F_SETFD, 0) < 0 || (join_fd >= 0 && fcntl(join_fd, F_SETFD, 0) < 0))
                return husk_error_set(err, errno, "exec `%s`: keep the trampoline's fds open", path);
        syscall(SYS_execveat, trampoline_fd, "", targv, envp, AT_EMPTY_PATH);
        int saved = errno;
        (void)fcntl(error_fd, F_SETFD, FD_CLOEXEC);
        if (join_fd >= 0)
                (void)fcntl(join_fd, F_SETFD, FD_CLOEXEC);
        return husk_error_set(err, saved, "exec `%s` through the trampoline", path);
}
