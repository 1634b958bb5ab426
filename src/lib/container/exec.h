/* exec: run another process in a running container's namespaces, cgroup and security context. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/container.h"
#include "util/error.h"

struct husk_exec_options {
        const char *process_file; /* -p: a process JSON ("-" is stdin); NULL: the config's + flags */
        char **args;              /* the command, when there is no process file */
        char **env;               /* -e: added to (or replacing in) the config's env */
        const char *cwd;          /* --cwd */
        const char *user;         /* -u UID[:GID] */
        gid_t *additional_gids;   /* -g: after the config's, as runc */
        size_t additional_gids_len;
        char **caps;               /* -c: added to bounding, effective, permitted (and ambient, as runc) */
        const char *process_label; /* --process-label */
        const char *apparmor;      /* --apparmor */
        bool tty;                  /* -t */
        int no_new_privs;          /* --no-new-privs[=BOOL]: process.noNewPrivileges when >= 0 */
        bool detach;               /* -d */
        bool ignore_paused;        /* --ignore-paused */
        const char *console_socket;
        const char *pid_file;
        const char *pidfd_socket;
        char **cgroups;     /* --cgroup: "path" or "ctrl[,ctrl]:path" sub-cgroups of the container's */
        int preserve_fds;
};

/*
 * Run a process in container id (created, running, or paused with ignore_paused): it joins the
 * container's namespaces, cgroup, rlimits, capabilities, seccomp filter and LSM labels, in a
 * session of its own. Foreground: forwards signals (and proxies a tty) until it exits and returns
 * its exit status in *ret_status (128+N for signal N). detach: returns once it has exec'd, with
 * *ret_status 0; the process outlives husk (reparented to the caller's subreaper). A pid file or
 * pidfd that cannot be handed over kills the process and fails.
 */
int husk_container_exec(const struct husk_runtime *rt, const char *id, const struct husk_exec_options *opts,
                        int *ret_status, struct husk_error **err);

/* A uid or gid of -u or -g: the len bytes at text are decimal digits (a leading + too, as Go's Atoi takes),
 * at most HUSK_ID_MAX. No space, sign or empty field, which strtoul would let through. */
bool husk_exec_parse_id(const char *text, size_t len, uint32_t *ret);
