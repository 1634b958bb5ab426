/* Entry points of the config parser, the top level of config.json (root, hostname, annotations), and free. */
#include "spec/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/json_arena.h"
#include "spec/json_read.h"
#include "spec/parse.h"
#include "util/cleanup.h"

/* A config.json of this size is surely a mistake; refuse it before allocating. */
#define SPEC_MAX_SIZE (32u << 20)

static int parse_root(const struct json_reader *r, const json_t *obj, struct husk_root *root)
{
        const struct json_path path = JSON_PATH_KEY(NULL, "root");
        int found = json_get_string(r, &path, obj, "path", &root->path);
        JSON_TRY(found);
        if (found == 0)
                return json_fail_missing(r, &path, "path");
        if (root->path[0] == '\0') {
                struct json_path p = JSON_PATH_KEY(&path, "path");
                return json_fail(r, &p, "must not be empty");
        }
        JSON_TRY(json_get_bool(r, &path, obj, "readonly", &root->readonly));
        return 0;
}

static int parse_annotations(const struct json_reader *r, const json_t *obj, struct husk_kv_list *annotations)
{
        JSON_TRY(json_get_kv(r, NULL, obj, "annotations", annotations));
        for (size_t i = 0; i < annotations->len; i++)
                if (annotations->items[i].key[0] == '\0') {
                        struct json_path p = JSON_PATH_KEY(NULL, "annotations");
                        return json_fail(r, &p, "keys must not be empty");
                }
        return 0;
}

/* A SemVer 2.0.0 numeric identifier: 0, or digits without a leading zero. */
static const char *semver_number(const char *s)
{
        if (*s == '0')
                return s + 1;
        if (*s < '1' || *s > '9')
                return NULL;
        while (*s >= '0' && *s <= '9')
                s++;
        return s;
}

/* Dot-separated identifiers of [0-9A-Za-z-] after `-` or `+`; numeric prerelease ones without leading zeros. */
static const char *semver_identifiers(const char *s, bool prerelease)
{
        do {
                const char *start = s;
                bool numeric = true;
                while ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-') {
                        numeric = numeric && *s >= '0' && *s <= '9';
                        s++;
                }
                if (s == start || (prerelease && numeric && *start == '0' && s - start > 1))
                        return NULL;
        } while (*s == '.' && s++);
        return s;
}

static bool semver_valid(const char *s)
{
        for (int i = 0; i < 3; i++) {
                if (!(s = semver_number(s)) || (i < 2 && *s++ != '.'))
                        return false;
        }
        if (*s == '-' && !(s = semver_identifiers(s + 1, true)))
                return false;
        if (*s == '+' && !(s = semver_identifiers(s + 1, false)))
                return false;
        return *s == '\0';
}

static int parse_spec(const struct json_reader *r, const json_t *doc, struct husk_spec *spec)
{
        json_t *v;
        int found = json_get_string(r, NULL, doc, "ociVersion", &spec->oci_version);
        JSON_TRY(found);
        if (found == 0)
                return json_fail_missing(r, NULL, "ociVersion");
        /* config.md: ociVersion "MUST be in SemVer v2.0.0 format"; husk implements the 1.x series. */
        struct json_path version_path = JSON_PATH_KEY(NULL, "ociVersion");
        struct json_quoted q;
        if (!semver_valid(spec->oci_version))
                return json_fail(r, &version_path, "%s is not a SemVer 2.0.0 version",
                                 json_quote(&q, spec->oci_version));
        if (strncmp(spec->oci_version, "1.", 2) != 0)
                return json_fail(r, &version_path, "version %s is not supported: husk implements runtime-spec 1.x",
                                 json_quote(&q, spec->oci_version));

        if (JSON_TRY_GET(json_get_object(r, NULL, doc, "root", &v)))
                JSON_TRY(parse_root(r, v, &spec->root));

        if ((v = json_member(doc, "mounts"))) {
                struct json_path p = JSON_PATH_KEY(NULL, "mounts");
                JSON_TRY(spec_parse_mounts(r, &p, v, spec));
        }

        if ((v = json_member(doc, "process"))) {
                struct json_path p = JSON_PATH_KEY(NULL, "process");
                spec->has_process = true;
                JSON_TRY(spec_parse_process(r, &p, v, &spec->process));
        }

        JSON_TRY(json_get_string(r, NULL, doc, "hostname", &spec->hostname));
        JSON_TRY(json_get_string(r, NULL, doc, "domainname", &spec->domainname));

        if ((v = json_member(doc, "hooks"))) {
                struct json_path p = JSON_PATH_KEY(NULL, "hooks");
                JSON_TRY(spec_parse_hooks(r, &p, v, &spec->hooks));
        }

        JSON_TRY(parse_annotations(r, doc, &spec->annotations));

        if ((v = json_member(doc, "linux"))) {
                struct json_path p = JSON_PATH_KEY(NULL, "linux");
                spec->has_linux = true;
                JSON_TRY(spec_parse_linux(r, &p, v, &spec->linux_));
        }
        return 0;
}

int spec_parse_document(const char *text, size_t len, const char *source, struct husk_json_deferred *deferred,
                        struct husk_error **err,
                        int (*parse)(const struct json_reader *r, const json_t *doc, void *ret), void *ret)
{
        if (!text && len > 0)
                return husk_error_set(err, EINVAL, "%s: no text", source);
        struct json_reader r = {.source = source, .err = err, .deferred = deferred};
        json_t *doc = NULL;
        /* The tree lives only for this call: its values come from an arena dropped whole at the end. */
        struct json_arena arena;
        husk_json_arena_begin(&arena);
        int e = json_reader_load(&r, text ? text : "", len, &doc);
        if (e >= 0)
                e = parse(&r, doc, ret);
        if (!arena.active)
                json_decref(doc);
        husk_json_arena_end(&arena);
        json_reader_done(&r);
        return e;
}

static int parse_spec_document(const struct json_reader *r, const json_t *doc, void *ret)
{
        return parse_spec(r, doc, ret);
}

/* A parse that only reads the JSON (the tree is dropped unread). */
static int check_only(const struct json_reader *r, const json_t *doc, void *ret)
{
        (void)r;
        (void)doc;
        (void)ret;
        return 0;
}

/*
 * Whether the rules' arrays the parse passed over unchecked are vouched for: one array, the one the
 * seccomp object holds, and the caller's hook knows its text.
 */
static bool skipped_rules_known(const struct husk_json_deferred *d, const struct husk_spec *spec,
                                const struct husk_spec_parse_options *opts)
{
        const struct husk_seccomp *sc = &spec->linux_.seccomp;
        return d->skipped == 1 && d->found_skipped && sc->syscalls_json && opts->rules_known(sc, opts->data);
}

int husk_spec_parse_with(const char *text, size_t len, const char *source, const struct husk_spec_parse_options *opts,
                         struct husk_spec **ret, struct husk_error **err)
{
        if (!source)
                source = "config.json";
        struct husk_spec *spec = calloc(1, sizeof(*spec));
        if (!spec)
                return husk_error_set(err, ENOMEM, "%s: parse", source);
        /* podman's seccomp profile is most of a config: its rules are parsed only when a filter is built */
        static const char *const syscalls[] = {"linux", "seccomp", "syscalls", NULL};
        struct husk_json_deferred deferred = {.path = syscalls, .skip = opts && opts->rules_known};
        struct husk_error *first = NULL;
        int e = spec_parse_document(text, len, source, &deferred, &first, parse_spec_document, spec);
        /*
         * Rules passed over unchecked: unless the hook vouches for them, the document is read once more
         * with every byte checked. Its error, if any, is the one a checked first pass would have stopped
         * at, before any error the first pass found (in the fields, or after rules that are not JSON).
         * Out of memory is out of memory either way.
         */
        if (deferred.skipped > 0 && (e >= 0 ? !skipped_rules_known(&deferred, spec, opts) : e != -ENOMEM)) {
                struct husk_json_deferred checked = {.path = syscalls};
                struct husk_error *syntax = NULL;
                int c = spec_parse_document(text, len, source, &checked, &syntax, check_only, NULL);
                if (c < 0) {
                        husk_error_free(first);
                        first = syntax;
                        e = c;
                }
        }
        if (e < 0) {
                if (err && !*err)
                        *err = first;
                else
                        husk_error_free(first);
                husk_spec_free(spec);
                return e;
        }
        *ret = spec;
        return 0;
}

int husk_spec_parse(const char *text, size_t len, const char *source, struct husk_spec **ret, struct husk_error **err)
{
        return husk_spec_parse_with(text, len, source, NULL, ret, err);
}

static int parse_process_document(const struct json_reader *r, const json_t *doc, void *ret)
{
        return spec_parse_process(r, NULL, doc, ret);
}

int husk_process_parse(const char *text, size_t len, const char *source, struct husk_process **ret,
                       struct husk_error **err)
{
        if (!source)
                source = "process.json";
        struct husk_process *process = calloc(1, sizeof(*process));
        if (!process)
                return husk_error_set(err, ENOMEM, "%s: parse", source);
        int e = spec_parse_document(text, len, source, NULL, err, parse_process_document, process);
        if (e < 0) {
                husk_process_free(process);
                return e;
        }
        *ret = process;
        return 0;
}

static int parse_resources_document(const struct json_reader *r, const json_t *doc, void *ret)
{
        return spec_parse_resources(r, NULL, doc, ret);
}

int husk_resources_parse(const char *text, size_t len, const char *source, struct husk_resources **ret,
                         struct husk_error **err)
{
        if (!source)
                source = "resources.json";
        struct husk_resources *resources = calloc(1, sizeof(*resources));
        if (!resources)
                return husk_error_set(err, ENOMEM, "%s: parse", source);
        int e = spec_parse_document(text, len, source, NULL, err, parse_resources_document, resources);
        if (e < 0) {
                husk_resources_free(resources);
                return e;
        }
        *ret = resources;
        return 0;
}

/* The whole file with as few reads as its size allows: one for a regular file. */
static int read_file(const char *path, const char *source, char **ret, size_t *ret_len, struct husk_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return husk_error_set(err, errno, "open `%s`", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return husk_error_set(err, errno, "stat `%s`", path);
        if (S_ISDIR(st.st_mode))
                return husk_error_set(err, EISDIR, "read `%s`", path);
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > SPEC_MAX_SIZE)
                return husk_error_set(err, EFBIG, "%s: larger than %u bytes", source, SPEC_MAX_SIZE);

        size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 16384, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return husk_error_set(err, ENOMEM, "read `%s`", path);
        for (;;) {
                if (len == cap) {
                        /* a regular file read to its stat size is complete; anything else reads to EOF */
                        if (S_ISREG(st.st_mode) && st.st_size > 0)
                                break;
                        if (cap >= SPEC_MAX_SIZE)
                                return husk_error_set(err, EFBIG, "%s: larger than %u bytes", source, SPEC_MAX_SIZE);
                        cap *= 2;
                        char *n = realloc(buf, cap + 1);
                        if (!n)
                                return husk_error_set(err, ENOMEM, "read `%s`", path);
                        buf = n;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return husk_error_set(err, errno, "read `%s`", path);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int husk_spec_load_text(const char *path, const struct husk_spec_parse_options *opts, struct husk_spec **ret,
                        char **ret_text, size_t *ret_len, struct husk_error **err)
{
        const char *slash = strrchr(path, '/');
        const char *source = slash && slash[1] ? slash + 1 : path;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        JSON_TRY(read_file(path, source, &text, &len, err));
        JSON_TRY(husk_spec_parse_with(text, len, source, opts, ret, err));
        if (ret_text) {
                *ret_text = TAKE_PTR(text);
                *ret_len = len;
        }
        return 0;
}

int husk_spec_load(const char *path, struct husk_spec **ret, struct husk_error **err)
{
        return husk_spec_load_text(path, NULL, ret, NULL, NULL, err);
}

void husk_spec_free(struct husk_spec *spec)
{
        if (!spec)
                return;
        free(spec->oci_version);
        free(spec->root.path);
        spec_mounts_free(spec->mounts, spec->mounts_len);
        spec_process_clear(&spec->process);
        free(spec->hostname);
        free(spec->domainname);
        spec_hooks_clear(&spec->hooks);
        husk_kv_list_clear(&spec->annotations);
        spec_linux_clear(&spec->linux_);
        free(spec);
}

void husk_spec_freep(struct husk_spec **spec)
{
        husk_spec_free(*spec);
        *spec = NULL;
}

void husk_process_clear(struct husk_process *process)
{
        spec_process_clear(process);
}

void husk_process_free(struct husk_process *process)
{
        if (!process)
                return;
        spec_process_clear(process);
        free(process);
}

void husk_process_freep(struct husk_process **process)
{
        husk_process_free(*process);
        *process = NULL;
}

void husk_resources_free(struct husk_resources *resources)
{
        if (!resources)
                return;
        spec_resources_clear(resources);
        free(resources);
}

void husk_resources_freep(struct husk_resources **resources)
{
        husk_resources_free(*resources);
        *resources = NULL;
}
