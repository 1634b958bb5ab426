/* The properties of a container's transient unit: its limits and the annotations' own (systemd-internal.h). */
#include "cgroup/systemd.h"

#include <stdint.h>

#include "cgroup/cgroup-internal.h"
#include "cgroup/systemd-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

/* One property of a(sv): its struct, name and variant signature; the value follows. */
void systemd_property(struct husk_dbus_writer *w, const char *name, const char *type)
{
        husk_dbus_struct_open(w);
        husk_dbus_put_string(w, name);
        husk_dbus_put_signature(w, type);
}

void systemd_property_bool(struct husk_dbus_writer *w, const char *name, bool v)
{
        systemd_property(w, name, "b");
        husk_dbus_put_bool(w, v);
}

void systemd_property_u64(struct husk_dbus_writer *w, const char *name, uint64_t v)
{
        systemd_property(w, name, "t");
        husk_dbus_put_u64(w, v);
}

/* A limit in bytes; -1 (unlimited) is systemd's infinity. */
static uint64_t limit_value(int64_t v)
{
        return v < 0 ? UINT64_MAX : (uint64_t)v;
}

/* AllowedCPUs/AllowedMemoryNodes: a cpuset list ("0-3,8") as systemd's bit mask, cpu 0 the low bit of byte 0. */
static void property_cpuset(struct husk_dbus_writer *w, const char *name, const char *list)
{
        struct husk_cgroup_cpu_list ids = {0};
        _cleanup_error_ struct husk_error *local = NULL;
        if (husk_cgroup_parse_cpu_list(list, &ids, &local) < 0) {
                /* cgroupfs refuses it with its own error. */
                husk_debug("systemd: no %s for `%s`: %s", name, list, local->msg);
                return;
        }
        uint16_t max = 0;
        for (size_t i = 0; i < ids.len; i++)
                max = ids.ids[i] > max ? ids.ids[i] : max;
        uint8_t mask[UINT16_MAX / 8 + 1] = {0};
        for (size_t i = 0; i < ids.len; i++)
                mask[ids.ids[i] / 8] |= (uint8_t)(1u << (ids.ids[i] % 8));
        systemd_property(w, name, "ay");
        size_t bytes = husk_dbus_array_open(w, 1);
        for (size_t i = 0; ids.len && i <= max / 8u; i++)
                husk_dbus_put_byte(w, mask[i]);
        husk_dbus_array_close(w, bytes, 1);
        free(ids.ids);
}

/*
 * The limits systemd itself would write, under the names of the cgroup version it drives: with
 * a controller's accounting on and no such property, a daemon-reload would reset the file to
 * systemd's default. Everything else is husk's alone, below the delegated scope or through cgroupfs.
 */
void systemd_resource_properties(struct husk_dbus_writer *w, const struct husk_resources *res,
                                 enum husk_cgroup_layout layout, unsigned version)
{
        bool v2 = layout == HUSK_CGROUP_V2;
        if (!res || !res->present)
                return;
        /* -1 is unlimited (an update lifting a limit): infinity, as cgroupfs gets "max", so that both agree. */
        const struct husk_memory *mem = &res->memory;
        if (mem->has_limit && (mem->limit > 0 || mem->limit == -1))
                systemd_property_u64(w, v2 ? "MemoryMax" : "MemoryLimit", limit_value(mem->limit));
        if (v2 && mem->has_reservation && (mem->reservation > 0 || mem->reservation == -1))
                systemd_property_u64(w, "MemoryLow", limit_value(mem->reservation));
        int64_t swap = 0;
        /* v2 counts swap alone: memory+swap less the limit, as cgroupfs gets it (a bad pair fails there). */
        if (v2 && mem->has_swap &&
            cg_convert_swap_to_v2(mem->swap, mem->has_limit ? mem->limit : 0, &swap, NULL) == 0 && swap != 0)
                systemd_property_u64(w, "MemorySwapMax", limit_value(swap));
        const struct husk_cpu *cpu = &res->cpu;
        if (cpu->has_shares && cpu->shares != 0)
                systemd_property_u64(w, v2 ? "CPUWeight" : "CPUShares",
                                     v2 ? cg_convert_shares_to_weight(cpu->shares) : cpu->shares);
        if (cpu->has_period && cpu->period != 0)
                systemd_property_u64(w, "CPUQuotaPeriodUSec", cpu->period);
        if (cpu->has_quota && cpu->quota > 0) {
                uint64_t period = cpu->has_period && cpu->period ? cpu->period : 100000;
                /* systemd keeps the quota per second in whole percents of a CPU (10 ms): round up, as runc. */
                uint64_t per_sec = (uint64_t)cpu->quota * 1000000 / period;
                if (per_sec % 10000)
                        per_sec = (per_sec / 10000 + 1) * 10000;
                systemd_property_u64(w, "CPUQuotaPerSecUSec", per_sec);
        } else if (cpu->has_quota && cpu->quota < 0) {
                systemd_property_u64(w, "CPUQuotaPerSecUSec", UINT64_MAX);
        }
        /* systemd has these since 244 (as runc, older ones get cgroupfs only). */
        if (version >= 244 && cpu->cpus && *cpu->cpus)
                property_cpuset(w, "AllowedCPUs", cpu->cpus);
        if (version >= 244 && cpu->mems && *cpu->mems)
                property_cpuset(w, "AllowedMemoryNodes", cpu->mems);
        if (res->has_pids_limit)
                systemd_property_u64(w, "TasksMax", res->pids_limit > 0 ? (uint64_t)res->pids_limit : UINT64_MAX);
        const struct husk_block_io *io = &res->block_io;
        if (io->has_weight && io->weight != 0)
                systemd_property_u64(w, v2 ? "IOWeight" : "BlockIOWeight",
                                     v2 ? cg_convert_blkio_to_io_weight(io->weight) : io->weight);
}

/* An annotation's property, with the type its text gave it. */
void systemd_annotation_property(struct husk_dbus_writer *w, const struct husk_systemd_property *p)
{
        systemd_property(w, p->name, (char[]){p->type, '\0'});
        switch (p->type) {
        case 'y':
                husk_dbus_put_byte(w, (uint8_t)p->value);
                break;
        case 'n':
        case 'q':
                husk_dbus_put_u16(w, (uint16_t)p->value);
                break;
        case 'i':
        case 'u':
                husk_dbus_put_u32(w, (uint32_t)p->value);
                break;
        case 'b':
                husk_dbus_put_bool(w, p->value != 0);
                break;
        case 's':
                husk_dbus_put_string(w, p->string);
                break;
        default: /* x t d: eight bytes */
                husk_dbus_put_u64(w, p->value);
                break;
        }
}
