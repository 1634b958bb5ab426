/* A small D-Bus client: peer-to-peer connections (systemd's private socket), method calls, signals. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/*
 * Only what the systemd cgroup driver needs: a unix stream socket, SASL EXTERNAL with the caller's
 * uid, messages in the host's byte order (systemd, on the same host, writes its own order: both
 * are checked), no fd passing. No bus daemon: no Hello, no DESTINATION, no match rules; systemd
 * sends the signals of its Manager to every peer that called Subscribe.
 */

/* Building a message body: values appended with D-Bus alignment; an allocation failure latches. */
struct husk_dbus_writer {
        uint8_t *data;
        size_t len, cap;
        bool failed;
};

void husk_dbus_put_byte(struct husk_dbus_writer *w, uint8_t v);
void husk_dbus_put_bool(struct husk_dbus_writer *w, bool v);
void husk_dbus_put_u16(struct husk_dbus_writer *w, uint16_t v);
void husk_dbus_put_u32(struct husk_dbus_writer *w, uint32_t v);
void husk_dbus_put_u64(struct husk_dbus_writer *w, uint64_t v);
void husk_dbus_put_string(struct husk_dbus_writer *w, const char *s); /* also object paths */
/* A signature: on its own, or a variant's, whose value then follows with the put functions. */
void husk_dbus_put_signature(struct husk_dbus_writer *w, const char *s);
/* Arrays: open returns the offset to give to close; elem_align is the elements' alignment (1, 4, 8). */
size_t husk_dbus_array_open(struct husk_dbus_writer *w, size_t elem_align);
void husk_dbus_array_close(struct husk_dbus_writer *w, size_t token, size_t elem_align);
void husk_dbus_struct_open(struct husk_dbus_writer *w);
void husk_dbus_writer_free(struct husk_dbus_writer *w);

/* Reading a received body (or a value in it): every read checks bounds and alignment, failures latch. */
struct husk_dbus_reader {
        const uint8_t *data;
        size_t len, pos;
        bool failed;
};

uint8_t husk_dbus_get_byte(struct husk_dbus_reader *r);
uint32_t husk_dbus_get_u32(struct husk_dbus_reader *r);
uint64_t husk_dbus_get_u64(struct husk_dbus_reader *r);
/* A string or object path, pointing into the message (NUL-terminated, checked); NULL on failure. */
const char *husk_dbus_get_string(struct husk_dbus_reader *r);
const char *husk_dbus_get_signature(struct husk_dbus_reader *r);
/* Skip one complete value of the given single complete type ("s", "a(sv)", "v"...). */
void husk_dbus_skip(struct husk_dbus_reader *r, const char *type);

enum husk_dbus_type {
        HUSK_DBUS_METHOD_CALL = 1,
        HUSK_DBUS_METHOD_RETURN = 2,
        HUSK_DBUS_ERROR = 3,
        HUSK_DBUS_SIGNAL = 4,
};

struct husk_dbus_message {
        enum husk_dbus_type type;
        uint32_t serial, reply_serial;
        char *path, *interface, *member, *error_name, *signature;
        uint8_t *body;
        size_t body_len;
};

void husk_dbus_message_free(struct husk_dbus_message *m);
void husk_dbus_message_freep(struct husk_dbus_message **m);
/* A reader over the body. */
struct husk_dbus_reader husk_dbus_message_body(const struct husk_dbus_message *m);

/* Encode a whole method call (header and body) into out; with signature NULL or "" the body must be empty. */
int husk_dbus_encode_call(uint32_t serial, const char *path, const char *interface, const char *member,
                          const char *signature, const struct husk_dbus_writer *body, struct husk_dbus_writer *out,
                          struct husk_error **err);
/* Decode one whole message from data (as read from the socket); *ret_used is its length. 0 and *ret
 * NULL when data does not hold a whole message yet. */
int husk_dbus_decode(const uint8_t *data, size_t len, struct husk_dbus_message **ret, size_t *ret_used,
                     struct husk_error **err);

struct husk_dbus;

/*
 * Connect to the unix socket at path and authenticate with SASL EXTERNAL naming no uid, so that the server
 * (systemd's sd-bus) takes the socket's peer credentials as it sees them: the caller's uid, also from a user
 * namespace, whose root's uid 0 is not the uid the server sees.
 */
int husk_dbus_connect(const char *path, struct husk_dbus **ret, struct husk_error **err);
void husk_dbus_free(struct husk_dbus *bus);
void husk_dbus_freep(struct husk_dbus **bus);

/* Keep the signals of this interface that arrive while waiting for replies (others are dropped). */
int husk_dbus_watch(struct husk_dbus *bus, const char *interface, struct husk_error **err);

/*
 * Call a method and wait (timeout_ms in all) for its reply, which is returned in *ret (may be NULL).
 * An ERROR reply fails with its name and message: "org.freedesktop.systemd1.NoSuchUnit: Unit x not
 * loaded". Signals of the watched interface that arrive meanwhile are kept for husk_dbus_wait_signal.
 */
int husk_dbus_call(struct husk_dbus *bus, const char *path, const char *interface, const char *member,
                   const char *signature, const struct husk_dbus_writer *body, int timeout_ms,
                   struct husk_dbus_message **ret, struct husk_error **err);

/*
 * Wait (timeout_ms in all) for a signal interface.member for which match(message, data) is true,
 * looking first at the ones kept so far; the matching one is returned in *ret (may be NULL).
 */
int husk_dbus_wait_signal(struct husk_dbus *bus, const char *interface, const char *member,
                          bool (*match)(const struct husk_dbus_message *m, void *data), void *data, int timeout_ms,
                          struct husk_dbus_message **ret, struct husk_error **err);
