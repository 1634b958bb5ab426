/* Host capability probes for `husk check`: what this kernel and host offer containers, found by real syscalls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum husk_probe_status {
        HUSK_PROBE_OK = 0,
        HUSK_PROBE_WARNING, /* usable, but something is degraded or only some uses work */
        HUSK_PROBE_MISSING,
};

struct husk_probe_item {
        const char *name;     /* stable, static: "cgroup.layout", "openat2", ... */
        bool required;        /* husk cannot run root containers without it */
        enum husk_probe_status status;
        char *value;          /* short machine-readable value ("hybrid", "cpu memory pids", "3.17"), or NULL */
        char *detail;         /* one line for people */
        char *fix;            /* how to get it, NULL when status is OK */
};

struct husk_probe_report {
        struct husk_probe_item *items;
        size_t len;
};

/*
 * Probe the host as seen by the caller: cgroup layout, controllers and delegation, user namespaces
 * and the caller's subordinate ids, newuidmap/newgidmap, namespaces, seccomp (and user notification),
 * openat2, clone3, the new mount API, mount_setattr, time namespaces, pidfd_open, LSMs and CRIU.
 * Probes that need a new namespace run in a short-lived child, so the caller is never changed.
 * Fails only when memory runs out; a failed probe is an item, not an error.
 */
int husk_probe_host(struct husk_probe_report *ret, struct husk_error **err);

/* True when no required item is missing (warnings are fine). */
bool husk_probe_report_ok(const struct husk_probe_report *report);

void husk_probe_report_done(struct husk_probe_report *report);

const char *husk_probe_status_name(enum husk_probe_status status);
