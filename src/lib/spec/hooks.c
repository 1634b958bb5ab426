/* The hooks object: prestart, createRuntime, createContainer, startContainer, poststart, poststop; run_oci's too. */
#include <limits.h>
#include <stdlib.h>

#include "spec/parse.h"
#include "util/cleanup.h"

static int parse_hook(const struct json_reader *r, const struct json_path *path, const json_t *v,
                      struct husk_hook *hook)
{
        JSON_TRY(json_read_object(r, path, v));
        if (!JSON_TRY_GET(json_get_string(r, path, v, "path", &hook->path)))
                return json_fail_missing(r, path, "path");
        struct json_path path_path = JSON_PATH_KEY(path, "path");
        JSON_TRY(spec_check_absolute(r, &path_path, hook->path)); /* the spec extends execv: MUST be absolute */
        JSON_TRY(json_get_strv(r, path, v, "args", &hook->args));
        JSON_TRY(json_get_strv(r, path, v, "env", &hook->env));
        int64_t timeout;
        if (JSON_TRY_GET(json_get_i64(r, path, v, "timeout", 1, INT_MAX, &timeout))) {
                hook->has_timeout = true;
                hook->timeout = (int)timeout;
        }
        return 0;
}

static int parse_hook_list(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                           const char *key, struct husk_hook_list *list)
{
        json_t *v;
        if (!JSON_TRY_GET(json_get_array(r, parent, obj, key, &v)))
                return 0;
        struct json_path path = JSON_PATH_KEY(parent, key);
        size_t n = json_array_size(v);
        JSON_TRY(spec_alloc_array(r, n, sizeof(*list->items), (void **)&list->items));
        list->len = n; /* calloc'ed: free copes with the ones not reached */
        for (size_t i = 0; i < n; i++) {
                struct json_path p = JSON_PATH_INDEX(&path, i);
                JSON_TRY(parse_hook(r, &p, json_array_get(v, i), &list->items[i]));
        }
        return 0;
}

/* A run_oci hook list: an error in it is kept for run_oci's front end, never one of the parse (see spec.h). */
static int parse_run_oci_hook_list(const struct json_reader *r, const struct json_path *parent, const json_t *obj,
                                   const char *key, struct husk_hook_list *list, char **ret_error)
{
        _cleanup_error_ struct husk_error *error = NULL;
        struct json_reader kept = *r;
        kept.err = &error;
        if (parse_hook_list(&kept, parent, obj, key, list) >= 0)
                return 0;
        spec_hook_list_clear(list);
        if (!*ret_error && !(*ret_error = husk_error_format(error)))
                return json_fail_oom(r);
        return 0;
}

int spec_parse_hooks(const struct json_reader *r, const struct json_path *path, const json_t *v,
                     struct husk_hooks *hooks)
{
        JSON_TRY(json_read_object(r, path, v));
        JSON_TRY(parse_hook_list(r, path, v, "prestart", &hooks->prestart));
        JSON_TRY(parse_hook_list(r, path, v, "createRuntime", &hooks->create_runtime));
        JSON_TRY(parse_hook_list(r, path, v, "createContainer", &hooks->create_container));
        JSON_TRY(parse_hook_list(r, path, v, "startContainer", &hooks->start_container));
        JSON_TRY(parse_hook_list(r, path, v, "poststart", &hooks->poststart));
        JSON_TRY(parse_hook_list(r, path, v, "poststop", &hooks->poststop));
        JSON_TRY(parse_run_oci_hook_list(r, path, v, "precreate", &hooks->precreate, &hooks->run_oci_error));
        JSON_TRY(parse_run_oci_hook_list(r, path, v, "prechroot", &hooks->prechroot, &hooks->run_oci_error));
        return 0;
}

void spec_hook_list_clear(struct husk_hook_list *list)
{
        for (size_t i = 0; i < list->len; i++) {
                free(list->items[i].path);
                strv_free(list->items[i].args);
                strv_free(list->items[i].env);
        }
        free(list->items);
        *list = (struct husk_hook_list){0};
}

void spec_hooks_clear(struct husk_hooks *hooks)
{
        spec_hook_list_clear(&hooks->prestart);
        spec_hook_list_clear(&hooks->create_runtime);
        spec_hook_list_clear(&hooks->create_container);
        spec_hook_list_clear(&hooks->start_container);
        spec_hook_list_clear(&hooks->poststart);
        spec_hook_list_clear(&hooks->poststop);
        spec_hook_list_clear(&hooks->precreate);
        spec_hook_list_clear(&hooks->prechroot);
        free(hooks->run_oci_error);
        hooks->run_oci_error = NULL;
}
