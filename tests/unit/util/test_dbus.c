/* The D-Bus marshalling of util/dbus.c against the wire format the specification gives, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/dbus.h"

/* Subscribe on systemd's manager, laid out by hand from the specification (little-endian): fixed header,
 * then PATH (o), INTERFACE (s), MEMBER (s) header fields, each a struct aligned to 8, no body. */
/* clang-format off */
static const uint8_t subscribe_le[] = {
    'l', 1, 0, 1, 0, 0, 0, 0, /* method call, no flags, version 1, body 0 */
    7, 0, 0, 0, 106, 0, 0, 0, /* serial 7, header fields array of 106 bytes */
    1, 1, 'o', 0, 25, 0, 0, 0, '/', 'o', 'r', 'g', '/', 'f', 'r', 'e', 'e', 'd', 'e', 's', 'k', 't', 'o', 'p', '/',
    's', 'y', 's', 't', 'e', 'm', 'd', '1', 0, 0, 0, 0, 0, 0, 0, /* PATH, padded to 56 */
    2, 1, 's', 0, 32, 0, 0, 0, 'o', 'r', 'g', '.', 'f', 'r', 'e', 'e', 'd', 'e', 's', 'k', 't', 'o', 'p', '.', 's',
    'y', 's', 't', 'e', 'm', 'd', '1', '.', 'M', 'a', 'n', 'a', 'g', 'e', 'r', 0, 0, 0, 0, 0, 0, 0, 0, /* to 104 */
    3, 1, 's', 0, 9, 0, 0, 0, 'S', 'u', 'b', 's', 'c', 'r', 'i', 'b', 'e', 0, /* ends at 122 */
    0, 0, 0, 0, 0, 0, /* the body starts 8-aligned, at 128 */
};
/* clang-format on */

static void test_encode_matches_the_specification(void **state)
{
        (void)state;
        struct husk_dbus_writer out = {0};
        assert_int_equal(husk_dbus_encode_call(7, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                               "Subscribe", NULL, NULL, &out, NULL),
                         0);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        assert_int_equal(out.len, sizeof(subscribe_le));
        assert_memory_equal(out.data, subscribe_le, sizeof(subscribe_le));
#endif
        husk_dbus_writer_free(&out);
}

/* StartTransientUnit's body: "ssa(sv)a(sa(sv))" with a bool, an array of u32 and an empty aux array. */
static void build_transient_body(struct husk_dbus_writer *w)
{
        husk_dbus_put_string(w, "husk-web.scope");
        husk_dbus_put_string(w, "replace");
        size_t props = husk_dbus_array_open(w, 8);
        husk_dbus_struct_open(w);
        husk_dbus_put_string(w, "Delegate");
        husk_dbus_put_signature(w, "b");
        husk_dbus_put_bool(w, true);
        husk_dbus_struct_open(w);
        husk_dbus_put_string(w, "PIDs");
        husk_dbus_put_signature(w, "au");
        size_t pids = husk_dbus_array_open(w, 4);
        husk_dbus_put_u32(w, 4242);
        husk_dbus_array_close(w, pids, 4);
        husk_dbus_struct_open(w);
        husk_dbus_put_string(w, "MemoryMax");
        husk_dbus_put_signature(w, "t");
        husk_dbus_put_u64(w, 67108864);
        husk_dbus_array_close(w, props, 8);
        size_t aux = husk_dbus_array_open(w, 8);
        husk_dbus_array_close(w, aux, 8);
}

static void test_body_round_trip(void **state)
{
        (void)state;
        struct husk_dbus_writer body = {0}, out = {0};
        build_transient_body(&body);
        assert_false(body.failed);
        assert_int_equal(husk_dbus_encode_call(3, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                               "StartTransientUnit", "ssa(sv)a(sa(sv))", &body, &out, NULL),
                         0);
        struct husk_dbus_message *m = NULL;
        size_t used = 0;
        assert_int_equal(husk_dbus_decode(out.data, out.len, &m, &used, NULL), 0);
        assert_non_null(m);
        assert_int_equal(used, out.len);
        assert_int_equal(m->type, HUSK_DBUS_METHOD_CALL);
        assert_int_equal(m->serial, 3);
        assert_string_equal(m->path, "/org/freedesktop/systemd1");
        assert_string_equal(m->interface, "org.freedesktop.systemd1.Manager");
        assert_string_equal(m->member, "StartTransientUnit");
        assert_string_equal(m->signature, "ssa(sv)a(sa(sv))");
        assert_int_equal(m->body_len, body.len);

        struct husk_dbus_reader r = husk_dbus_message_body(m);
        assert_string_equal(husk_dbus_get_string(&r), "husk-web.scope");
        assert_string_equal(husk_dbus_get_string(&r), "replace");
        /* The properties array: its length, then three structs, the PIDs variant holding an array. */
        uint32_t props_len = husk_dbus_get_u32(&r);
        size_t props_start = r.pos + (8 - r.pos % 8) % 8;
        husk_dbus_skip(&r, "(sv)");
        husk_dbus_skip(&r, "(sv)");
        husk_dbus_skip(&r, "(sv)");
        assert_false(r.failed);
        assert_int_equal(r.pos - props_start, props_len);
        /* The empty aux array still pads to its elements' 8-byte alignment, and the body ends right there. */
        assert_int_equal(husk_dbus_get_u32(&r), 0);
        assert_int_equal(r.len, r.pos + (8 - r.pos % 8) % 8);

        r = husk_dbus_message_body(m);
        husk_dbus_skip(&r, "s");
        husk_dbus_skip(&r, "s");
        husk_dbus_skip(&r, "a(sv)");
        husk_dbus_skip(&r, "a(sa(sv))");
        assert_false(r.failed);
        assert_int_equal(r.pos, r.len);
        husk_dbus_message_free(m);
        husk_dbus_writer_free(&body);
        husk_dbus_writer_free(&out);
}

/* A body whose first value is aligned (a string: its u32 length) starts with no padding, from no buffer. */
static void test_first_value_of_an_empty_writer(void **state)
{
        (void)state;
        struct husk_dbus_writer w = {0};
        husk_dbus_put_string(&w, "ab");
        assert_false(w.failed);
        const uint8_t want[] = {2, 0, 0, 0, 'a', 'b', 0};
        assert_int_equal(w.len, sizeof(want));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        assert_memory_equal(w.data, want, sizeof(want));
#endif
        husk_dbus_writer_free(&w);
        struct husk_dbus_writer empty = {0};
        size_t token = husk_dbus_array_open(&empty, 8);
        husk_dbus_array_close(&empty, token, 8);
        assert_int_equal(empty.len, 8); /* the length, then padding to the first element's alignment */
        husk_dbus_writer_free(&empty);
}

static void test_decode_waits_for_a_whole_message(void **state)
{
        (void)state;
        struct husk_dbus_writer body = {0}, out = {0};
        build_transient_body(&body);
        assert_int_equal(husk_dbus_encode_call(1, "/a", NULL, "M", "ssa(sv)a(sa(sv))", &body, &out, NULL), 0);
        for (size_t n = 0; n < out.len; n++) {
                struct husk_dbus_message *m = NULL;
                size_t used = 1;
                assert_int_equal(husk_dbus_decode(out.data, n, &m, &used, NULL), 0);
                assert_null(m);
                assert_int_equal(used, 0);
        }
        husk_dbus_writer_free(&body);
        husk_dbus_writer_free(&out);
}

static void test_reader_refuses_bad_values(void **state)
{
        (void)state;
        /* A string whose length runs past the end, one without its NUL, a bad variant signature. */
        const uint8_t past_end[] = {9, 0, 0, 0, 'a', 'b', 0};
        struct husk_dbus_reader r = {.data = past_end, .len = sizeof(past_end)};
        assert_null(husk_dbus_get_string(&r));
        assert_true(r.failed);
        const uint8_t no_nul[] = {2, 0, 0, 0, 'a', 'b', 'c'};
        r = (struct husk_dbus_reader){.data = no_nul, .len = sizeof(no_nul)};
        assert_null(husk_dbus_get_string(&r));
        const uint8_t bad_variant[] = {2, 'a', '(', 0};
        r = (struct husk_dbus_reader){.data = bad_variant, .len = sizeof(bad_variant)};
        husk_dbus_skip(&r, "v");
        assert_true(r.failed);
        /* An array claiming more bytes than there are. */
        const uint8_t long_array[] = {64, 0, 0, 0, 1, 0, 0, 0};
        r = (struct husk_dbus_reader){.data = long_array, .len = sizeof(long_array)};
        husk_dbus_skip(&r, "au");
        assert_true(r.failed);
        /* Not one complete type. */
        r = (struct husk_dbus_reader){.data = long_array, .len = sizeof(long_array)};
        husk_dbus_skip(&r, "uu");
        assert_true(r.failed);
}

static void test_decode_survives_corruption(void **state)
{
        (void)state;
        struct husk_dbus_writer body = {0}, out = {0};
        build_transient_body(&body);
        assert_int_equal(husk_dbus_encode_call(1, "/org/x", "org.x", "M", "ssa(sv)a(sa(sv))", &body, &out, NULL), 0);
        uint8_t *copy = malloc(out.len);
        assert_non_null(copy);
        srand(1);
        /* Every single-byte change decodes to a message or an error, never past the buffer (ASan checks). */
        for (size_t i = 0; i < out.len; i++) {
                for (int v = 0; v < 8; v++) {
                        memcpy(copy, out.data, out.len);
                        copy[i] = (uint8_t)rand();
                        struct husk_dbus_message *m = NULL;
                        size_t used = 0;
                        struct husk_error *err = NULL;
                        int r = husk_dbus_decode(copy, out.len, &m, &used, &err);
                        if (r == 0 && m) {
                                assert_true(used <= out.len);
                                struct husk_dbus_reader rd = husk_dbus_message_body(m);
                                if (m->signature && strcmp(m->signature, "ssa(sv)a(sa(sv))") == 0) {
                                        husk_dbus_skip(&rd, "s");
                                        husk_dbus_skip(&rd, "s");
                                        husk_dbus_skip(&rd, "a(sv)");
                                        husk_dbus_skip(&rd, "a(sa(sv))");
                                }
                                husk_dbus_message_free(m);
                        }
                        husk_error_free(err);
                }
        }
        free(copy);
        husk_dbus_writer_free(&body);
        husk_dbus_writer_free(&out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_encode_matches_the_specification),
            cmocka_unit_test(test_body_round_trip),
            cmocka_unit_test(test_first_value_of_an_empty_writer),
            cmocka_unit_test(test_decode_waits_for_a_whole_message),
            cmocka_unit_test(test_reader_refuses_bad_values),
            cmocka_unit_test(test_decode_survives_corruption),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
