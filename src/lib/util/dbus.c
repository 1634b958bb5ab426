/* A small D-Bus client: peer-to-peer connections (systemd's private socket), method calls, signals. */
#include "util/dbus.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/timestamp.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ENDIAN 'l'
#else
#define HOST_ENDIAN 'B'
#endif

/* The spec's limits: a message is at most 128 MiB, an array 64 MiB; systemd's replies here are small. */
#define MAX_MESSAGE (1u << 20)
#define MAX_KEPT_SIGNALS 256
#define MAX_DEPTH 32

enum header_field {
        FIELD_PATH = 1,
        FIELD_INTERFACE = 2,
        FIELD_MEMBER = 3,
        FIELD_ERROR_NAME = 4,
        FIELD_REPLY_SERIAL = 5,
        FIELD_SIGNATURE = 8,
};

/* --- writing ------------------------------------------------------------------------------------------ */

static void reserve(struct husk_dbus_writer *w, size_t n)
{
        if (w->failed || w->len + n <= w->cap)
                return;
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
                cap *= 2;
        uint8_t *d = cap <= MAX_MESSAGE ? realloc(w->data, cap) : NULL;
        if (!d) {
                w->failed = true;
                return;
        }
        w->data = d;
        w->cap = cap;
}

static void put_bytes(struct husk_dbus_writer *w, const void *p, size_t n)
{
        if (n == 0) /* no padding needed, and an empty writer has no buffer to point into yet */
                return;
        reserve(w, n);
        if (w->failed)
                return;
        memcpy(w->data + w->len, p, n);
        w->len += n;
}

static void align_to(struct husk_dbus_writer *w, size_t a)
{
        static const uint8_t zeros[8] = {0};
        size_t pad = (a - w->len % a) % a;
        put_bytes(w, zeros, pad);
}

void husk_dbus_put_byte(struct husk_dbus_writer *w, uint8_t v)
{
        put_bytes(w, &v, 1);
}

void husk_dbus_put_u16(struct husk_dbus_writer *w, uint16_t v)
{
        align_to(w, 2);
        put_bytes(w, &v, 2);
}

void husk_dbus_put_u32(struct husk_dbus_writer *w, uint32_t v)
{
        align_to(w, 4);
        put_bytes(w, &v, 4);
}

void husk_dbus_put_bool(struct husk_dbus_writer *w, bool v)
{
        husk_dbus_put_u32(w, v ? 1 : 0);
}

void husk_dbus_put_u64(struct husk_dbus_writer *w, uint64_t v)
{
        align_to(w, 8);
        put_bytes(w, &v, 8);
}

void husk_dbus_put_string(struct husk_dbus_writer *w, const char *s)
{
        size_t n = strlen(s);
        husk_dbus_put_u32(w, (uint32_t)n);
        put_bytes(w, s, n + 1);
}

void husk_dbus_put_signature(struct husk_dbus_writer *w, const char *s)
{
        size_t n = strlen(s);
        if (n > 255) {
                w->failed = true;
                return;
        }
        husk_dbus_put_byte(w, (uint8_t)n);
        put_bytes(w, s, n + 1);
}

size_t husk_dbus_array_open(struct husk_dbus_writer *w, size_t elem_align)
{
        husk_dbus_put_u32(w, 0);
        size_t token = w->len; /* the length field ends here */
        align_to(w, elem_align);
        return token;
}

void husk_dbus_array_close(struct husk_dbus_writer *w, size_t token, size_t elem_align)
{
        if (w->failed)
                return;
        /* The length counts from the first element, after the padding that follows the length field. */
        size_t start = token + (elem_align - token % elem_align) % elem_align;
        uint32_t n = (uint32_t)(w->len - start);
        memcpy(w->data + token - 4, &n, 4);
}

void husk_dbus_struct_open(struct husk_dbus_writer *w)
{
        align_to(w, 8);
}

void husk_dbus_writer_free(struct husk_dbus_writer *w)
{
        free(w->data);
        *w = (struct husk_dbus_writer){0};
}

/* --- reading ------------------------------------------------------------------------------------------ */

static bool read_align(struct husk_dbus_reader *r, size_t a)
{
        size_t pos = r->pos + (a - r->pos % a) % a;
        if (r->failed || pos > r->len) {
                r->failed = true;
                return false;
        }
        r->pos = pos;
        return true;
}

static const uint8_t *take(struct husk_dbus_reader *r, size_t a, size_t n)
{
        if (!read_align(r, a) || r->len - r->pos < n) {
                r->failed = true;
                return NULL;
        }
        const uint8_t *p = r->data + r->pos;
        r->pos += n;
        return p;
}

uint8_t husk_dbus_get_byte(struct husk_dbus_reader *r)
{
        const uint8_t *p = take(r, 1, 1);
        return p ? *p : 0;
}

/* A fixed-size value aligned to its size (u32, u64); out stays zero on failure. */
static void get_fixed(struct husk_dbus_reader *r, void *out, size_t n)
{
        const uint8_t *p = take(r, n, n);
        if (p)
                memcpy(out, p, n);
}

uint32_t husk_dbus_get_u32(struct husk_dbus_reader *r)
{
        uint32_t v = 0;
        get_fixed(r, &v, sizeof(v));
        return v;
}

uint64_t husk_dbus_get_u64(struct husk_dbus_reader *r)
{
        uint64_t v = 0;
        get_fixed(r, &v, sizeof(v));
        return v;
}

static const char *get_text(struct husk_dbus_reader *r, size_t n)
{
        const uint8_t *p = take(r, 1, n + 1);
        if (!p || p[n] != '\0' || memchr(p, '\0', n)) {
                r->failed = true;
                return NULL;
        }
        return (const char *)p;
}

const char *husk_dbus_get_string(struct husk_dbus_reader *r)
{
        uint32_t n = husk_dbus_get_u32(r);
        return r->failed ? NULL : get_text(r, n);
}

const char *husk_dbus_get_signature(struct husk_dbus_reader *r)
{
        uint8_t n = husk_dbus_get_byte(r);
        return r->failed ? NULL : get_text(r, n);
}

static size_t type_alignment(char c)
{
        switch (c) {
        case 'y':
        case 'g':
        case 'v':
                return 1;
        case 'n':
        case 'q':
                return 2;
        case 'b':
        case 'i':
        case 'u':
        case 'h':
        case 's':
        case 'o':
        case 'a':
                return 4;
        default: /* x t d ( { */
                return 8;
        }
}

/* The length of the single complete type at sig, 0 when it is not one. */
static size_t complete_type_len(const char *sig, int depth)
{
        if (depth > MAX_DEPTH || !*sig)
                return 0;
        switch (*sig) {
        case 'a': {
                size_t n = complete_type_len(sig + 1, depth + 1);
                return n ? n + 1 : 0;
        }
        case '(':
        case '{': {
                char close = *sig == '(' ? ')' : '}';
                size_t i = 1;
                while (sig[i] && sig[i] != close) {
                        size_t n = complete_type_len(sig + i, depth + 1);
                        if (!n)
                                return 0;
                        i += n;
                }
                return sig[i] == close && i > 1 ? i + 1 : 0;
        }
        default:
                return strchr("ybnqiuxtdhsogv", *sig) ? 1 : 0;
        }
}

static void skip_type(struct husk_dbus_reader *r, const char *sig, size_t len, int depth)
{
        if (r->failed || depth > MAX_DEPTH) {
                r->failed = true;
                return;
        }
        switch (*sig) {
        case 'y':
                take(r, 1, 1);
                return;
        case 'n':
        case 'q':
                take(r, 2, 2);
                return;
        case 'b':
        case 'i':
        case 'u':
        case 'h':
                take(r, 4, 4);
                return;
        case 'x':
        case 't':
        case 'd':
                take(r, 8, 8);
                return;
        case 's':
        case 'o':
                husk_dbus_get_string(r);
                return;
        case 'g':
                husk_dbus_get_signature(r);
                return;
        case 'v': {
                const char *inner = husk_dbus_get_signature(r);
                size_t n = inner ? complete_type_len(inner, depth + 1) : 0;
                if (!n || inner[n]) {
                        r->failed = true;
                        return;
                }
                skip_type(r, inner, n, depth + 1);
                return;
        }
        case 'a': {
                uint32_t bytes = husk_dbus_get_u32(r);
                if (!read_align(r, type_alignment(sig[1])) || r->len - r->pos < bytes) {
                        r->failed = true;
                        return;
                }
                size_t end = r->pos + bytes;
                while (!r->failed && r->pos < end)
                        skip_type(r, sig + 1, len - 1, depth + 1);
                if (r->pos != end)
                        r->failed = true;
                return;
        }
        case '(':
        case '{': {
                read_align(r, 8);
                for (size_t i = 1; !r->failed && i < len - 1;) {
                        size_t n = complete_type_len(sig + i, depth + 1);
                        if (!n) {
                                r->failed = true;
                                return;
                        }
                        skip_type(r, sig + i, n, depth + 1);
                        i += n;
                }
                return;
        }
        default:
                r->failed = true;
        }
}

void husk_dbus_skip(struct husk_dbus_reader *r, const char *type)
{
        size_t n = complete_type_len(type, 0);
        if (!n || type[n]) {
                r->failed = true;
                return;
        }
        skip_type(r, type, n, 0);
}

/* --- messages ----------------------------------------------------------------------------------------- */

void husk_dbus_message_free(struct husk_dbus_message *m)
{
        if (!m)
                return;
        free(m->path);
        free(m->interface);
        free(m->member);
        free(m->error_name);
        free(m->signature);
        free(m->body);
        free(m);
}

void husk_dbus_message_freep(struct husk_dbus_message **m)
{
        husk_dbus_message_free(*m);
        *m = NULL;
}

struct husk_dbus_reader husk_dbus_message_body(const struct husk_dbus_message *m)
{
        return (struct husk_dbus_reader){.data = m->body, .len = m->body_len};
}

static void put_field(struct husk_dbus_writer *w, uint8_t code, const char *type, const char *value)
{
        husk_dbus_struct_open(w);
        husk_dbus_put_byte(w, code);
        husk_dbus_put_signature(w, type);
        if (*type == 'g')
                husk_dbus_put_signature(w, value);
        else
                husk_dbus_put_string(w, value);
}

int husk_dbus_encode_call(uint32_t serial, const char *path, const char *interface, const char *member,
                          const char *signature, const struct husk_dbus_writer *body, struct husk_dbus_writer *out,
                          struct husk_error **err)
{
        size_t body_len = body ? body->len : 0;
        if (body && body->failed)
                return husk_error_set(err, ENOMEM, "d-bus: build the call of `%s`", member);
        if (body_len && !(signature && *signature))
                return husk_error_set(err, EINVAL, "d-bus: the call of `%s` has a body and no signature", member);
        husk_dbus_put_byte(out, HOST_ENDIAN);
        husk_dbus_put_byte(out, HUSK_DBUS_METHOD_CALL);
        husk_dbus_put_byte(out, 0);
        husk_dbus_put_byte(out, 1);
        husk_dbus_put_u32(out, (uint32_t)body_len);
        husk_dbus_put_u32(out, serial);
        size_t fields = husk_dbus_array_open(out, 8);
        put_field(out, FIELD_PATH, "o", path);
        if (interface)
                put_field(out, FIELD_INTERFACE, "s", interface);
        put_field(out, FIELD_MEMBER, "s", member);
        if (signature && *signature)
                put_field(out, FIELD_SIGNATURE, "g", signature);
        husk_dbus_array_close(out, fields, 8);
        align_to(out, 8);
        if (body_len)
                put_bytes(out, body->data, body_len);
        return out->failed ? husk_error_set(err, ENOMEM, "d-bus: build the call of `%s`", member) : 0;
}

static int dup_field(char **dst, const char *value)
{
        if (!value)
                return -1;
        free(*dst);
        *dst = strdup(value);
        return *dst ? 0 : -1;
}

static int decode_fields(struct husk_dbus_reader *h, size_t fields_end, struct husk_dbus_message *m)
{
        while (!h->failed && h->pos < fields_end) {
                read_align(h, 8);
                uint8_t code = husk_dbus_get_byte(h);
                const char *type = husk_dbus_get_signature(h);
                if (!type)
                        return -1;
                int r = 0;
                if (code == FIELD_REPLY_SERIAL && strcmp(type, "u") == 0)
                        m->reply_serial = husk_dbus_get_u32(h);
                else if ((code == FIELD_PATH && strcmp(type, "o") == 0) ||
                         ((code == FIELD_INTERFACE || code == FIELD_MEMBER || code == FIELD_ERROR_NAME) &&
                          strcmp(type, "s") == 0))
                        r = dup_field(code == FIELD_PATH        ? &m->path
                                      : code == FIELD_INTERFACE ? &m->interface
                                      : code == FIELD_MEMBER    ? &m->member
                                                                : &m->error_name,
                                      husk_dbus_get_string(h));
                else if (code == FIELD_SIGNATURE && strcmp(type, "g") == 0)
                        r = dup_field(&m->signature, husk_dbus_get_signature(h));
                else
                        husk_dbus_skip(h, type);
                if (r < 0)
                        return -1;
        }
        return h->failed || h->pos != fields_end ? -1 : 0;
}

int husk_dbus_decode(const uint8_t *data, size_t len, struct husk_dbus_message **ret, size_t *ret_used,
                     struct husk_error **err)
{
        *ret = NULL;
        *ret_used = 0;
        if (len < 16)
                return 0;
        if (data[0] != HOST_ENDIAN || data[3] != 1)
                return husk_error_set(err, EPROTO, "d-bus: a message in another byte order or protocol version");
        uint32_t body_len, fields_len;
        memcpy(&body_len, data + 4, 4);
        memcpy(&fields_len, data + 12, 4);
        if (body_len > MAX_MESSAGE || fields_len > MAX_MESSAGE)
                return husk_error_set(err, EMSGSIZE, "d-bus: message too large");
        size_t header_end = 16 + (size_t)fields_len;
        header_end += (8 - header_end % 8) % 8;
        size_t total = header_end + body_len;
        if (len < total)
                return 0;
        _cleanup_(husk_dbus_message_freep) struct husk_dbus_message *m = calloc(1, sizeof(*m));
        if (!m)
                return husk_error_set(err, ENOMEM, "d-bus: allocate");
        m->type = data[1];
        memcpy(&m->serial, data + 8, 4);
        struct husk_dbus_reader h = {.data = data, .len = 16 + (size_t)fields_len, .pos = 16};
        if (decode_fields(&h, h.len, m) < 0)
                return husk_error_set(err, EPROTO, "d-bus: a malformed message header");
        if (body_len) {
                m->body = malloc(body_len);
                if (!m->body)
                        return husk_error_set(err, ENOMEM, "d-bus: allocate");
                memcpy(m->body, data + header_end, body_len);
                m->body_len = body_len;
        }
        *ret = TAKE_PTR(m);
        *ret_used = total;
        return 0;
}

/* --- the connection ----------------------------------------------------------------------------------- */

struct husk_dbus {
        int fd;
        uint32_t serial;
        uint8_t *in; /* bytes read, not yet a whole message */
        size_t in_len, in_cap;
        char *watched; /* the interface whose signals are kept (husk_dbus_watch), NULL: none */
        struct husk_dbus_message *kept[MAX_KEPT_SIGNALS];
        size_t kept_len;
};

int husk_dbus_watch(struct husk_dbus *bus, const char *interface, struct husk_error **err)
{
        char *copy = strdup(interface);
        if (!copy)
                return husk_error_set(err, ENOMEM, "d-bus: allocate");
        free(bus->watched);
        bus->watched = copy;
        return 0;
}

void husk_dbus_free(struct husk_dbus *bus)
{
        if (!bus)
                return;
        if (bus->fd >= 0)
                close(bus->fd);
        free(bus->in);
        free(bus->watched);
        for (size_t i = 0; i < bus->kept_len; i++)
                husk_dbus_message_free(bus->kept[i]);
        free(bus);
}

void husk_dbus_freep(struct husk_dbus **bus)
{
        husk_dbus_free(*bus);
        *bus = NULL;
}

/* Not husk_write_all: send with MSG_NOSIGNAL, so a manager that went away fails the call, not kills husk (SIGPIPE). */
static int send_all(struct husk_dbus *bus, const void *p, size_t n, struct husk_error **err)
{
        const uint8_t *b = p;
        while (n) {
                ssize_t w = send(bus->fd, b, n, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return husk_error_set(err, errno, "d-bus: send");
                b += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Read what is there into bus->in, waiting until deadline; -ETIMEDOUT when nothing came. */
static int read_some(struct husk_dbus *bus, int64_t deadline, struct husk_error **err)
{
        while (true) {
                int64_t left = deadline - husk_monotonic_ms();
                if (left <= 0)
                        return husk_error_set(err, ETIMEDOUT, "d-bus: no answer");
                struct pollfd p = {.fd = bus->fd, .events = POLLIN};
                int r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return husk_error_set(err, errno, "d-bus: poll");
                if (r == 0)
                        continue;
                if (bus->in_cap - bus->in_len < 4096) {
                        size_t cap = bus->in_cap ? bus->in_cap * 2 : 8192;
                        if (cap > 2 * (size_t)MAX_MESSAGE + 8192)
                                return husk_error_set(err, EMSGSIZE, "d-bus: message too large");
                        uint8_t *in = realloc(bus->in, cap);
                        if (!in)
                                return husk_error_set(err, ENOMEM, "d-bus: allocate");
                        bus->in = in;
                        bus->in_cap = cap;
                }
                ssize_t n = recv(bus->fd, bus->in + bus->in_len, bus->in_cap - bus->in_len, 0);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0)
                        return husk_error_set(err, errno, "d-bus: receive");
                if (n == 0)
                        return husk_error_set(err, ECONNRESET, "d-bus: the peer closed the connection");
                bus->in_len += (size_t)n;
                return 0;
        }
}

/* The next whole message, reading until deadline. */
static int next_message(struct husk_dbus *bus, int64_t deadline, struct husk_dbus_message **ret,
                        struct husk_error **err)
{
        while (true) {
                size_t used = 0;
                int r = husk_dbus_decode(bus->in, bus->in_len, ret, &used, err);
                if (r < 0)
                        return r;
                if (*ret) {
                        memmove(bus->in, bus->in + used, bus->in_len - used);
                        bus->in_len -= used;
                        return 0;
                }
                r = read_some(bus, deadline, err);
                if (r < 0)
                        return r;
        }
}

/* Keep a signal of the watched interface for husk_dbus_wait_signal; drop the rest (systemd's
 * PropertiesChanged of every unit, say), so that a busy manager cannot push the wanted one out. */
static void keep_signal(struct husk_dbus *bus, struct husk_dbus_message *m)
{
        if (!bus->watched || !m->interface || strcmp(m->interface, bus->watched) != 0) {
                husk_dbus_message_free(m);
                return;
        }
        if (bus->kept_len == MAX_KEPT_SIGNALS) {
                husk_dbus_message_free(bus->kept[0]);
                memmove(bus->kept, bus->kept + 1, (MAX_KEPT_SIGNALS - 1) * sizeof(bus->kept[0]));
                bus->kept_len--;
        }
        bus->kept[bus->kept_len++] = m;
}

/* The server's line after our AUTH: "OK <guid>\r\n", or a refusal. Read through the connection's buffer,
 * as messages are: what follows the line stays there for the first reply. */
static int read_auth_line(struct husk_dbus *bus, char *line, size_t size, struct husk_error **err)
{
        int64_t deadline = husk_monotonic_ms() + 10000;
        while (true) {
                uint8_t *nl = bus->in_len ? memchr(bus->in, '\n', bus->in_len) : NULL;
                if (nl) {
                        size_t used = (size_t)(nl - bus->in) + 1;
                        size_t n = used - 1 - (used >= 2 && nl[-1] == '\r');
                        if (n >= size)
                                break;
                        memcpy(line, bus->in, n);
                        line[n] = '\0';
                        memmove(bus->in, bus->in + used, bus->in_len - used);
                        bus->in_len -= used;
                        return 0;
                }
                if (bus->in_len >= size)
                        break;
                int r = read_some(bus, deadline, err);
                if (r < 0)
                        return husk_error_wrap(err, "authentication");
        }
        return husk_error_set(err, EPROTO, "d-bus: authentication answer too long");
}

int husk_dbus_connect(const char *path, struct husk_dbus **ret, struct husk_error **err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return husk_error_set(err, ENAMETOOLONG, "d-bus: socket path `%s`", path);
        strcpy(addr.sun_path, path);
        _cleanup_(husk_dbus_freep) struct husk_dbus *bus = calloc(1, sizeof(*bus));
        if (!bus)
                return husk_error_set(err, ENOMEM, "d-bus: allocate");
        bus->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (bus->fd < 0)
                return husk_error_set(err, errno, "d-bus: socket");
        if (connect(bus->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return husk_error_set(err, errno, "d-bus: connect to `%s`", path);
        /*
         * SASL EXTERNAL naming no uid: the server asks for one (DATA), and the empty answer has sd-bus take the
         * socket's peer credentials as it sees them. Naming geteuid() would fail from a user namespace (rootless
         * podman's), whose root is uid 0 to us and the user's uid to the server.
         * The answer and BEGIN go with AUTH, as sd-bus's own clients send them: systemd's server reads them at
         * once and is running before our first message. Sent after OK, BEGIN may reach it in one read with that
         * message, which systemd 252 then leaves unread until more data comes (seen: a call never answered).
         */
        static const char auth[] = "\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n";
        int r = send_all(bus, auth, sizeof(auth) - 1, err);
        if (r < 0)
                return r;
        char line[256];
        r = read_auth_line(bus, line, sizeof(line), err);
        if (r == 0 && strcmp(line, "DATA") == 0)
                r = read_auth_line(bus, line, sizeof(line), err);
        if (r < 0)
                return r;
        if (strncmp(line, "OK ", 3) != 0)
                return husk_error_set(err, EACCES, "d-bus: `%s` refused authentication (%.64s)", path, line);
        *ret = TAKE_PTR(bus);
        return 0;
}

int husk_dbus_call(struct husk_dbus *bus, const char *path, const char *interface, const char *member,
                   const char *signature, const struct husk_dbus_writer *body, int timeout_ms,
                   struct husk_dbus_message **ret, struct husk_error **err)
{
        uint32_t serial = ++bus->serial;
        struct husk_dbus_writer out = {0};
        int r = husk_dbus_encode_call(serial, path, interface, member, signature, body, &out, err);
        if (r == 0)
                r = send_all(bus, out.data, out.len, err);
        husk_dbus_writer_free(&out);
        if (r < 0)
                return husk_error_wrap(err, "%s", member);
        int64_t deadline = husk_monotonic_ms() + timeout_ms;
        while (true) {
                struct husk_dbus_message *m = NULL;
                r = next_message(bus, deadline, &m, err);
                if (r < 0)
                        return husk_error_wrap(err, "%s", member);
                if (m->type == HUSK_DBUS_SIGNAL) {
                        keep_signal(bus, m);
                        continue;
                }
                if ((m->type != HUSK_DBUS_METHOD_RETURN && m->type != HUSK_DBUS_ERROR) || m->reply_serial != serial) {
                        husk_dbus_message_free(m);
                        continue;
                }
                if (m->type == HUSK_DBUS_ERROR) {
                        struct husk_dbus_reader rd = husk_dbus_message_body(m);
                        const char *text = m->signature && *m->signature == 's' ? husk_dbus_get_string(&rd) : NULL;
                        r = husk_error_set(err, 0, "%s: %s: %s", member, m->error_name ? m->error_name : "error",
                                           text ? text : "(no message)");
                        husk_dbus_message_free(m);
                        return r;
                }
                if (ret)
                        *ret = m;
                else
                        husk_dbus_message_free(m);
                return 0;
        }
}

static bool is_signal(const struct husk_dbus_message *m, const char *interface, const char *member)
{
        return m->type == HUSK_DBUS_SIGNAL && m->interface && strcmp(m->interface, interface) == 0 && m->member &&
               strcmp(m->member, member) == 0;
}

int husk_dbus_wait_signal(struct husk_dbus *bus, const char *interface, const char *member,
                          bool (*match)(const struct husk_dbus_message *m, void *data), void *data, int timeout_ms,
                          struct husk_dbus_message **ret, struct husk_error **err)
{
        for (size_t i = 0; i < bus->kept_len; i++) {
                struct husk_dbus_message *m = bus->kept[i];
                if (is_signal(m, interface, member) && match(m, data)) {
                        memmove(bus->kept + i, bus->kept + i + 1, (bus->kept_len - i - 1) * sizeof(bus->kept[0]));
                        bus->kept_len--;
                        if (ret)
                                *ret = m;
                        else
                                husk_dbus_message_free(m);
                        return 0;
                }
        }
        int64_t deadline = husk_monotonic_ms() + timeout_ms;
        while (true) {
                struct husk_dbus_message *m = NULL;
                int r = next_message(bus, deadline, &m, err);
                if (r < 0)
                        return husk_error_wrap(err, "wait for %s", member);
                if (is_signal(m, interface, member) && match(m, data)) {
                        if (ret)
                                *ret = m;
                        else
                                husk_dbus_message_free(m);
                        return 0;
                }
                if (m->type == HUSK_DBUS_SIGNAL)
                        keep_signal(bus, m);
                else
                        husk_dbus_message_free(m);
        }
}
