/* The one logger of libhusk: text or runc-style JSON lines, to stderr or a --log file. */
#pragma once

#include <stdbool.h>

enum husk_log_level {
        HUSK_LOG_ERROR = 0,
        HUSK_LOG_WARN,
        HUSK_LOG_INFO,
        HUSK_LOG_DEBUG,
};

enum husk_log_format {
        HUSK_LOG_TEXT = 0,
        HUSK_LOG_JSON,
};

/* fd is where lines go (-1: stderr); the logger does not own it. */
void husk_log_setup(int fd, enum husk_log_format format, enum husk_log_level level);
bool husk_log_enabled(enum husk_log_level level);
int husk_log_fd(void);
void husk_log(enum husk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define husk_debug(...) husk_log(HUSK_LOG_DEBUG, __VA_ARGS__)
#define husk_info(...) husk_log(HUSK_LOG_INFO, __VA_ARGS__)
#define husk_warn(...) husk_log(HUSK_LOG_WARN, __VA_ARGS__)
