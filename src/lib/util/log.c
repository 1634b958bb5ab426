/* The one logger of libhusk: text or runc-style JSON lines, to stderr or a --log file. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "timestamp.h"

static int log_fd = -1;
static enum husk_log_format log_format = HUSK_LOG_TEXT;
static enum husk_log_level log_level = HUSK_LOG_WARN;

static const char *const level_names[] = {
        [HUSK_LOG_ERROR] = "error",
        [HUSK_LOG_WARN] = "warning",
        [HUSK_LOG_INFO] = "info",
        [HUSK_LOG_DEBUG] = "debug",
};

void husk_log_setup(int fd, enum husk_log_format format, enum husk_log_level level)
{
        log_fd = fd;
        log_format = format;
        log_level = level;
}

bool husk_log_enabled(enum husk_log_level level)
{
        return level <= log_level;
}

int husk_log_fd(void)
{
        return log_fd >= 0 ? log_fd : STDERR_FILENO;
}

/* Append s to buf as the inside of a JSON string; returns the new length. */
static size_t json_escape(char *buf, size_t len, size_t cap, const char *s)
{
        for (; *s && len + 7 < cap; s++) {
                unsigned char c = (unsigned char)*s;
                if (c == '"' || c == '\\') {
                        buf[len++] = '\\';
                        buf[len++] = (char)c;
                } else if (c == '\n') {
                        buf[len++] = '\\';
                        buf[len++] = 'n';
                } else if (c < 0x20) {
                        len += (size_t)snprintf(buf + len, cap - len, "\\u%04x", c);
                } else {
                        buf[len++] = (char)c;
                }
        }
        return len;
}

/* Kept out of husk_log: its 12 KiB of buffers would otherwise be a frame every disabled debug line
 * steps into, a stack page fault or two per husk run. */
static void log_line(enum husk_log_level level, const char *fmt, va_list ap)
        __attribute__((noinline, format(printf, 2, 0)));
static void log_line(enum husk_log_level level, const char *fmt, va_list ap)
{
        char msg[4096], line[8192], stamp[HUSK_TIMESTAMP_MAX];
        vsnprintf(msg, sizeof(msg), fmt, ap);

        husk_timestamp_format_now(stamp, sizeof(stamp));

        size_t len;
        if (log_format == HUSK_LOG_JSON) {
                len = (size_t)snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
                len = json_escape(line, len, sizeof(line) - 32, msg);
                len += (size_t)snprintf(line + len, sizeof(line) - len, "\",\"time\":\"%s\"}\n", stamp);
        } else {
                len = (size_t)snprintf(line, sizeof(line), "time=\"%s\" level=%s msg=\"", stamp, level_names[level]);
                len = json_escape(line, len, sizeof(line) - 8, msg);
                len += (size_t)snprintf(line + len, sizeof(line) - len, "\"\n");
        }
        if (len >= sizeof(line))
                len = sizeof(line) - 1;
        ssize_t w = write(husk_log_fd(), line, len);
        (void)w;
}

void husk_log(enum husk_log_level level, const char *fmt, ...)
{
        if (!husk_log_enabled(level))
                return;
        va_list ap;
        va_start(ap, fmt);
        log_line(level, fmt, ap);
        va_end(ap);
}
