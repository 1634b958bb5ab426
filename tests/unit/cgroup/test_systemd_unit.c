/* linux.cgroupsPath under --systemd-cgroup: runc's "slice:prefix:name" to a slice and a scope unit name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/systemd.h"

static void expect_unit(const char *path, const char *id, const char *slice, const char *name)
{
        struct husk_systemd_unit u = {0};
        struct husk_error *err = NULL;
        if (husk_systemd_unit_parse(path, id, false, &u, &err) < 0)
                fail_msg("`%s`: %s", path ? path : "(null)", err->msg);
        assert_string_equal(u.slice, slice);
        assert_string_equal(u.name, name);
        husk_systemd_unit_clear(&u);
}

static void expect_refused(const char *path, const char *id)
{
        struct husk_systemd_unit u = {0};
        struct husk_error *err = NULL;
        if (husk_systemd_unit_parse(path, id, false, &u, &err) == 0)
                fail_msg("`%s` accepted as %s in %s", path, u.name, u.slice);
        assert_null(u.name);
        assert_null(u.slice);
        /* The error names the field, on one line. */
        assert_non_null(strstr(err->msg, "linux.cgroupsPath"));
        assert_null(strchr(err->msg, '\n'));
        husk_error_free(err);
}

static void test_default_and_given(void **state)
{
        (void)state;
        expect_unit(NULL, "web", "system.slice", "husk-web.scope");
        expect_unit("", "web", "system.slice", "husk-web.scope");
        expect_unit("machine.slice:libpod:0123abcd", "x", "machine.slice", "libpod-0123abcd.scope");
        expect_unit("kubepods-besteffort-pod12.slice:cri-containerd:c0ffee", "x", "kubepods-besteffort-pod12.slice",
                    "cri-containerd-c0ffee.scope");
        /* runc: an empty slice is the default one; an empty prefix still joins with a dash (getUnitName). */
        expect_unit(":docker:abc", "x", "system.slice", "docker-abc.scope");
        expect_unit("system.slice::abc", "x", "system.slice", "-abc.scope");
        /* The root slice. */
        expect_unit("-.slice:husk:abc", "x", "-.slice", "husk-abc.scope");
        /* A user's manager (rootless): user.slice by default, as podman's rootless "user.slice:libpod:<id>". */
        struct husk_systemd_unit u = {0};
        assert_int_equal(husk_systemd_unit_parse(NULL, "web", true, &u, NULL), 0);
        assert_string_equal(u.slice, "user.slice");
        assert_string_equal(u.name, "husk-web.scope");
        husk_systemd_unit_clear(&u);
}

static void test_refused(void **state)
{
        (void)state;
        expect_refused("/husk/web", "web");
        expect_refused("system.slice:web", "web");
        expect_refused("system.slice:husk:web:extra", "web");
        expect_refused("notaslice:husk:web", "web");
        expect_refused("-bad.slice:husk:web", "web");
        expect_refused("a--b.slice:husk:web", "web");
        expect_refused("a-.slice:husk:web", "web");
        expect_refused("system.slice:husk:a/b", "web");
        expect_refused("system.slice:hu sk:web", "web");
        expect_refused("system.slice:husk:", "web");
        expect_refused("system.slice:husk:pod.slice", "web");
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        char path[400];
        snprintf(path, sizeof(path), "system.slice:husk:%s", long_name);
        expect_refused(path, "web");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_default_and_given),
            cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
