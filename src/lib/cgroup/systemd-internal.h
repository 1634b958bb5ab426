/* Internal interface of the systemd driver: systemd.c talks to the manager, systemd-properties.c and
 * systemd-devices.c write the unit's properties, systemd-annotations.c reads the annotations' own. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "cgroup/systemd.h"
#include "util/dbus.h"
#include "util/error.h"

/* One property of a(sv): its struct, name and variant signature; the value follows. */
void systemd_property(struct husk_dbus_writer *w, const char *name, const char *type);
void systemd_property_bool(struct husk_dbus_writer *w, const char *name, bool v);
void systemd_property_u64(struct husk_dbus_writer *w, const char *name, uint64_t v);

/* The limits systemd itself would write, under the names of the cgroup version it drives (version: the manager's,
 * 0 when unknown). */
void systemd_resource_properties(struct husk_dbus_writer *w, const struct husk_resources *res,
                                 enum husk_cgroup_layout layout, unsigned version);

/* DevicePolicy and DeviceAllow for the rules husk gives the container's cgroup (res NULL: the defaults). */
int systemd_device_properties(struct husk_dbus_writer *w, const struct husk_resources *res, bool v2, unsigned version,
                              struct husk_error **err);

/* An annotation's property, with the type its text gave it. */
void systemd_annotation_property(struct husk_dbus_writer *w, const struct husk_systemd_property *p);
