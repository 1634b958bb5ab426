/* linux/idmap-mount: the checks of idmapped entries, and real idmapped trees seen through their fds (root). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/idmap-mount.h"
#include "linux/userns.h"
#include "rootfs-fixture.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static struct husk_spec *parse(const char *json)
{
        struct husk_spec *spec = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        if (husk_spec_parse(json, strlen(json), NULL, &spec, &err) < 0)
                fail_msg("parse: %s", err->msg);
        return spec;
}

/* The message of prepare's failure on this config (the caller frees it); NULL when it succeeded. */
static char *prepare_error(const char *json)
{
        _cleanup_(husk_spec_freep) struct husk_spec *spec = parse(json);
        struct husk_idmap_mounts *set = NULL;
        struct husk_error *err = NULL;
        int r = husk_idmap_mounts_prepare(spec, "/", NULL, -1, &set, &err);
        husk_idmap_mounts_free(set);
        if (r == 0)
                return NULL;
        assert_null(set);
        char *msg = strdup(err->msg);
        husk_error_free(err);
        return msg;
}

static void assert_contains(const char *text, const char *want)
{
        if (!text || !strstr(text, want))
                fail_msg("expected \"%s\" in \"%s\"", want, text ? text : "(success)");
}

static void test_is_idmapped(void **state)
{
        struct husk_id_mapping one = {0, 100000, 1};
        struct husk_mount plain = {0}, option = {.idmap = true}, maps = {.uid_mappings = {&one, 1}};
        assert_false(husk_mount_is_idmapped(&plain));
        assert_true(husk_mount_is_idmapped(&option));
        assert_true(husk_mount_is_idmapped(&maps));
}

static char *check(const struct husk_id_mapping *items, size_t len)
{
        struct husk_id_mappings maps = {(struct husk_id_mapping *)items, len};
        struct husk_error *err = NULL;
        if (husk_userns_check_mappings(&maps, "m", &err) == 0)
                return NULL;
        char *msg = strdup(err->msg);
        husk_error_free(err);
        return msg;
}

static void test_check_mappings(void **state)
{
        static const struct husk_id_mapping good[] = {{0, 100000, 1000}, {1000, 300000, 1000}, {5000, 0, 1}};
        assert_null(check(good, 3));
        /* The largest range the kernel takes: up to id 4294967294. */
        static const struct husk_id_mapping widest[] = {{0, 0, 4294967295u}};
        assert_null(check(widest, 1));

        static const struct husk_id_mapping zero[] = {{0, 100000, 0}};
        static const struct husk_id_mapping past[] = {{0, 4294967290u, 10}};
        static const struct husk_id_mapping inner_overlap[] = {{0, 100000, 10}, {9, 200000, 1}};
        static const struct husk_id_mapping outer_overlap[] = {{0, 100000, 10}, {20, 100005, 10}};
        static const struct husk_id_mapping touching[] = {{0, 100000, 10}, {10, 100010, 10}};
        _cleanup_free_ char *a = check(zero, 1), *b = check(past, 1), *c = check(inner_overlap, 2),
                            *d = check(outer_overlap, 2), *e = check(NULL, 0);
        assert_contains(a, "m[0]: size must be at least 1");
        assert_contains(b, "m[0]: the range ends past the last valid id 4294967294");
        assert_contains(c, "m[1]: container ids 9-9 overlap those of entry 0");
        assert_contains(d, "m[1]: host ids 100005-100014 overlap those of entry 0");
        assert_contains(e, "m: no ranges");
        assert_null(check(touching, 2));

        struct husk_id_mapping many[341];
        for (unsigned i = 0; i < 341; i++)
                many[i] = (struct husk_id_mapping){i, 100000 + i, 1};
        _cleanup_free_ char *f = check(many, 341);
        assert_contains(f, "m: 341 ranges, the kernel takes at most 340");
        assert_null(check(many, 340));
}

#define MAPS                                                                                                           \
        "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], "                               \
        "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]"

static void test_prepare_refuses(void **state)
{
        _cleanup_free_ char *tmpfs = prepare_error(
            "{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}, "
            "{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"idmap\"]}]}");
        assert_contains(tmpfs, "config.json: mounts[1] (`/t`): only bind mounts can be idmapped");

        _cleanup_free_ char *half = prepare_error(
            "{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/d\", \"source\": \"/tmp\", "
            "\"options\": [\"bind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}]}");
        assert_contains(half, "config.json: mounts[0] (`/d`): uidMappings and gidMappings: give both");

        _cleanup_free_ char *no_userns =
            prepare_error("{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/d\", \"source\": \"/tmp\", "
                          "\"options\": [\"rbind\", \"ridmap\"]}]}");
        assert_contains(no_userns, "`ridmap` without uidMappings and gidMappings uses the container's user "
                                   "namespace mappings, but linux.namespaces has no user namespace");

        _cleanup_free_ char *no_linux_maps = prepare_error(
            "{\"ociVersion\": \"1.2.0\", \"linux\": {\"namespaces\": [{\"type\": \"user\"}]}, \"mounts\": "
            "[{\"destination\": \"/d\", \"source\": \"/tmp\", \"options\": [\"bind\", \"idmap\"]}]}");
        assert_contains(no_linux_maps, "uses linux.uidMappings and linux.gidMappings, which are missing");

        /* The first bad entry fails before any tree of a good one is made. */
        _cleanup_free_ char *second = prepare_error(
            "{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/ok\", \"source\": \"/tmp\", "
            "\"options\": [\"bind\"], " MAPS "}, {\"destination\": \"/bad\", \"source\": \"/tmp\", "
            "\"options\": [\"bind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 0}], "
            "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}]}");
        assert_contains(second, "config.json: mounts[1] (`/bad`): uidMappings[0]: size must be at least 1");

        /* No idmapped entry: nothing to make. */
        _cleanup_(husk_spec_freep) struct husk_spec *spec =
            parse("{\"ociVersion\": \"1.2.0\", \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}]}");
        struct husk_idmap_mounts *set = (struct husk_idmap_mounts *)1;
        assert_int_equal(husk_idmap_mounts_prepare(spec, "/", NULL, -1, &set, NULL), 0);
        assert_null(set);
}

/* uid:gid of `rel` under the detached tree, as this process (in the host's user namespace) sees it. */
static void owner_in(int tree, const char *rel, char *buf, size_t len)
{
        struct stat st;
        if (fstatat(tree, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                snprintf(buf, len, "error %d", errno);
        else
                snprintf(buf, len, "%u:%u", st.st_uid, st.st_gid);
}

struct tree_case {
        const char *dir; /* holds top (0:0), user (1000:1001) and sub/, a tmpfs holding inner (0:0) */
};

static int make_trees(void *arg)
{
        const struct tree_case *tc = arg;
        char sub[PATH_MAX], json[4096];
        snprintf(sub, sizeof(sub), "%s/sub", tc->dir);
        CHECK(mount("tmpfs", sub, "tmpfs", 0, "mode=0755") == 0, "mount tmpfs on %s: %s", sub, strerror(errno));
        fixture_write(sub, "inner", "");
        /* Relative sources resolve against the bundle argument. */
        snprintf(json, sizeof(json),
                 "{\"ociVersion\": \"1.2.0\", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], "
                 "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 300000, \"size\": 65536}], "
                 "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 400000, \"size\": 65536}]}, \"mounts\": ["
                 "{\"destination\": \"/proc\", \"type\": \"proc\"}, "
                 "{\"destination\": \"/one\", \"source\": \"%s\", \"options\": [\"rbind\", \"idmap\", \"ro\"], " MAPS
                 "}, "
                 "{\"destination\": \"/all\", \"source\": \"%s\", \"options\": [\"rbind\", \"ridmap\"], " MAPS "}, "
                 "{\"destination\": \"/own\", \"source\": \".\", \"options\": [\"bind\", \"idmap\"]}]}",
                 tc->dir, tc->dir);
        _cleanup_(husk_spec_freep) struct husk_spec *spec = parse(json);
        struct husk_idmap_mounts *set = NULL;
        _cleanup_error_ struct husk_error *err = NULL;
        if (husk_idmap_mounts_prepare(spec, tc->dir, NULL, -1, &set, &err) < 0) {
                CHECK(false, "prepare: %s: %s", err->msg, strerror(err->errnum));
                return check_failures;
        }
        size_t n = 0;
        const int *fds = husk_idmap_mounts_fds(set, &n);
        CHECK(n == 3, "3 trees, got %zu", n);
        for (size_t i = 1; i < n; i++)
                CHECK(fds[i - 1] < fds[i], "fds ascending");
        CHECK(husk_idmap_mounts_take(set, 0) == -1, "no tree for proc");

        char got[64];
        _cleanup_close_ int one = husk_idmap_mounts_take(set, 1);
        owner_in(one, "top", got, sizeof(got));
        CHECK(strcmp(got, "100000:200000") == 0, "one/top %s", got);
        owner_in(one, "user", got, sizeof(got));
        CHECK(strcmp(got, "101000:201001") == 0, "one/user %s", got);
        /* idmap: the submount keeps its own ids. */
        owner_in(one, "sub/inner", got, sizeof(got));
        CHECK(strcmp(got, "0:0") == 0, "one/sub/inner %s", got);
        /* The entry's options are applied to the tree before anyone attaches it. */
        CHECK(mkdirat(one, "new", 0755) < 0 && errno == EROFS, "one is read-only");

        _cleanup_close_ int all = husk_idmap_mounts_take(set, 2);
        owner_in(all, "sub/inner", got, sizeof(got));
        CHECK(strcmp(got, "100000:200000") == 0, "all/sub/inner %s", got);

        /* No mappings of its own: linux.uidMappings/gidMappings. */
        _cleanup_close_ int own = husk_idmap_mounts_take(set, 3);
        owner_in(own, "top", got, sizeof(got));
        CHECK(strcmp(got, "300000:400000") == 0, "own/top %s", got);
        owner_in(own, "sub", got, sizeof(got));
        CHECK(strcmp(got, "300000:400000") == 0, "own/sub (the directory under the tmpfs) %s", got);

        fds = husk_idmap_mounts_fds(set, &n);
        CHECK(n == 0, "all taken, %zu left", n);
        CHECK(husk_idmap_mounts_take(set, 1) == -1, "taken once");
        husk_idmap_mounts_free(set);
        return check_failures;
}

static void test_prepare_makes_idmapped_trees(void **state)
{
        if (geteuid() != 0)
                skip();
        char dir[] = "/tmp/husk-idmap-XXXXXX";
        assert_non_null(mkdtemp(dir));
        fixture_write(dir, "top", "");
        fixture_write(dir, "user", "");
        fixture_mkdir(dir, "sub");
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/user", dir);
        assert_int_equal(chown(path, 1000, 1001), 0);
        struct tree_case tc = {dir};
        int status = fixture_run_in_child(make_trees, &tc);
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(status, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_is_idmapped),
            cmocka_unit_test(test_check_mappings),
            cmocka_unit_test(test_prepare_refuses),
            cmocka_unit_test(test_prepare_makes_idmapped_trees),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
