/* state and list: read containers' state with their derived status. */
#include "container/lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

int husk_container_state(const struct husk_runtime *rt, const char *id, struct husk_state **ret,
                         struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        _cleanup_close_ int dirfd = -1;
        struct husk_state *s = NULL;
        int r = husk_state_load(root, id, false, &dirfd, &s, err);
        if (r < 0)
                return r;
        /* A dir without state.json (a create that has not written it yet, or died first) is no container to
         * show, as with runc: its `created` would be empty, which go-runc cannot decode (a whole `list` lost).
         * delete --force still finds it. */
        if (!s->created) {
                husk_state_free(s);
                return husk_error_set(err, 0, "container `%s` does not exist", id);
        }
        *ret = s;
        return 0;
}

static int by_id(const void *a, const void *b)
{
        return strcmp((*(struct husk_state *const *)a)->id, (*(struct husk_state *const *)b)->id);
}

void husk_state_list_free(struct husk_state **list, size_t len)
{
        for (size_t i = 0; i < len; i++)
                husk_state_free(list[i]);
        free(list);
}

int husk_container_list(const struct husk_runtime *rt, struct husk_state ***ret, size_t *ret_len,
                        struct husk_error **err)
{
        const char *root = husk_runtime_root(rt);
        *ret = NULL;
        *ret_len = 0;
        DIR *dir = opendir(root);
        if (!dir) {
                if (errno == ENOENT)
                        return 0;
                return husk_error_set(err, errno, "open state root `%s`", root);
        }
        struct husk_state **list = NULL;
        size_t len = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(dir))) {
                if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
                        continue;
                struct husk_state *s = NULL;
                if (husk_container_state(rt, de->d_name, &s, NULL) < 0)
                        continue; /* removed meanwhile, or not a container */
                if (len == cap) {
                        cap = cap ? cap * 2 : 16;
                        struct husk_state **grown = realloc(list, cap * sizeof(*list));
                        if (!grown) {
                                husk_state_free(s);
                                husk_state_list_free(list, len);
                                closedir(dir);
                                return husk_error_set(err, ENOMEM, "list containers");
                        }
                        list = grown;
                }
                list[len++] = s;
        }
        closedir(dir);
        if (len)
                qsort(list, len, sizeof(*list), by_id);
        *ret = list;
        *ret_len = len;
        return 0;
}
