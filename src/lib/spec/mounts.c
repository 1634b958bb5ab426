/* The mounts array, and mount options turned into MS_* flags, MOUNT_ATTR_* bits, propagation and data. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "spec/parse.h"
#include "util/cleanup.h"

enum option_kind {
        OPT_NONE,         /* accepted, changes nothing ("defaults") */
        OPT_FLAG_SET,     /* MS_* */
        OPT_FLAG_CLEAR,   /* MS_* */
        OPT_ATTR_SET,     /* MOUNT_ATTR_* applied recursively */
        OPT_ATTR_CLEAR,   /* MOUNT_ATTR_* */
        OPT_ATIME_SET,    /* a MOUNT_ATTR_ atime mode */
        OPT_ATIME_UNDO,   /* undoes that atime mode when it was chosen */
        OPT_PROPAGATION,  /* value: enum husk_propagation */
        OPT_RPROPAGATION, /* value: enum husk_propagation */
        OPT_BIND,
        OPT_RBIND,
        OPT_IDMAP,
        OPT_RIDMAP,
        OPT_LOOP,
        OPT_TMPCOPYUP,
};

struct mount_option {
        const char *name;
        enum option_kind kind;
        unsigned long value;
};

static const struct mount_option mount_options[] = {
    {"defaults", OPT_NONE, 0},
    {"ro", OPT_FLAG_SET, MS_RDONLY},
    {"rw", OPT_FLAG_CLEAR, MS_RDONLY},
    {"nosuid", OPT_FLAG_SET, MS_NOSUID},
    {"suid", OPT_FLAG_CLEAR, MS_NOSUID},
    {"nodev", OPT_FLAG_SET, MS_NODEV},
    {"dev", OPT_FLAG_CLEAR, MS_NODEV},
    {"noexec", OPT_FLAG_SET, MS_NOEXEC},
    {"exec", OPT_FLAG_CLEAR, MS_NOEXEC},
    {"sync", OPT_FLAG_SET, MS_SYNCHRONOUS},
    {"async", OPT_FLAG_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_FLAG_SET, MS_DIRSYNC},
    {"remount", OPT_FLAG_SET, MS_REMOUNT},
    {"mand", OPT_FLAG_SET, MS_MANDLOCK},
    {"nomand", OPT_FLAG_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_FLAG_SET, MS_NOATIME},
    {"atime", OPT_FLAG_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_FLAG_SET, MS_NODIRATIME},
    {"diratime", OPT_FLAG_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_FLAG_SET, MS_RELATIME},
    {"norelatime", OPT_FLAG_CLEAR, MS_RELATIME},
    {"strictatime", OPT_FLAG_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_FLAG_CLEAR, MS_STRICTATIME},
    {"lazytime", OPT_FLAG_SET, MS_LAZYTIME},
    {"nolazytime", OPT_FLAG_CLEAR, MS_LAZYTIME},
    {"silent", OPT_FLAG_SET, MS_SILENT},
    {"loud", OPT_FLAG_CLEAR, MS_SILENT},
    {"iversion", OPT_FLAG_SET, MS_I_VERSION},
    {"noiversion", OPT_FLAG_CLEAR, MS_I_VERSION},
    {"acl", OPT_FLAG_SET, MS_POSIXACL},
    {"noacl", OPT_FLAG_CLEAR, MS_POSIXACL},
    {"nosymfollow", OPT_FLAG_SET, MS_NOSYMFOLLOW},
    {"symfollow", OPT_FLAG_CLEAR, MS_NOSYMFOLLOW},
    {"bind", OPT_BIND, 0},
    {"rbind", OPT_RBIND, 0},
    {"shared", OPT_PROPAGATION, HUSK_PROPAGATION_SHARED},
    {"rshared", OPT_RPROPAGATION, HUSK_PROPAGATION_SHARED},
    {"slave", OPT_PROPAGATION, HUSK_PROPAGATION_SLAVE},
    {"rslave", OPT_RPROPAGATION, HUSK_PROPAGATION_SLAVE},
    {"private", OPT_PROPAGATION, HUSK_PROPAGATION_PRIVATE},
    {"rprivate", OPT_RPROPAGATION, HUSK_PROPAGATION_PRIVATE},
    {"unbindable", OPT_PROPAGATION, HUSK_PROPAGATION_UNBINDABLE},
    {"runbindable", OPT_RPROPAGATION, HUSK_PROPAGATION_UNBINDABLE},
    {"rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY},
    {"rrw", OPT_ATTR_CLEAR, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID},
    {"rsuid", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV},
    {"rdev", OPT_ATTR_CLEAR, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC},
    {"rexec", OPT_ATTR_CLEAR, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", OPT_ATTR_CLEAR, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", OPT_ATTR_CLEAR, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", OPT_ATIME_SET, MOUNT_ATTR_RELATIME},
    {"rnorelatime", OPT_ATIME_UNDO, MOUNT_ATTR_RELATIME},
    {"rnoatime", OPT_ATIME_SET, MOUNT_ATTR_NOATIME},
    {"ratime", OPT_ATIME_UNDO, MOUNT_ATTR_NOATIME},
    {"rstrictatime", OPT_ATIME_SET, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", OPT_ATIME_UNDO, MOUNT_ATTR_STRICTATIME},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_RIDMAP, 0},
    {"loop", OPT_LOOP, 0},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
};

static const struct mount_option *find_option(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(mount_options); i++)
                if (strcmp(mount_options[i].name, name) == 0)
                        return &mount_options[i];
        return NULL;
}

/*
 * The atime mode is one value in a 3-bit field, so the kernel wants MOUNT_ATTR__ATIME in attr_clr
 * whenever a mode is set. A negative form (ratime, rnorelatime, rnostrictatime) undoes the same
 * mode chosen by an earlier option and otherwise leaves the mount's atime alone: clearing one value
 * of an enumeration has no other meaning (and MOUNT_ATTR_RELATIME is 0).
 */
static void apply_atime(struct husk_mount *m, enum option_kind kind, uint64_t mode)
{
        bool chosen = (m->rec_attr_clr & MOUNT_ATTR__ATIME) != 0;
        if (kind == OPT_ATIME_SET) {
                m->rec_attr_clr |= MOUNT_ATTR__ATIME;
                m->rec_attr_set = (m->rec_attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | mode;
        } else if (chosen && (m->rec_attr_set & MOUNT_ATTR__ATIME) == mode) {
                m->rec_attr_clr &= ~(uint64_t)MOUNT_ATTR__ATIME;
                m->rec_attr_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
        }
}

/*
 * Append option to data, comma-separated; data grows in place. One option may hold several ("a,b", as
 * runc passes it on): the empty ones of ",", "a," or "a,,b" are dropped, as empty options are, so data
 * never holds an empty entry. A comma inside "quotes" (an SELinux context's categories) separates nothing.
 */
static int append_data(const struct json_reader *r, struct husk_mount *m, size_t *used, const char *option)
{
        for (const char *p = option; *p;) {
                const char *start = p;
                bool quoted = false;
                for (; *p && (quoted || *p != ','); p++)
                        if (*p == '"')
                                quoted = !quoted;
                size_t add = (size_t)(p - start);
                if (*p)
                        p++;
                if (add == 0)
                        continue;
                char *n = realloc(m->data, *used + (*used ? 1 : 0) + add + 1);
                if (!n)
                        return json_fail_oom(r);
                m->data = n;
                if (*used)
                        n[(*used)++] = ',';
                memcpy(n + *used, start, add);
                *used += add;
                n[*used] = '\0';
        }
        return 0;
}

static void apply_option(struct husk_mount *m, const struct mount_option *opt)
{
        switch (opt->kind) {
        case OPT_NONE:
                break;
        case OPT_FLAG_SET:
                m->flags |= opt->value;
                m->clear_flags &= ~opt->value;
                break;
        case OPT_FLAG_CLEAR:
                m->flags &= ~opt->value;
                m->clear_flags |= opt->value;
                break;
        case OPT_ATTR_SET:
                m->rec_attr_set |= opt->value;
                m->rec_attr_clr &= ~(uint64_t)opt->value;
                break;
        case OPT_ATTR_CLEAR:
                m->rec_attr_set &= ~(uint64_t)opt->value;
                m->rec_attr_clr |= opt->value;
                break;
        case OPT_ATIME_SET:
        case OPT_ATIME_UNDO:
                apply_atime(m, opt->kind, opt->value);
                break;
        case OPT_PROPAGATION:
        case OPT_RPROPAGATION:
                m->propagation = (enum husk_propagation)opt->value;
                m->propagation_recursive = opt->kind == OPT_RPROPAGATION;
                break;
        case OPT_BIND:
                m->bind = true;
                m->flags |= MS_BIND;
                break;
        case OPT_RBIND:
                m->bind = m->recursive = true;
                m->flags |= MS_BIND | MS_REC;
                break;
        case OPT_IDMAP:
                m->idmap = true;
                break;
        case OPT_RIDMAP:
                m->idmap = m->idmap_recursive = true;
                break;
        case OPT_LOOP:
                m->loop = true;
                break;
        case OPT_TMPCOPYUP:
                m->tmpcopyup = true;
                break;
        }
}

static int apply_options(const struct json_reader *r, struct husk_mount *m)
{
        size_t data_len = 0;
        for (char **o = m->options; o && *o; o++) {
                if (**o == '\0')
                        continue;
                const struct mount_option *opt = find_option(*o);
                if (opt)
                        apply_option(m, opt);
                else
                        JSON_TRY(append_data(r, m, &data_len, *o));
        }
        return 0;
}

static int parse_mount(const struct json_reader *r, const struct json_path *path, const json_t *v, struct husk_mount *m)
{
        json_t *maps;
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_string(r, path, v, "destination", &m->destination)))
                return json_fail_missing(r, path, "destination");
        if (m->destination[0] == '\0') {
                struct json_path p = JSON_PATH_KEY(path, "destination");
                return json_fail(r, &p, "must not be empty");
        }
        /* runtime-spec 1.1+: a relative destination is deprecated but MUST be read as relative to "/",
         * and runc accepts it: make it absolute so nothing further down has to care */
        if (m->destination[0] != '/') {
                size_t len = strlen(m->destination);
                char *abs = malloc(len + 2);
                if (!abs)
                        return json_fail_oom(r);
                abs[0] = '/';
                memcpy(abs + 1, m->destination, len + 1);
                free(m->destination);
                m->destination = abs;
        }
        JSON_TRY(json_get_string(r, path, v, "type", &m->type));
        JSON_TRY(json_get_string(r, path, v, "source", &m->source));
        JSON_TRY(json_get_strv(r, path, v, "options", &m->options));
        JSON_TRY(apply_options(r, m));
        if (JSON_TRY_GET(json_get_array(r, path, v, "uidMappings", &maps))) {
                struct json_path p = JSON_PATH_KEY(path, "uidMappings");
                JSON_TRY(spec_parse_id_mappings(r, &p, maps, &m->uid_mappings));
        }
        if (JSON_TRY_GET(json_get_array(r, path, v, "gidMappings", &maps))) {
                struct json_path p = JSON_PATH_KEY(path, "gidMappings");
                JSON_TRY(spec_parse_id_mappings(r, &p, maps, &m->gid_mappings));
        }
        JSON_TRY(json_get_bool(r, path, v, "performInIntermediateNamespace", &m->perform_in_intermediate_namespace));
        return 0;
}

int spec_parse_mounts(const struct json_reader *r, const struct json_path *path, const json_t *v,
                      struct husk_spec *spec)
{
        JSON_TRY(json_read_array(r, path, v));
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*spec->mounts), (void **)&spec->mounts));
        spec->mounts_len = n; /* calloc'ed: free copes with the ones not reached */
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(path, i);
                JSON_TRY(parse_mount(r, &p, json_array_get(v, i), &spec->mounts[i]));
        }
        return 0;
}

void spec_mounts_free(struct husk_mount *mounts, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                struct husk_mount *m = &mounts[i];
                free(m->destination);
                free(m->type);
                free(m->source);
                strv_free(m->options);
                free(m->data);
                spec_id_mappings_clear(&m->uid_mappings);
                spec_id_mappings_clear(&m->gid_mappings);
        }
        free(mounts);
}

int husk_spec_append_bind_mount(struct husk_spec *spec, const char *source, const char *destination,
                                const char *const *options, struct husk_error **err)
{
        size_t n = 0;
        while (options[n])
                n++;
        struct husk_mount *mounts = realloc(spec->mounts, (spec->mounts_len + 1) * sizeof(*mounts));
        if (!mounts)
                return husk_error_set(err, ENOMEM, "add a bind mount on `%s`", destination);
        spec->mounts = mounts;
        /* Counted at once: a half-built entry is still freed with the spec. */
        struct husk_mount *m = &spec->mounts[spec->mounts_len++];
        *m = (struct husk_mount){0};
        m->destination = strdup(destination);
        m->type = strdup("bind");
        m->source = strdup(source);
        m->options = calloc(n + 1, sizeof(*m->options));
        if (!m->destination || !m->type || !m->source || !m->options)
                return husk_error_set(err, ENOMEM, "add a bind mount on `%s`", destination);
        for (size_t i = 0; i < n; i++) {
                const struct mount_option *opt = find_option(options[i]);
                if (!opt)
                        return husk_error_set(err, EINVAL, "bind mount on `%s`: unknown option `%s`", destination,
                                              options[i]);
                if (!(m->options[i] = strdup(options[i])))
                        return husk_error_set(err, ENOMEM, "add a bind mount on `%s`", destination);
                apply_option(m, opt);
        }
        return 0;
}
