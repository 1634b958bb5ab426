/* subreaper: runs a command as a child subreaper, so tests can see who inherits what a runtime leaves running. */
/*
 * usage: subreaper COMMAND [ARG...]
 * Sets PR_SET_CHILD_SUBREAPER, runs COMMAND (the command sees this process as $PPID) and, after it exits, reaps
 * every orphan that was reparented here until none is left. Exits with COMMAND's status (128+N for signal N).
 * Gives up after 120 seconds so a leftover process cannot hang the test suite.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: subreaper COMMAND [ARG...]\n");
                return 2;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
                fprintf(stderr, "subreaper: prctl: %s\n", strerror(errno));
                return 1;
        }
        alarm(120);
        pid_t child = fork();
        if (child < 0) {
                fprintf(stderr, "subreaper: fork: %s\n", strerror(errno));
                return 1;
        }
        if (child == 0) {
                alarm(0);
                execvp(argv[1], argv + 1);
                fprintf(stderr, "subreaper: exec %s: %s\n", argv[1], strerror(errno));
                _exit(127);
        }
        int result = 1, status;
        pid_t pid;
        while ((pid = wait(&status)) > 0 || errno == EINTR)
                if (pid == child)
                        result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return result;
}
