/* linux.resources: device rules, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec/parse.h"
#include "util/cleanup.h"

static int parse_device_rule(const struct json_reader *r, const struct json_path *path, const json_t *v,
                             struct husk_device_cgroup_rule *rule)
{
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_bool(r, path, v, "allow", &rule->allow)))
                return json_fail_missing(r, path, "allow");

        const char *type;
        rule->type = 'a';
        if (JSON_TRY_GET(json_get_string_ref(r, path, v, "type", &type)) && type[0]) {
                if (strlen(type) != 1 || !strchr("acb", type[0])) {
                        struct json_path p = JSON_PATH_KEY(path, "type");
                        struct json_quoted q;
                        return json_fail(r, &p, "unknown device type %s (expected \"a\", \"c\" or \"b\")",
                                         json_quote(&q, type));
                }
                rule->type = type[0];
        }

        /* -1 and absent are the wildcard "*" */
        rule->major = rule->minor = -1;
        JSON_TRY(json_get_i64(r, path, v, "major", -1, UINT32_MAX, &rule->major));
        JSON_TRY(json_get_i64(r, path, v, "minor", -1, UINT32_MAX, &rule->minor));

        static const char letters[] = "rwm";
        const char *access = "";
        JSON_TRY(json_get_string_ref(r, path, v, "access", &access));
        bool want[3] = {access[0] == '\0', access[0] == '\0', access[0] == '\0'};
        for (const char *c = access; *c; c++) {
                const char *at = strchr(letters, *c);
                if (!at) {
                        struct json_path p = JSON_PATH_KEY(path, "access");
                        struct json_quoted q;
                        return json_fail(r, &p, "invalid access %s (expected letters of \"rwm\")",
                                         json_quote(&q, access));
                }
                want[at - letters] = true;
        }
        size_t n = 0;
        for (size_t i = 0; i < 3; i++)
                if (want[i])
                        rule->access[n++] = letters[i];
        rule->access[n] = '\0';
        return 0;
}

static int parse_devices(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                         struct husk_resources *res)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "devices", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "devices");
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*res->devices), (void **)&res->devices));
        res->devices_len = n;
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                JSON_TRY(parse_device_rule(r, &p, json_array_get(v, i), &res->devices[i]));
        }
        return 0;
}

/* Reads obj[key] as int64 into *value and sets *has when present. */
static int get_i64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                   bool *has, int64_t *value)
{
        *has = JSON_TRY_GET(json_get_i64(r, parent, obj, key, INT64_MIN, INT64_MAX, value)) > 0;
        return 0;
}

static int get_u64(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                   bool *has, uint64_t *value)
{
        *has = JSON_TRY_GET(json_get_u64(r, parent, obj, key, UINT64_MAX, value)) > 0;
        return 0;
}

static int get_bool(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                    bool *has, bool *value)
{
        *has = JSON_TRY_GET(json_get_bool(r, parent, obj, key, value)) > 0;
        return 0;
}

static int parse_memory(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                        struct husk_memory *m)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "memory", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "memory");
        m->present = true;
        JSON_TRY(get_i64(r, &path, v, "limit", &m->has_limit, &m->limit));
        JSON_TRY(get_i64(r, &path, v, "reservation", &m->has_reservation, &m->reservation));
        JSON_TRY(get_i64(r, &path, v, "swap", &m->has_swap, &m->swap));
        JSON_TRY(get_i64(r, &path, v, "kernel", &m->has_kernel, &m->kernel));
        JSON_TRY(get_i64(r, &path, v, "kernelTCP", &m->has_kernel_tcp, &m->kernel_tcp));
        JSON_TRY(get_u64(r, &path, v, "swappiness", &m->has_swappiness, &m->swappiness));
        /* Docker writes -1 as uint64 for "not set"; runc skips it: so do we */
        if (m->has_swappiness && m->swappiness == UINT64_MAX) {
                m->has_swappiness = false;
                m->swappiness = 0;
        } else if (m->has_swappiness && m->swappiness > 100) {
                struct json_path p = JSON_PATH_KEY(&path, "swappiness");
                return json_fail(r, &p, "%" PRIu64 " is out of range (0..100)", m->swappiness);
        }
        JSON_TRY(get_bool(r, &path, v, "disableOOMKiller", &m->has_disable_oom_killer, &m->disable_oom_killer));
        JSON_TRY(get_bool(r, &path, v, "useHierarchy", &m->has_use_hierarchy, &m->use_hierarchy));
        JSON_TRY(get_bool(r, &path, v, "checkBeforeUpdate", &m->has_check_before_update, &m->check_before_update));
        return 0;
}

static int get_cpuset(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                      char **ret)
{
        if (!JSON_TRY_GET(json_get_string(r, parent, obj, key, ret)))
                return 0;
        struct json_path p = JSON_PATH_KEY(parent, key);
        return spec_check_list(r, &p, *ret);
}

static int parse_cpu(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                     struct husk_cpu *cpu)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "cpu", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "cpu");
        cpu->present = true;
        JSON_TRY(get_u64(r, &path, v, "shares", &cpu->has_shares, &cpu->shares));
        JSON_TRY(get_i64(r, &path, v, "quota", &cpu->has_quota, &cpu->quota));
        JSON_TRY(get_u64(r, &path, v, "burst", &cpu->has_burst, &cpu->burst));
        JSON_TRY(get_u64(r, &path, v, "period", &cpu->has_period, &cpu->period));
        JSON_TRY(get_i64(r, &path, v, "realtimeRuntime", &cpu->has_realtime_runtime, &cpu->realtime_runtime));
        JSON_TRY(get_u64(r, &path, v, "realtimePeriod", &cpu->has_realtime_period, &cpu->realtime_period));
        JSON_TRY(get_cpuset(r, &path, v, "cpus", &cpu->cpus));
        JSON_TRY(get_cpuset(r, &path, v, "mems", &cpu->mems));
        JSON_TRY(get_i64(r, &path, v, "idle", &cpu->has_idle, &cpu->idle));
        return 0;
}

static int parse_pids(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                      struct husk_resources *res)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "pids", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "pids");
        /* REQUIRED up to runtime-spec 1.2, optional since 1.3; runc and crun take an empty pids object as
         * nothing to set. */
        if (JSON_TRY_GET(json_get_i64(r, &path, v, "limit", INT64_MIN, INT64_MAX, &res->pids_limit)))
                res->has_pids_limit = true;
        return 0;
}

static int read_block_device(const struct json_reader *r, const struct json_path *path, const json_t *v, int64_t *major,
                             int64_t *minor)
{
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_i64(r, path, v, "major", 0, UINT32_MAX, major)))
                return json_fail_missing(r, path, "major");
        if (!JSON_TRY_GET(json_get_i64(r, path, v, "minor", 0, UINT32_MAX, minor)))
                return json_fail_missing(r, path, "minor");
        return 0;
}

static int get_weight(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                      bool *has, uint16_t *value)
{
        uint64_t n;
        *has = JSON_TRY_GET(json_get_u64(r, parent, obj, key, UINT16_MAX, &n)) > 0;
        if (*has)
                *value = (uint16_t)n;
        return 0;
}

static int parse_throttle_list(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                               const char *key, struct husk_throttle_list *list)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, key, &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, key);
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*list->items), (void **)&list->items));
        list->len = n;
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                json_t *dev = json_array_get(v, i);
                struct husk_throttle_device *out = &list->items[i];
                JSON_TRY(read_block_device(r, &p, dev, &out->major, &out->minor));
                /* Go reads an absent rate as 0, which removes the limit */
                JSON_TRY(json_get_u64(r, &p, dev, "rate", UINT64_MAX, &out->rate));
        }
        return 0;
}

static int parse_block_io(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                          struct husk_block_io *bio)
{
        json_t *v, *devs;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "blockIO", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "blockIO");
        bio->present = true;
        JSON_TRY(get_weight(r, &path, v, "weight", &bio->has_weight, &bio->weight));
        JSON_TRY(get_weight(r, &path, v, "leafWeight", &bio->has_leaf_weight, &bio->leaf_weight));
        if (JSON_TRY_GET(json_get_array(r, &path, v, "weightDevice", &devs))) {
                struct json_path devs_path = JSON_PATH_KEY(&path, "weightDevice");
                size_t n = json_array_size(devs);
                JSON_TRY(spec_alloc_array(r, n, sizeof(*bio->weight_devices), (void **)&bio->weight_devices));
                bio->weight_devices_len = n;
                for (size_t i = 0; i < n; i++) {
                        struct json_path p = JSON_PATH_INDEX(&devs_path, i);
                        json_t *dev = json_array_get(devs, i);
                        struct husk_weight_device *out = &bio->weight_devices[i];
                        JSON_TRY(read_block_device(r, &p, dev, &out->major, &out->minor));
                        JSON_TRY(get_weight(r, &p, dev, "weight", &out->has_weight, &out->weight));
                        JSON_TRY(get_weight(r, &p, dev, "leafWeight", &out->has_leaf_weight, &out->leaf_weight));
                        /* config-linux.md: "You MUST specify at least one of weight or leafWeight". */
                        if (!out->has_weight && !out->has_leaf_weight)
                                return json_fail(r, &p, "needs weight or leafWeight");
                }
        }
        JSON_TRY(parse_throttle_list(r, &path, v, "throttleReadBpsDevice", &bio->throttle_read_bps));
        JSON_TRY(parse_throttle_list(r, &path, v, "throttleWriteBpsDevice", &bio->throttle_write_bps));
        JSON_TRY(parse_throttle_list(r, &path, v, "throttleReadIOPSDevice", &bio->throttle_read_iops));
        JSON_TRY(parse_throttle_list(r, &path, v, "throttleWriteIOPSDevice", &bio->throttle_write_iops));
        return 0;
}

/* "<digits><K|M|G>B" with no leading zero, as the schema's pattern says. */
static bool valid_page_size(const char *s)
{
        if (*s < '1' || *s > '9')
                return false;
        while (*s >= '0' && *s <= '9')
                s++;
        return (s[0] == 'K' || s[0] == 'M' || s[0] == 'G') && s[1] == 'B' && s[2] == '\0';
}

static int parse_hugepage_limits(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                                 struct husk_resources *res)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "hugepageLimits", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "hugepageLimits");
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*res->hugepage_limits), (void **)&res->hugepage_limits));
        res->hugepage_limits_len = n;
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                json_t *limit = json_array_get(v, i);
                struct husk_hugepage_limit *out = &res->hugepage_limits[i];
                JSON_TRY(json_read_object(r, &p, limit));
                if (!JSON_TRY_GET(json_get_string(r, &p, limit, "pageSize", &out->page_size)))
                        return json_fail_missing(r, &p, "pageSize");
                if (!valid_page_size(out->page_size)) {
                        struct json_path size_path = JSON_PATH_KEY(&p, "pageSize");
                        struct json_quoted q;
                        return json_fail(r, &size_path, "invalid page size %s (expected e.g. \"2MB\")",
                                         json_quote(&q, out->page_size));
                }
                if (!JSON_TRY_GET(json_get_u64(r, &p, limit, "limit", UINT64_MAX, &out->limit)))
                        return json_fail_missing(r, &p, "limit");
        }
        return 0;
}

static int parse_network(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                         struct husk_network_resources *net)
{
        json_t *v, *prios;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "network", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "network");
        net->present = true;
        net->has_class_id = JSON_TRY_GET(json_get_u32(r, &path, v, "classID", &net->class_id)) > 0;
        if (JSON_TRY_GET(json_get_array(r, &path, v, "priorities", &prios))) {
                struct json_path prios_path = JSON_PATH_KEY(&path, "priorities");
                size_t n = json_array_size(prios);
                JSON_TRY(spec_alloc_array(r, n, sizeof(*net->priorities), (void **)&net->priorities));
                net->priorities_len = n;
                for (size_t i = 0; i < n; i++) {
                        struct json_path p = JSON_PATH_INDEX(&prios_path, i);
                        json_t *prio = json_array_get(prios, i);
                        JSON_TRY(json_read_object(r, &p, prio));
                        if (!JSON_TRY_GET(json_get_string(r, &p, prio, "name", &net->priorities[i].name)))
                                return json_fail_missing(r, &p, "name");
                        if (!JSON_TRY_GET(json_get_u32(r, &p, prio, "priority", &net->priorities[i].priority)))
                                return json_fail_missing(r, &p, "priority");
                }
        }
        return 0;
}

static int parse_rdma(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                      struct husk_resources *res)
{
        json_t *v, *limit;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "rdma", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "rdma");
        JSON_TRY(spec_alloc_array(r, json_object_size(v), sizeof(*res->rdma), (void **)&res->rdma));
        const char *device;
        json_object_foreach (v, device, limit) {
                struct json_path p = JSON_PATH_MAP_KEY(&path, device);
                struct husk_rdma_limit *out = &res->rdma[res->rdma_len++];
                out->device = strdup(device);
                if (!out->device)
                        return json_fail_oom(r);
                if (json_is_null(limit))
                        continue;
                JSON_TRY(json_read_object(r, &p, limit));
                out->has_hca_handles = JSON_TRY_GET(json_get_u32(r, &p, limit, "hcaHandles", &out->hca_handles)) > 0;
                out->has_hca_objects = JSON_TRY_GET(json_get_u32(r, &p, limit, "hcaObjects", &out->hca_objects)) > 0;
        }
        return 0;
}

int spec_parse_resources(const struct json_reader *r, const struct json_path *path, const json_t *v,
                         struct husk_resources *res)
{
        JSON_TRY(json_read_object(r, path, v));
        res->present = true;
        JSON_TRY(parse_devices(r, path, v, res));
        JSON_TRY(parse_memory(r, path, v, &res->memory));
        JSON_TRY(parse_cpu(r, path, v, &res->cpu));
        JSON_TRY(parse_pids(r, path, v, res));
        JSON_TRY(parse_block_io(r, path, v, &res->block_io));
        JSON_TRY(parse_hugepage_limits(r, path, v, res));
        JSON_TRY(parse_network(r, path, v, &res->network));
        JSON_TRY(parse_rdma(r, path, v, res));
        JSON_TRY(json_get_kv(r, path, v, "unified", &res->unified));
        return 0;
}

static void throttle_list_clear(struct husk_throttle_list *list)
{
        free(list->items);
        *list = (struct husk_throttle_list){0};
}

void spec_resources_clear(struct husk_resources *res)
{
        free(res->devices);
        free(res->cpu.cpus);
        free(res->cpu.mems);
        free(res->block_io.weight_devices);
        throttle_list_clear(&res->block_io.throttle_read_bps);
        throttle_list_clear(&res->block_io.throttle_write_bps);
        throttle_list_clear(&res->block_io.throttle_read_iops);
        throttle_list_clear(&res->block_io.throttle_write_iops);
        for (size_t i = 0; i < res->hugepage_limits_len; i++)
                free(res->hugepage_limits[i].page_size);
        free(res->hugepage_limits);
        for (size_t i = 0; i < res->network.priorities_len; i++)
                free(res->network.priorities[i].name);
        free(res->network.priorities);
        for (size_t i = 0; i < res->rdma_len; i++)
                free(res->rdma[i].device);
        free(res->rdma);
        husk_kv_list_clear(&res->unified);
        *res = (struct husk_resources){0};
}
