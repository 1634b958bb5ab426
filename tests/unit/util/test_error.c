/* Unit tests for util/error: messages with context, errno's text as strerror and as Go prints it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/error.h"

static void test_format_wrap(void **state)
{
        (void)state;
        struct husk_error *err = NULL;
        assert_int_equal(husk_error_set(&err, ENOENT, "open `%s`", "x"), -ENOENT);
        assert_int_equal(husk_error_wrap(&err, "create `%s`", "id"), -ENOENT);
        char *text = husk_error_format(err);
        assert_string_equal(text, "create `id`: open `x`: No such file or directory");
        free(text);
        husk_error_free(err);
}

static void test_errno_text_go(void **state)
{
        (void)state;
        char buf[64];
        /* docker's CLI matches these words case-sensitively: 127 and 126 */
        assert_string_equal(husk_errno_text_go(ENOENT, buf, sizeof(buf)), "no such file or directory");
        assert_string_equal(husk_errno_text_go(EACCES, buf, sizeof(buf)), "permission denied");
        assert_string_equal(husk_errno_text_go(ENOEXEC, buf, sizeof(buf)), "exec format error");
        char small[8];
        assert_string_equal(husk_errno_text_go(ENOENT, small, sizeof(small)), "no such");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_format_wrap),
            cmocka_unit_test(test_errno_text_go),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
