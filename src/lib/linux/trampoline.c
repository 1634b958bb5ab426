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

/* Keep fd open across the trampoline's exec (on = true), or close it on exec again. */
static int keep_open(int fd, bool on)
{
        return fd < 0 ? 0 : fcntl(fd, F_SETFD, on ? 0 : FD_CLOEXEC);
}

int husk_trampoline_exec(int trampoline_fd, int error_fd, int join_fd, int start_fd, const char *path,
                         char *const argv[], char *const envp[], struct husk_error **err)
{
        size_t argc = 0;
        while (argv[argc])
                argc++;
        char error_text[16], join_text[16] = "-", start_text[16] = "-";
        snprintf(error_text, sizeof(error_text), "%d", error_fd);
        if (join_fd >= 0)
                snprintf(join_text, sizeof(join_text), "%d", join_fd);
        if (start_fd >= 0)
                snprintf(start_text, sizeof(start_text), "%d", start_fd);
        _cleanup_free_ char **targv = calloc(argc + 5, sizeof(char *));
        if (!targv)
                return husk_error_set(err, ENOMEM, "exec `%s`", path);
        targv[0] = error_text;
        targv[1] = join_text;
        targv[2] = start_text;
        targv[3] = (char *)path;
        memcpy(targv + 4, argv, argc * sizeof(char *));
        if (keep_open(error_fd, true) < 0 || keep_open(join_fd, true) < 0 || keep_open(start_fd, true) < 0)
                return husk_error_set(err, errno, "exec `%s`: keep the trampoline's fds open", path);
        syscall(SYS_execveat, trampoline_fd, "", targv, envp, AT_EMPTY_PATH);
        int saved = errno;
        (void)keep_open(error_fd, false);
        (void)keep_open(join_fd, false);
        (void)keep_open(start_fd, false);
        return husk_error_set(err, saved, "exec `%s` through the trampoline", path);
}
