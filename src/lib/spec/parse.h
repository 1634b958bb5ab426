/* Parsers of the parts of config.json, shared by the files of src/lib/spec only. */
#pragma once

#include "spec/json_read.h"
#include "spec/spec.h"

/*
 * Load text and run parse on its root object; the reader and the tree live only for the call. With
 * deferred (its path and skip set) the array at that path is not built: the reader's `deferred` says
 * where its text is (husk_json_loadb_deferring), and so does *deferred after the call.
 */
int spec_parse_document(const char *text, size_t len, const char *source, struct husk_json_deferred *deferred,
                        struct husk_error **err,
                        int (*parse)(const struct json_reader *r, const json_t *doc, void *ret), void *ret);

/* A name of an enumeration in the config and the value it stands for. */
struct spec_name {
        const char *name;
        int value;
};

/* The value of name in table, or -1. */
int spec_name_lookup(const struct spec_name *table, size_t len, const char *name);

/* Read obj[key] as one name of table; 1 when read, 0 when absent, -EINVAL (`unknown <what> "x"`). */
int spec_get_enum(const struct json_reader *r, const struct json_path *parent, const json_t *obj, const char *key,
                  const struct spec_name *table, size_t len, const char *what, int *ret);

/* calloc for n items that sets an ENOMEM error; NULL without error when n is 0. */
int spec_alloc_array(const struct json_reader *r, size_t n, size_t size, void **ret);

/* A cpu or node list as the kernel reads it ("0-3,7", "0-15:2/4"); "" is valid. */
int spec_check_list(const struct json_reader *r, const struct json_path *path, const char *list);

/* Fail unless s starts with '/'. */
int spec_check_absolute(const struct json_reader *r, const struct json_path *path, const char *s);

int spec_parse_process(const struct json_reader *r, const struct json_path *path, const json_t *v,
                       struct husk_process *ret);
void spec_process_clear(struct husk_process *process);

int spec_parse_mounts(const struct json_reader *r, const struct json_path *path, const json_t *v,
                      struct husk_spec *spec);
void spec_mounts_free(struct husk_mount *mounts, size_t len);

int spec_parse_hooks(const struct json_reader *r, const struct json_path *path, const json_t *v,
                     struct husk_hooks *ret);
void spec_hooks_clear(struct husk_hooks *hooks);
void spec_hook_list_clear(struct husk_hook_list *list);

int spec_parse_linux(const struct json_reader *r, const struct json_path *path, const json_t *v,
                     struct husk_linux *ret);
void spec_linux_clear(struct husk_linux *linux_);

int spec_parse_id_mappings(const struct json_reader *r, const struct json_path *path, const json_t *v,
                           struct husk_id_mappings *ret);
void spec_id_mappings_clear(struct husk_id_mappings *mappings);

int spec_parse_resources(const struct json_reader *r, const struct json_path *path, const json_t *v,
                         struct husk_resources *ret);
void spec_resources_clear(struct husk_resources *resources);

int spec_parse_seccomp(const struct json_reader *r, const struct json_path *path, const json_t *v,
                       struct husk_seccomp *ret);
void spec_seccomp_clear(struct husk_seccomp *seccomp);
