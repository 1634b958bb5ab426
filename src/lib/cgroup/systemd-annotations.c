/* runc's auxiliary properties: org.systemd.property.<Name> annotations, read from their GVariant text. */
#include "cgroup/systemd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define PROPERTY_ANNOTATION "org.systemd.property."

/* A GVariant text string: 'text' or "text", a backslash taking the next character as it is. */
static char *parse_quoted(const char *text)
{
        size_t len = strlen(text);
        if (len < 2 || (text[0] != '\'' && text[0] != '"') || text[len - 1] != text[0])
                return NULL;
        char *out = malloc(len), *o = out;
        if (!out)
                return NULL;
        for (const char *p = text + 1; p < text + len - 1; p++) {
                if (*p == text[0]) {
                        free(out);
                        return NULL;
                }
                if (*p == '\\' && p + 1 < text + len - 1)
                        p++;
                *o++ = *p;
        }
        *o = '\0';
        return out;
}

/* The number of a GVariant integer of type t ("int32" range and so on); false when it is none or out of range. */
static bool parse_integer(const char *text, char type, uint64_t *ret)
{
        errno = 0;
        char *end = NULL;
        bool is_signed = strchr("nix", type) != NULL;
        if (!*text || (!is_signed && *text == '-'))
                return false;
        long long s = 0;
        unsigned long long u = 0;
        if (is_signed)
                s = strtoll(text, &end, 10);
        else
                u = strtoull(text, &end, 10);
        if (errno || *end)
                return false;
        switch (type) {
        case 'y':
                if (u > UINT8_MAX)
                        return false;
                break;
        case 'q':
                if (u > UINT16_MAX)
                        return false;
                break;
        case 'u':
                if (u > UINT32_MAX)
                        return false;
                break;
        case 'n':
                if (s < INT16_MIN || s > INT16_MAX)
                        return false;
                break;
        case 'i':
                if (s < INT32_MIN || s > INT32_MAX)
                        return false;
                break;
        default:
                break;
        }
        *ret = is_signed ? (uint64_t)s : (uint64_t)u;
        return true;
}

/* The GVariant text forms runc (godbus) reads for a property: typed or plain numbers, booleans, strings. -EINVAL
 * when the text is none of them. */
static int parse_property_value(const char *value, struct husk_systemd_property *p)
{
        static const struct {
                const char *keyword;
                char type;
        } typed[] = {{"byte ", 'y'},   {"int16 ", 'n'}, {"uint16 ", 'q'}, {"int32 ", 'i'},
                     {"uint32 ", 'u'}, {"int64 ", 'x'}, {"uint64 ", 't'}, {"double ", 'd'}};
        /* Blanks around the value are GVariant's to ignore. */
        value += strspn(value, " \t\n");
        _cleanup_free_ char *text = strdup(value);
        if (!text)
                return -ENOMEM;
        for (size_t n = strlen(text); n > 0 && strchr(" \t\n", text[n - 1]); n--)
                text[n - 1] = '\0';
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
                p->type = 'b';
                p->value = text[0] == 't';
                return 0;
        }
        if (text[0] == '\'' || text[0] == '"') {
                p->type = 's';
                p->string = parse_quoted(text);
                return p->string ? 0 : -EINVAL;
        }
        const char *number = text;
        p->type = 0;
        for (size_t i = 0; i < ARRAY_SIZE(typed) && !p->type; i++) {
                size_t len = strlen(typed[i].keyword);
                if (strncmp(text, typed[i].keyword, len) == 0) {
                        p->type = typed[i].type;
                        number = text + len + strspn(text + len, " ");
                }
        }
        /* Untyped: a number with a fraction or exponent is a double, any other an int32, as in GVariant. */
        if (!p->type)
                p->type = number[strcspn(number, ".eE")] ? 'd' : 'i';
        if (p->type == 'd') {
                char *end = NULL;
                errno = 0;
                double d = strtod(number, &end);
                if (errno || end == number || *end)
                        return -EINVAL;
                memcpy(&p->value, &d, sizeof(d));
                return 0;
        }
        return parse_integer(number, p->type, &p->value) ? 0 : -EINVAL;
}

/* systemd documents TimeoutStopSec, its bus takes TimeoutStopUSec: runc converts a name ending in [a-z]Sec. */
static int property_sec_to_usec(struct husk_systemd_property *p)
{
        size_t len = strlen(p->name);
        if (len < 4 || strcmp(p->name + len - 3, "Sec") != 0 || p->name[len - 4] < 'a' || p->name[len - 4] > 'z')
                return 0;
        uint64_t usec;
        if (p->type == 'd') {
                double seconds;
                memcpy(&seconds, &p->value, sizeof(seconds));
                if (!(seconds >= 0 && seconds * 1e6 < 18446744073709551616.0))
                        return -EINVAL;
                usec = (uint64_t)(seconds * 1e6);
        } else if (p->type && strchr("yqutnix", p->type)) {
                if (strchr("nix", p->type) && (int64_t)p->value < 0)
                        return -EINVAL;
                if (__builtin_mul_overflow(p->value, (uint64_t)1000000, &usec))
                        return -EINVAL;
        } else {
                return -EINVAL;
        }
        char *name = NULL;
        if (asprintf(&name, "%.*sUSec", (int)(len - 3), p->name) < 0)
                return -ENOMEM;
        free(p->name);
        p->name = name;
        p->type = 't';
        p->value = usec;
        return 0;
}

int husk_systemd_unit_parse_properties(const struct husk_kv_list *annotations, struct husk_systemd_unit *u,
                                       struct husk_error **err)
{
        size_t prefix_len = strlen(PROPERTY_ANNOTATION);
        for (size_t i = 0; annotations && i < annotations->len; i++) {
                const struct husk_kv *a = &annotations->items[i];
                if (strncmp(a->key, PROPERTY_ANNOTATION, prefix_len) != 0)
                        continue;
                /* runc's rule for the name: latin letters only, at least three. */
                const char *name = a->key + prefix_len;
                size_t name_len = strlen(name);
                if (name_len < 3 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != name_len)
                        return husk_error_set(err, 0, "annotation `%s`: `%s` is not a systemd property name", a->key,
                                              name);
                struct husk_systemd_property *grown =
                    realloc(u->properties, (u->properties_len + 1) * sizeof(*u->properties));
                if (!grown)
                        return husk_error_set(err, ENOMEM, "allocate");
                u->properties = grown;
                struct husk_systemd_property *p = &u->properties[u->properties_len++];
                *p = (struct husk_systemd_property){.name = strdup(name)};
                if (!p->name)
                        return husk_error_set(err, ENOMEM, "allocate");
                int r = parse_property_value(a->value, p);
                if (r == -ENOMEM)
                        return husk_error_set(err, ENOMEM, "allocate");
                if (r < 0)
                        return husk_error_set(err, 0,
                                              "annotation `%s`: cannot read `%s` as a GVariant value (e.g. "
                                              "\"uint64 123\", \"true\", \"'text'\")",
                                              a->key, a->value);
                r = property_sec_to_usec(p);
                if (r == -ENOMEM)
                        return husk_error_set(err, ENOMEM, "allocate");
                if (r < 0)
                        return husk_error_set(err, 0, "annotation `%s`: `%s` is no number of seconds", a->key,
                                              a->value);
        }
        return 0;
}
