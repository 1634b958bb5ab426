/* The systemd cgroup driver (--systemd-cgroup): a transient scope unit per container, made over D-Bus. */
#include "cgroup/systemd.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup-internal.h"
#include "cgroup/systemd-internal.h"
#include "util/cleanup.h"
#include "util/dbus.h"
#include "util/log.h"

#define SYSTEMD_SOCKET "/run/systemd/private"
#define MANAGER_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"
/* runc waits 30 s for systemd's job; a loaded host can be slow. */
#define JOB_TIMEOUT_MS 30000
#define CALL_TIMEOUT_MS 25000

void husk_systemd_unit_clear(struct husk_systemd_unit *u)
{
        free(u->slice);
        free(u->name);
        u->slice = u->name = NULL;
        for (size_t i = 0; i < u->properties_len; i++) {
                free(u->properties[i].name);
                free(u->properties[i].string);
        }
        free(u->properties);
        u->properties = NULL;
        u->properties_len = 0;
}

/* systemd's unit name characters: ASCII letters, digits, ":-_.\"; no leading '.', and not too long. */
static bool valid_unit_part(const char *s)
{
        if (!*s)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr(":-_.\\", *p)))
                        return false;
        return true;
}

int husk_systemd_unit_parse(const char *cgroups_path, const char *id, bool user, struct husk_systemd_unit *ret,
                            struct husk_error **err)
{
        const char *slice = user ? "user.slice" : "system.slice", *prefix = "husk", *name = id;
        _cleanup_free_ char *copy = NULL;
        if (cgroups_path && *cgroups_path) {
                copy = strdup(cgroups_path);
                if (!copy)
                        return husk_error_set(err, ENOMEM, "allocate");
                char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':'))
                        return husk_error_set(err, 0,
                                              "linux.cgroupsPath `%s`: the systemd cgroup driver needs "
                                              "\"slice:prefix:name\" (e.g. \"system.slice:husk:web\")",
                                              cgroups_path);
                *c1 = *c2 = '\0';
                slice = *copy ? copy : slice;
                prefix = c1 + 1;
                name = c2 + 1;
        }
        size_t slice_len = strlen(slice);
        /* "-.slice" is the root slice (runc's ExpandSlice makes it "/"); no other dash may lead or end a name. */
        bool root_slice = strcmp(slice, "-.slice") == 0;
        if (!valid_unit_part(slice) || slice_len < 7 || strcmp(slice + slice_len - 6, ".slice") != 0 ||
            (!root_slice && (strstr(slice, "--") || slice[0] == '-' || slice[slice_len - 7] == '-')))
                return husk_error_set(
                    err, 0, "linux.cgroupsPath: `%s` is not a slice unit name (e.g. \"system.slice\")", slice);
        if (!valid_unit_part(name) || (*prefix && !valid_unit_part(prefix)))
                return husk_error_set(err, 0,
                                      "linux.cgroupsPath: the prefix `%s` and name `%s` make no unit name "
                                      "(letters, digits and \":-_.\\\" only)",
                                      prefix, name);
        size_t name_len = strlen(name);
        if (name_len > 6 && strcmp(name + name_len - 6, ".slice") == 0)
                return husk_error_set(err, 0,
                                      "linux.cgroupsPath: a slice as the container's own unit (`%s`) is not "
                                      "supported: name a scope",
                                      name);
        char *unit = NULL;
        /* Joined by a dash also when the prefix is empty ("-name.scope"): runc's name, which tools compute. */
        if (asprintf(&unit, "%s-%s.scope", prefix, name) < 0)
                return husk_error_set(err, ENOMEM, "allocate");
        /* systemd refuses names longer than this (UNIT_NAME_MAX - 1). */
        if (strlen(unit) > 255) {
                free(unit);
                return husk_error_set(err, 0, "linux.cgroupsPath: the unit name `%s-%s.scope` is too long", prefix,
                                      name);
        }
        ret->slice = strdup(slice);
        ret->name = unit;
        if (!ret->slice) {
                husk_systemd_unit_clear(ret);
                return husk_error_set(err, ENOMEM, "allocate");
        }
        return 0;
}

/* Hand an error looked at here on to the caller's err (which may be NULL). */
static void pass_error(struct husk_error **err, struct husk_error **mine)
{
        if (err && !*err)
                *err = TAKE_PTR(*mine);
}

struct job_wait {
        const char *job;
        char *result;
};

/* JobRemoved(u id, o job, s unit, s result) for our job. */
static bool job_removed_is(const struct husk_dbus_message *m, void *data)
{
        struct job_wait *w = data;
        if (!m->signature || strcmp(m->signature, "uoss") != 0)
                return false;
        struct husk_dbus_reader r = husk_dbus_message_body(m);
        husk_dbus_get_u32(&r);
        const char *job = husk_dbus_get_string(&r);
        husk_dbus_get_string(&r);
        const char *result = husk_dbus_get_string(&r);
        if (r.failed || strcmp(job, w->job) != 0)
                return false;
        w->result = strdup(result);
        return true;
}

/* The job path from a reply of signature "o"; wait for it to end, "done" or the error. */
static int wait_job(struct husk_dbus *bus, struct husk_dbus_message *reply, const char *what, struct husk_error **err)
{
        struct husk_dbus_reader r = husk_dbus_message_body(reply);
        const char *job = reply->signature && strcmp(reply->signature, "o") == 0 ? husk_dbus_get_string(&r) : NULL;
        if (!job)
                return husk_error_set(err, EPROTO, "%s: systemd answered without a job", what);
        struct job_wait w = {.job = job};
        int ret =
            husk_dbus_wait_signal(bus, MANAGER_IFACE, "JobRemoved", job_removed_is, &w, JOB_TIMEOUT_MS, NULL, err);
        if (ret < 0)
                return husk_error_wrap(err, "%s", what);
        _cleanup_free_ char *result = w.result;
        if (!result)
                return husk_error_set(err, ENOMEM, "allocate");
        if (strcmp(result, "done") != 0)
                return husk_error_set(err, 0, "%s: systemd's job ended `%s`", what, result);
        return 0;
}

/* The system manager's private socket, or the caller's user manager's in its runtime directory. */
static int connect_systemd(bool user, struct husk_dbus **ret, struct husk_error **err)
{
        if (!user)
                return husk_dbus_connect(SYSTEMD_SOCKET, ret, err);
        char path[PATH_MAX];
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int n = runtime && *runtime ? snprintf(path, sizeof(path), "%s/systemd/private", runtime)
                                    : snprintf(path, sizeof(path), "/run/user/%u/systemd/private", (unsigned)geteuid());
        if (n < 0 || (size_t)n >= sizeof(path))
                return husk_error_set(err, ENAMETOOLONG, "$XDG_RUNTIME_DIR is too long");
        return husk_dbus_connect(path, ret, err);
}

/* The Manager's signals (JobRemoved) from now on, kept while other calls wait for their replies. */
static int subscribe(struct husk_dbus *bus, struct husk_error **err)
{
        int r = husk_dbus_watch(bus, MANAGER_IFACE, err);
        if (r < 0)
                return r;
        return husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "Subscribe", NULL, NULL, CALL_TIMEOUT_MS, NULL, err);
}

static int call_with_unit(struct husk_dbus *bus, const char *member, const char *unit, const char *mode,
                          struct husk_dbus_message **ret, struct husk_error **err)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, unit);
        if (mode)
                husk_dbus_put_string(&w, mode);
        int r =
            husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, member, mode ? "ss" : "s", &w, CALL_TIMEOUT_MS, ret, err);
        husk_dbus_writer_free(&w);
        return r;
}

/* The unit's cgroup: GetUnit, then its Scope interface's ControlGroup property. */
static int unit_cgroup(struct husk_dbus *bus, const char *unit, char **ret, struct husk_error **err)
{
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        int r = call_with_unit(bus, "GetUnit", unit, NULL, &reply, err);
        if (r < 0)
                return r;
        struct husk_dbus_reader rd = husk_dbus_message_body(reply);
        const char *path = reply->signature && strcmp(reply->signature, "o") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!path)
                return husk_error_set(err, EPROTO, "GetUnit `%s`: no object path in the answer", unit);
        _cleanup_free_ char *object = strdup(path);
        if (!object)
                return husk_error_set(err, ENOMEM, "allocate");
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, "org.freedesktop.systemd1.Scope");
        husk_dbus_put_string(&w, "ControlGroup");
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *value = NULL;
        r = husk_dbus_call(bus, object, "org.freedesktop.DBus.Properties", "Get", "ss", &w, CALL_TIMEOUT_MS, &value,
                           err);
        husk_dbus_writer_free(&w);
        if (r < 0)
                return husk_error_wrap(err, "unit `%s`", unit);
        rd = husk_dbus_message_body(value);
        const char *type = value->signature && strcmp(value->signature, "v") == 0 ? husk_dbus_get_signature(&rd) : NULL;
        const char *cgroup = type && strcmp(type, "s") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!cgroup || cgroup[0] != '/')
                return husk_error_set(err, EPROTO, "unit `%s`: systemd names no cgroup for it", unit);
        *ret = strdup(cgroup);
        return *ret ? 0 : husk_error_set(err, ENOMEM, "allocate");
}

/* The manager's version ("252.39-1~deb12u2" is 252), for properties older ones lack; 0 when it does not say. */
static unsigned manager_version(struct husk_dbus *bus)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, MANAGER_IFACE);
        husk_dbus_put_string(&w, "Version");
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *value = NULL;
        _cleanup_error_ struct husk_error *local = NULL;
        int r = husk_dbus_call(bus, MANAGER_PATH, "org.freedesktop.DBus.Properties", "Get", "ss", &w, CALL_TIMEOUT_MS,
                               &value, &local);
        husk_dbus_writer_free(&w);
        if (r < 0) {
                husk_debug("systemd: no Version: %s", local ? local->msg : "");
                return 0;
        }
        struct husk_dbus_reader rd = husk_dbus_message_body(value);
        const char *type = value->signature && strcmp(value->signature, "v") == 0 ? husk_dbus_get_signature(&rd) : NULL;
        const char *version = type && strcmp(type, "s") == 0 ? husk_dbus_get_string(&rd) : NULL;
        if (!version)
                return 0;
        version += strspn(version, "\"v");
        return (unsigned)strtoul(version, NULL, 10);
}

static int start_transient(struct husk_dbus *bus, const struct husk_systemd_unit *u, const char *description, pid_t pid,
                           const struct husk_resources *res, enum husk_cgroup_layout layout, unsigned version,
                           struct husk_dbus_message **ret, struct husk_error **err)
{
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, u->name);
        husk_dbus_put_string(&w, "replace");
        size_t props = husk_dbus_array_open(&w, 8);
        systemd_property(&w, "Description", "s");
        husk_dbus_put_string(&w, description);
        systemd_property(&w, "Slice", "s");
        husk_dbus_put_string(&w, u->slice);
        /* Not ordered after basic.target nor stopped with shutdown.target's conflicts: runc's choice. */
        systemd_property_bool(&w, "DefaultDependencies", false);
        systemd_property_bool(&w, "Delegate", true);
        systemd_property(&w, "PIDs", "au");
        size_t pids = husk_dbus_array_open(&w, 4);
        husk_dbus_put_u32(&w, (uint32_t)pid);
        husk_dbus_array_close(&w, pids, 4);
        systemd_property_bool(&w, "MemoryAccounting", true);
        systemd_property_bool(&w, "CPUAccounting", true);
        systemd_property_bool(&w, "TasksAccounting", true);
        systemd_property_bool(&w, layout == HUSK_CGROUP_V2 ? "IOAccounting" : "BlockIOAccounting", true);
        systemd_resource_properties(&w, res, layout, version);
        int r = systemd_device_properties(&w, res, layout == HUSK_CGROUP_V2, version, err);
        if (r < 0) {
                husk_dbus_writer_free(&w);
                return r;
        }
        /* Last, as runc: the config's own may override husk's. */
        for (size_t i = 0; i < u->properties_len; i++)
                systemd_annotation_property(&w, &u->properties[i]);
        husk_dbus_array_close(&w, props, 8);
        size_t aux = husk_dbus_array_open(&w, 8);
        husk_dbus_array_close(&w, aux, 8);
        r = husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "StartTransientUnit", "ssa(sv)a(sa(sv))", &w,
                           CALL_TIMEOUT_MS, ret, err);
        husk_dbus_writer_free(&w);
        return r;
}

int husk_systemd_start_scope(const struct husk_systemd_unit *u, bool user, const char *description, pid_t pid,
                             const struct husk_resources *res, enum husk_cgroup_layout layout, char **ret_cgroup_path,
                             struct husk_error **err)
{
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        int r = connect_systemd(user, &bus, err);
        if (r < 0 || (r = subscribe(bus, err)) < 0)
                return husk_error_wrap(err, "systemd: start unit `%s`", u->name);
        unsigned version = manager_version(bus);
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        _cleanup_error_ struct husk_error *first = NULL;
        r = start_transient(bus, u, description, pid, res, layout, version, &reply, &first);
        if (r < 0 && first && strstr(first->msg, "org.freedesktop.systemd1.UnitExists")) {
                /* A scope of that name that failed stays loaded until reset; an active one is refused below. */
                husk_debug("systemd: `%s` exists, resetting it once: %s", u->name, first->msg);
                (void)call_with_unit(bus, "ResetFailedUnit", u->name, NULL, NULL, NULL);
                r = start_transient(bus, u, description, pid, res, layout, version, &reply, err);
        } else if (r < 0) {
                pass_error(err, &first);
        }
        if (r < 0)
                return husk_error_wrap(err, "systemd: start unit `%s` in `%s`", u->name, u->slice);
        r = wait_job(bus, reply, "StartTransientUnit", err);
        if (r < 0)
                return husk_error_wrap(err, "systemd: start unit `%s`", u->name);
        return unit_cgroup(bus, u->name, ret_cgroup_path, err);
}

int husk_systemd_stop_unit(const char *unit, bool user, struct husk_error **err)
{
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        int r = connect_systemd(user, &bus, err);
        if (r < 0 || (r = subscribe(bus, err)) < 0)
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *reply = NULL;
        _cleanup_error_ struct husk_error *stop_err = NULL;
        r = call_with_unit(bus, "StopUnit", unit, "replace", &reply, &stop_err);
        if (r < 0) {
                /* Gone already: a scope whose processes have all exited is collected by systemd. */
                if (strstr(stop_err->msg, "org.freedesktop.systemd1.NoSuchUnit"))
                        return 0;
                pass_error(err, &stop_err);
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        }
        r = wait_job(bus, reply, "StopUnit", err);
        if (r < 0)
                return husk_error_wrap(err, "systemd: stop unit `%s`", unit);
        /* A scope stopped by SIGKILL may be left "failed": forget it, so its name is free again. */
        (void)call_with_unit(bus, "ResetFailedUnit", unit, NULL, NULL, NULL);
        return 0;
}

/*
 * An update naming only one of the cpu quota and period: the other as the container's cgroup has it, so that
 * CPUQuotaPerSecUSec is the share of a CPU that cgroupfs will have (runc's update merges the saved config).
 */
static void complete_cpu_pair(struct husk_cgroup *cg, struct husk_cpu *cpu)
{
        bool has_quota = cpu->has_quota && cpu->quota != 0, has_period = cpu->has_period && cpu->period != 0;
        int64_t quota;
        uint64_t period;
        if (has_quota == has_period || !cg_cpu_in_force(cg, &quota, &period))
                return;
        if (!has_quota) {
                cpu->has_quota = true;
                cpu->quota = quota;
        } else {
                cpu->has_period = true;
                cpu->period = period;
        }
}

/* v2: an update of the swap limit alone is memory+swap against the memory limit in force (memory.max). */
static void complete_swap_pair(struct husk_cgroup *cg, struct husk_memory *mem)
{
        struct cg_hierarchy *h = mem->has_swap && !mem->has_limit && husk_cgroup_layout(cg) == HUSK_CGROUP_V2
                                     ? cg_hierarchy_of(cg, CG_MEMORY)
                                     : NULL;
        char max[64];
        if (!h || h->fd < 0 || cg_read(h->fd, "memory.max", max, sizeof(max), NULL) <= 0)
                return;
        mem->has_limit = true;
        mem->limit = strcmp(max, "max") == 0 ? -1 : strtoll(max, NULL, 10);
}

int husk_systemd_set_resources(const char *unit, bool user, const struct husk_resources *res, struct husk_cgroup *cg,
                               struct husk_error **err)
{
        struct husk_resources effective = *res;
        complete_cpu_pair(cg, &effective.cpu);
        complete_swap_pair(cg, &effective.memory);
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = NULL;
        unsigned version = 0;
        /* The manager's version only where a property depends on it. */
        if ((res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems)) {
                if (connect_systemd(user, &bus, err) < 0)
                        return husk_error_wrap(err, "systemd: set the limits of unit `%s`", unit);
                version = manager_version(bus);
        }
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, unit);
        husk_dbus_put_bool(&w, true); /* runtime: not written to /etc */
        size_t props = husk_dbus_array_open(&w, 8);
        size_t before = w.len;
        systemd_resource_properties(&w, &effective, husk_cgroup_layout(cg), version);
        bool empty = !w.failed && w.len == before;
        husk_dbus_array_close(&w, props, 8);
        int r = 0;
        if (!empty) {
                if (!bus)
                        r = connect_systemd(user, &bus, err);
                if (r == 0)
                        r = husk_dbus_call(bus, MANAGER_PATH, MANAGER_IFACE, "SetUnitProperties", "sba(sv)", &w,
                                           CALL_TIMEOUT_MS, NULL, err);
                if (r < 0)
                        husk_error_wrap(err, "systemd: set the limits of unit `%s`", unit);
        }
        husk_dbus_writer_free(&w);
        return r;
}
