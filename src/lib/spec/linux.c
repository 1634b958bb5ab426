/* The linux object: namespaces, id maps, devices, timeOffsets, netDevices, sysctl, masked and read-only
 * paths, rootfs propagation, intelRdt, personality and memoryPolicy (resources and seccomp have files of their own). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "spec/parse.h"
#include "util/cleanup.h"

/* Kernel ABI numbers (<linux/mempolicy.h> is not included: src/lib/linux/ would shadow it). */
#define SPEC_MPOL_DEFAULT 0
#define SPEC_MPOL_PREFERRED 1
#define SPEC_MPOL_BIND 2
#define SPEC_MPOL_INTERLEAVE 3
#define SPEC_MPOL_LOCAL 4
#define SPEC_MPOL_PREFERRED_MANY 5
#define SPEC_MPOL_WEIGHTED_INTERLEAVE 6
#define SPEC_MPOL_F_NUMA_BALANCING (1 << 13)
#define SPEC_MPOL_F_RELATIVE_NODES (1 << 14)
#define SPEC_MPOL_F_STATIC_NODES (1 << 15)

/* The kernel's dev_t split: 12 bits of major, 20 of minor. */
#define DEVICE_MAJOR_MAX 4095
#define DEVICE_MINOR_MAX 1048575
/* IFNAMSIZ - 1 */
#define NET_DEVICE_NAME_MAX 15

static const struct spec_name memory_policy_modes[] = {
    {"MPOL_DEFAULT", SPEC_MPOL_DEFAULT},
    {"MPOL_PREFERRED", SPEC_MPOL_PREFERRED},
    {"MPOL_BIND", SPEC_MPOL_BIND},
    {"MPOL_INTERLEAVE", SPEC_MPOL_INTERLEAVE},
    {"MPOL_LOCAL", SPEC_MPOL_LOCAL},
    {"MPOL_PREFERRED_MANY", SPEC_MPOL_PREFERRED_MANY},
    {"MPOL_WEIGHTED_INTERLEAVE", SPEC_MPOL_WEIGHTED_INTERLEAVE},
};

static const struct spec_name memory_policy_flags[] = {
    {"MPOL_F_NUMA_BALANCING", SPEC_MPOL_F_NUMA_BALANCING},
    {"MPOL_F_RELATIVE_NODES", SPEC_MPOL_F_RELATIVE_NODES},
    {"MPOL_F_STATIC_NODES", SPEC_MPOL_F_STATIC_NODES},
};

static const struct spec_name personality_domains[] = {
    {"LINUX", PER_LINUX},
    {"LINUX32", PER_LINUX32},
};

/* rootfsPropagation: the spec lists the plain forms; runc also takes the r-forms. */
#define PROPAGATION_RECURSIVE 0x100
static const struct spec_name propagations[] = {
    {"shared", HUSK_PROPAGATION_SHARED},         {"rshared", HUSK_PROPAGATION_SHARED | PROPAGATION_RECURSIVE},
    {"slave", HUSK_PROPAGATION_SLAVE},           {"rslave", HUSK_PROPAGATION_SLAVE | PROPAGATION_RECURSIVE},
    {"private", HUSK_PROPAGATION_PRIVATE},       {"rprivate", HUSK_PROPAGATION_PRIVATE | PROPAGATION_RECURSIVE},
    {"unbindable", HUSK_PROPAGATION_UNBINDABLE}, {"runbindable", HUSK_PROPAGATION_UNBINDABLE | PROPAGATION_RECURSIVE},
};

static int parse_namespaces(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                            struct husk_linux *linux_)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "namespaces", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "namespaces");
        size_t n = json_array_size(v);
        unsigned seen = 0;
        JSON_TRY(spec_alloc_array(r, n, sizeof(*linux_->namespaces), (void **)&linux_->namespaces));
        linux_->namespaces_len = n; /* calloc'ed: free copes with the ones not reached */
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                json_t *ns = json_array_get(v, i);
                JSON_TRY(json_read_object(r, &p, ns));
                const char *type;
                if (!JSON_TRY_GET(json_get_string_ref(r, &p, ns, "type", &type)))
                        return json_fail_missing(r, &p, "type");
                struct json_path type_path = JSON_PATH_KEY(&p, "type");
                struct json_quoted q;
                int t = husk_ns_type_from_name(type);
                if (t < 0)
                        return json_fail(r, &type_path, "unknown namespace type %s", json_quote(&q, type));
                if (seen & (1u << t))
                        return json_fail(r, &type_path, "duplicate namespace %s", json_quote(&q, type));
                seen |= 1u << t;
                linux_->namespaces[i].type = (enum husk_ns_type)t;
                char **ns_path = &linux_->namespaces[i].path;
                /* "" is "create a new one", as Go's omitempty writes it */
                if (JSON_TRY_GET(json_get_string(r, &p, ns, "path", ns_path)) && (*ns_path)[0] == '\0') {
                        free(*ns_path);
                        *ns_path = NULL;
                } else if (*ns_path && (*ns_path)[0] != '/') {
                        /* config-linux.md: "This path MUST be an absolute path". */
                        struct json_path path_path = JSON_PATH_KEY(&p, "path");
                        return json_fail(r, &path_path, "%s is not an absolute path", json_quote(&q, *ns_path));
                }
        }
        return 0;
}

int spec_parse_id_mappings(const struct json_reader *r, const struct json_path *path, const json_t *v,
                           struct husk_id_mappings *mappings)
{
        JSON_TRY(json_read_array(r, path, v));
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*mappings->items), (void **)&mappings->items));
        mappings->len = n;
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(path, i);
                json_t *m = json_array_get(v, i);
                struct husk_id_mapping *out = &mappings->items[i];
                JSON_TRY(json_read_object(r, &p, m));
                if (!JSON_TRY_GET(json_get_u32(r, &p, m, "containerID", &out->container_id)))
                        return json_fail_missing(r, &p, "containerID");
                if (!JSON_TRY_GET(json_get_u32(r, &p, m, "hostID", &out->host_id)))
                        return json_fail_missing(r, &p, "hostID");
                if (!JSON_TRY_GET(json_get_u32(r, &p, m, "size", &out->size)))
                        return json_fail_missing(r, &p, "size");
        }
        return 0;
}

void spec_id_mappings_clear(struct husk_id_mappings *mappings)
{
        free(mappings->items);
        *mappings = (struct husk_id_mappings){0};
}

static int parse_time_offsets(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                              struct husk_linux *linux_)
{
        json_t *v, *offset;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "timeOffsets", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "timeOffsets");
        const char *clock;
        json_object_foreach (v, clock, offset) {
                struct json_path p = JSON_PATH_MAP_KEY(&path, clock);
                struct husk_time_offset *out;
                if (strcmp(clock, "boottime") == 0) {
                        out = &linux_->time_boottime;
                } else if (strcmp(clock, "monotonic") == 0) {
                        out = &linux_->time_monotonic;
                } else {
                        struct json_quoted q;
                        return json_fail(r, &path, "unknown clock %s (expected \"boottime\" or \"monotonic\")",
                                         json_quote(&q, clock));
                }
                if (json_is_null(offset))
                        continue;
                JSON_TRY(json_read_object(r, &p, offset));
                out->present = true;
                JSON_TRY(json_get_i64(r, &p, offset, "secs", INT64_MIN, INT64_MAX, &out->secs));
                /* /proc/<pid>/timens_offsets refuses a second's worth or more */
                uint64_t ns;
                if (JSON_TRY_GET(json_get_u64(r, &p, offset, "nanosecs", 999999999, &ns)))
                        out->nanosecs = (uint32_t)ns;
        }
        return 0;
}

static const char *file_type_name(mode_t fmt)
{
        switch (fmt) {
        case S_IFBLK:
                return "block device";
        case S_IFCHR:
                return "character device";
        case S_IFIFO:
                return "fifo";
        case S_IFDIR:
                return "directory";
        case S_IFREG:
                return "regular file";
        case S_IFLNK:
                return "symbolic link";
        case S_IFSOCK:
                return "socket";
        default:
                return "file of no known type";
        }
}

static int parse_device(const struct json_reader *r, const struct json_path *path, const json_t *v,
                        struct husk_device *dev)
{
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_string(r, path, v, "path", &dev->path)))
                return json_fail_missing(r, path, "path");
        struct json_path path_path = JSON_PATH_KEY(path, "path");
        JSON_TRY(spec_check_absolute(r, &path_path, dev->path)); /* "full path to device inside container" */

        const char *type;
        if (!JSON_TRY_GET(json_get_string_ref(r, path, v, "type", &type)))
                return json_fail_missing(r, path, "type");
        if (strlen(type) != 1 || !strchr("cbup", type[0])) {
                struct json_path p = JSON_PATH_KEY(path, "type");
                struct json_quoted q;
                return json_fail(r, &p, "unknown device type %s (expected \"c\", \"b\", \"u\" or \"p\")",
                                 json_quote(&q, type));
        }
        dev->type = type[0];

        /* a fifo has no device number: take one if given, require none */
        bool needs_number = dev->type != 'p';
        if (!JSON_TRY_GET(json_get_i64(r, path, v, "major", 0, DEVICE_MAJOR_MAX, &dev->major)) && needs_number)
                return json_fail_missing(r, path, "major");
        if (!JSON_TRY_GET(json_get_i64(r, path, v, "minor", 0, DEVICE_MINOR_MAX, &dev->minor)) && needs_number)
                return json_fail_missing(r, path, "minor");

        /* The permission bits make the node's mode. Generators also send the file type: podman 4 the host node's
         * st_mode (S_IFCHR | 0666), a Go program os.FileMode's type bits (above bit 16), both of which runc and
         * crun take. `type` says what to make; a file type in the S_IFMT bits that says otherwise is refused. */
        uint64_t mode;
        if (JSON_TRY_GET(json_get_u64(r, path, v, "fileMode", UINT32_MAX, &mode))) {
                mode_t fmt = (mode_t)mode & S_IFMT;
                if (fmt != 0 && fmt != husk_device_kind(dev->type)) {
                        struct json_path p = JSON_PATH_KEY(path, "fileMode");
                        return json_fail(r, &p, "%" PRIu64 " (0%" PRIo64 ") is the mode of a %s, not of type \"%c\"",
                                         mode, mode, file_type_name(fmt), dev->type);
                }
                dev->has_file_mode = true;
                dev->file_mode = (mode_t)mode & 07777;
        }
        uint64_t id;
        if (JSON_TRY_GET(json_get_u64(r, path, v, "uid", HUSK_ID_MAX, &id))) {
                dev->has_uid = true;
                dev->uid = (uid_t)id;
        }
        if (JSON_TRY_GET(json_get_u64(r, path, v, "gid", HUSK_ID_MAX, &id))) {
                dev->has_gid = true;
                dev->gid = (gid_t)id;
        }
        return 0;
}

static int parse_devices(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                         struct husk_linux *linux_)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, "devices", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "devices");
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*linux_->devices), (void **)&linux_->devices));
        linux_->devices_len = n;
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                JSON_TRY(parse_device(r, &p, json_array_get(v, i), &linux_->devices[i]));
        }
        return 0;
}

/* The kernel's dev_valid_name(): what `ip link set ... name` would refuse. */
static int check_net_device_name(const struct json_reader *r, const struct json_path *path, const char *name)
{
        size_t len = strlen(name);
        bool ok = len > 0 && len <= NET_DEVICE_NAME_MAX && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
        for (const char *c = name; ok && *c; c++)
                if (*c == '/' || *c == ':' || *c == ' ' || (*c >= '\t' && *c <= '\r'))
                        ok = false;
        if (ok)
                return 0;
        struct json_quoted q;
        return json_fail(r, path, "invalid network device name %s", json_quote(&q, name));
}

static int parse_net_devices(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                             struct husk_linux *linux_)
{
        json_t *v, *dev;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "netDevices", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "netDevices");
        JSON_TRY(spec_alloc_array(r, json_object_size(v), sizeof(*linux_->net_devices), (void **)&linux_->net_devices));
        const char *host_name;
        json_object_foreach (v, host_name, dev) {
                struct json_path p = JSON_PATH_MAP_KEY(&path, host_name);
                struct husk_net_device *out = &linux_->net_devices[linux_->net_devices_len++];
                JSON_TRY(check_net_device_name(r, &p, host_name));
                out->host_name = strdup(host_name);
                if (!out->host_name)
                        return json_fail_oom(r);
                if (json_is_null(dev))
                        continue;
                JSON_TRY(json_read_object(r, &p, dev));
                if (JSON_TRY_GET(json_get_string(r, &p, dev, "name", &out->name))) {
                        if (out->name[0] == '\0') { /* "" keeps the host's name, as omitempty writes it */
                                free(out->name);
                                out->name = NULL;
                        } else {
                                struct json_path name_path = JSON_PATH_KEY(&p, "name");
                                JSON_TRY(check_net_device_name(r, &name_path, out->name));
                        }
                }
        }
        return 0;
}

static int parse_rootfs_propagation(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                                    struct husk_linux *linux_)
{
        const char *s;
        if (!JSON_TRY_GET(json_get_string_ref(r, parent, obj, "rootfsPropagation", &s)) || s[0] == '\0')
                return 0;
        int value = spec_name_lookup(propagations, ARRAY_SIZE(propagations), s);
        if (value < 0) {
                struct json_path p = JSON_PATH_KEY(parent, "rootfsPropagation");
                struct json_quoted q;
                return json_fail(r, &p, "unknown mount propagation %s", json_quote(&q, s));
        }
        linux_->has_rootfs_propagation = true;
        linux_->rootfs_propagation = (enum husk_propagation)(value & ~PROPAGATION_RECURSIVE);
        linux_->rootfs_propagation_recursive = (value & PROPAGATION_RECURSIVE) != 0;
        return 0;
}

static int parse_intel_rdt(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                           struct husk_intel_rdt *rdt)
{
        json_t *v, *schemata;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "intelRdt", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "intelRdt");
        rdt->present = true;
        if (JSON_TRY_GET(json_get_string(r, &path, v, "closID", &rdt->clos_id))) {
                /* it names a directory under /sys/fs/resctrl */
                if (strchr(rdt->clos_id, '/') || strcmp(rdt->clos_id, ".") == 0 || strcmp(rdt->clos_id, "..") == 0) {
                        struct json_path p = JSON_PATH_KEY(&path, "closID");
                        struct json_quoted q;
                        return json_fail(r, &p, "invalid CLOS name %s", json_quote(&q, rdt->clos_id));
                }
        }
        JSON_TRY(json_get_string(r, &path, v, "l3CacheSchema", &rdt->l3_cache_schema));
        JSON_TRY(json_get_string(r, &path, v, "memBwSchema", &rdt->mem_bw_schema));
        /* 1.3 has an array of lines; a draft had one string: take both */
        if ((schemata = json_member(v, "schemata"))) {
                struct json_path p = JSON_PATH_KEY(&path, "schemata");
                if (json_is_array(schemata)) {
                        JSON_TRY(json_read_strv(r, &p, schemata, &rdt->schemata));
                } else if (json_is_string(schemata)) {
                        JSON_TRY(spec_alloc_array(r, 2, sizeof(char *), (void **)&rdt->schemata));
                        JSON_TRY(json_read_string(r, &p, schemata, &rdt->schemata[0]));
                } else {
                        return json_fail_type(r, &p, schemata, "an array");
                }
        }
        JSON_TRY(json_get_bool(r, &path, v, "enableCMT", &rdt->enable_cmt));
        JSON_TRY(json_get_bool(r, &path, v, "enableMBM", &rdt->enable_mbm));
        JSON_TRY(json_get_bool(r, &path, v, "enableMonitoring", &rdt->enable_monitoring));
        return 0;
}

static int get_absolute_paths(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                              const char *key, husk_strv *ret)
{
        if (!JSON_TRY_GET(json_get_strv(r, parent, obj, key, ret)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, key);
        for (size_t i = 0; (*ret)[i]; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                JSON_TRY(spec_check_absolute(r, &p, (*ret)[i]));
        }
        return 0;
}

static int parse_personality(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                             struct husk_personality *personality)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "personality", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "personality");
        int domain;
        if (!JSON_TRY_GET(spec_get_enum(r, &path, v, "domain", personality_domains, ARRAY_SIZE(personality_domains),
                                        "personality domain", &domain)))
                return json_fail_missing(r, &path, "domain");
        personality->present = true;
        personality->domain = (unsigned long)domain;
        /* no flag is defined yet: kept as given for the code that applies them to judge */
        JSON_TRY(json_get_strv(r, &path, v, "flags", &personality->flags));
        return 0;
}

static int parse_memory_policy(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                               struct husk_memory_policy *policy)
{
        json_t *v, *flags;
        if (!JSON_TRY_GET(json_get_object(r, parent, obj, "memoryPolicy", &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, "memoryPolicy");
        policy->present = true;
        if (!JSON_TRY_GET(spec_get_enum(r, &path, v, "mode", memory_policy_modes, ARRAY_SIZE(memory_policy_modes),
                                        "memory policy mode", &policy->mode)))
                return json_fail_missing(r, &path, "mode");

        struct json_path nodes_path = JSON_PATH_KEY(&path, "nodes");
        if (JSON_TRY_GET(json_get_string(r, &path, v, "nodes", &policy->nodes))) {
                JSON_TRY(spec_check_list(r, &nodes_path, policy->nodes));
                if (policy->nodes[0] == '\0') {
                        free(policy->nodes);
                        policy->nodes = NULL;
                }
        }
        /* what set_mempolicy(2) would refuse with EINVAL */
        bool takes_nodes = policy->mode != SPEC_MPOL_DEFAULT && policy->mode != SPEC_MPOL_LOCAL;
        bool needs_nodes = takes_nodes && policy->mode != SPEC_MPOL_PREFERRED;
        if (policy->nodes && !takes_nodes)
                return json_fail(r, &nodes_path, "must be empty for MPOL_DEFAULT and MPOL_LOCAL");
        if (!policy->nodes && needs_nodes)
                return json_fail_missing(r, &path, "nodes");

        if (JSON_TRY_GET(json_get_array(r, &path, v, "flags", &flags))) {
                struct json_path flags_path = JSON_PATH_KEY(&path, "flags");
                for (size_t i = 0; i < json_array_size(flags); i++) {
                        struct json_path p = JSON_PATH_INDEX(&flags_path, i);
                        const char *name;
                        JSON_TRY(json_read_string_ref(r, &p, json_array_get(flags, i), &name));
                        int flag = spec_name_lookup(memory_policy_flags, ARRAY_SIZE(memory_policy_flags), name);
                        if (flag < 0) {
                                struct json_quoted q;
                                return json_fail(r, &p, "unknown memory policy flag %s", json_quote(&q, name));
                        }
                        policy->flags |= (unsigned int)flag;
                }
                if ((policy->flags & SPEC_MPOL_F_STATIC_NODES) && (policy->flags & SPEC_MPOL_F_RELATIVE_NODES))
                        return json_fail(r, &flags_path,
                                         "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
        }
        return 0;
}

/*
 * run_oci's linux.altSyscall and linux.skipSecurebits, kept for its front end, which checks them. Never
 * an error here: runc ignores both, so a config that holds them in another shape must still run there.
 */
static int parse_run_oci_extensions(const struct json_reader *r, const json_t *v, struct husk_linux *linux_)
{
        json_t *member = json_member(v, "altSyscall");
        if (member) {
                linux_->alt_syscall_given = true;
                if (json_is_string(member) && !(linux_->alt_syscall = strdup(json_string_value(member))))
                        return json_fail_oom(r);
        }
        member = json_member(v, "skipSecurebits");
        if (member) {
                linux_->skip_securebits_given = true;
                bool strings = json_is_array(member);
                size_t n = strings ? json_array_size(member) : 0;
                for (size_t i = 0; strings && i < n; i++)
                        strings = json_is_string(json_array_get(member, i));
                if (!strings)
                        return 0;
                linux_->skip_securebits = calloc(n + 1, sizeof(*linux_->skip_securebits));
                if (!linux_->skip_securebits)
                        return json_fail_oom(r);
                for (size_t i = 0; i < n; i++)
                        if (!(linux_->skip_securebits[i] = strdup(json_string_value(json_array_get(member, i)))))
                                return json_fail_oom(r);
        }
        return 0;
}

int spec_parse_linux(const struct json_reader *r, const struct json_path *path, const json_t *v,
                     struct husk_linux *linux_)
{
        json_t *member;
        JSON_TRY(json_read_object(r, path, v));
        JSON_TRY(parse_namespaces(r, path, v, linux_));
        if (JSON_TRY_GET(json_get_array(r, path, v, "uidMappings", &member))) {
                struct json_path p = JSON_PATH_KEY(path, "uidMappings");
                JSON_TRY(spec_parse_id_mappings(r, &p, member, &linux_->uid_mappings));
        }
        if (JSON_TRY_GET(json_get_array(r, path, v, "gidMappings", &member))) {
                struct json_path p = JSON_PATH_KEY(path, "gidMappings");
                JSON_TRY(spec_parse_id_mappings(r, &p, member, &linux_->gid_mappings));
        }
        JSON_TRY(parse_time_offsets(r, path, v, linux_));
        JSON_TRY(parse_devices(r, path, v, linux_));
        JSON_TRY(parse_net_devices(r, path, v, linux_));
        JSON_TRY(json_get_string(r, path, v, "cgroupsPath", &linux_->cgroups_path));
        JSON_TRY(parse_rootfs_propagation(r, path, v, linux_));
        if ((member = json_member(v, "resources"))) {
                struct json_path p = JSON_PATH_KEY(path, "resources");
                JSON_TRY(spec_parse_resources(r, &p, member, &linux_->resources));
        }
        JSON_TRY(parse_intel_rdt(r, path, v, &linux_->intel_rdt));
        JSON_TRY(json_get_kv(r, path, v, "sysctl", &linux_->sysctl));
        if ((member = json_member(v, "seccomp"))) {
                struct json_path p = JSON_PATH_KEY(path, "seccomp");
                JSON_TRY(spec_parse_seccomp(r, &p, member, &linux_->seccomp));
        }
        JSON_TRY(get_absolute_paths(r, path, v, "maskedPaths", &linux_->masked_paths));
        JSON_TRY(get_absolute_paths(r, path, v, "readonlyPaths", &linux_->readonly_paths));
        JSON_TRY(json_get_string(r, path, v, "mountLabel", &linux_->mount_label));
        JSON_TRY(parse_personality(r, path, v, &linux_->personality));
        JSON_TRY(parse_memory_policy(r, path, v, &linux_->memory_policy));
        JSON_TRY(parse_run_oci_extensions(r, v, linux_));
        return 0;
}

void spec_linux_clear(struct husk_linux *linux_)
{
        for (size_t i = 0; i < linux_->namespaces_len; i++)
                free(linux_->namespaces[i].path);
        free(linux_->namespaces);
        spec_id_mappings_clear(&linux_->uid_mappings);
        spec_id_mappings_clear(&linux_->gid_mappings);
        for (size_t i = 0; i < linux_->devices_len; i++)
                free(linux_->devices[i].path);
        free(linux_->devices);
        for (size_t i = 0; i < linux_->net_devices_len; i++) {
                free(linux_->net_devices[i].host_name);
                free(linux_->net_devices[i].name);
        }
        free(linux_->net_devices);
        free(linux_->cgroups_path);
        spec_resources_clear(&linux_->resources);
        free(linux_->intel_rdt.clos_id);
        free(linux_->intel_rdt.l3_cache_schema);
        free(linux_->intel_rdt.mem_bw_schema);
        strv_free(linux_->intel_rdt.schemata);
        husk_kv_list_clear(&linux_->sysctl);
        spec_seccomp_clear(&linux_->seccomp);
        strv_free(linux_->masked_paths);
        strv_free(linux_->readonly_paths);
        free(linux_->mount_label);
        strv_free(linux_->personality.flags);
        free(linux_->memory_policy.nodes);
        free(linux_->alt_syscall);
        strv_free(linux_->skip_securebits);
        *linux_ = (struct husk_linux){0};
}
