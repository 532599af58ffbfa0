/*
 * Leveled logging, tagged with the module name, to stderr (journald-friendly: one line per
 * record, no timestamps of our own unless logging to a file) or to a file, as text or JSON.
 *
 * Privacy contract: callers never pass client addresses, query contents or secrets. There is no
 * API that formats a peer address, on purpose.
 */
#ifndef OE_LOG_H
#define OE_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum oe_log_level {
    OE_LOG_ERROR = 0,
    OE_LOG_WARN,
    OE_LOG_INFO,
    OE_LOG_DEBUG,
} oe_log_level_t;

typedef enum oe_log_format {
    OE_LOG_TEXT = 0,
    OE_LOG_JSON,
} oe_log_format_t;

/* Sets the sink. path NULL or "stderr" means standard error. Returns 0 or -errno (the previous
 * sink stays in place on failure). Call from the main thread (start-up, reload); workers may
 * log meanwhile: once a file was opened, its descriptor number stays the sink's for good and a
 * reopen only points it elsewhere (dup3), so no write can land in a reused descriptor. */
int oe_log_open(const char *path, oe_log_level_t level, oe_log_format_t format);
void oe_log_close(void);

/* Log files other than this sink (the access logs) register how to reopen themselves; SIGUSR1
 * (after logrotate moved the files) reopens the sink and then runs each. fn runs on the main
 * thread while workers may be writing: it must swap its file under its own lock. Registering
 * the same fn twice keeps one entry. Thread-safe. */
void oe_log_on_reopen(void (*fn)(void));
/* Reopens the sink's file at its path and runs the registered functions. 0 or -errno (the
 * previous file stays in use for the sink on failure). Main thread. */
int oe_log_reopen(void);
oe_log_level_t oe_log_level(void);

/* Logs one record. tag is the module name ("core", "http", ...). Thread-safe: each record is
 * written with a single write(2). */
void oe_log(oe_log_level_t level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One record of msg (len bytes, no newline) without time stamp and with no formatting: safe in a
 * signal handler. */
void oe_log_raw(oe_log_level_t level, const char *tag, const char *msg, size_t len);
void oe_logv(oe_log_level_t level, const char *tag, const char *fmt, va_list ap);

#define oe_log_error(tag, ...) oe_log(OE_LOG_ERROR, (tag), __VA_ARGS__)
#define oe_log_warn(tag, ...)  oe_log(OE_LOG_WARN, (tag), __VA_ARGS__)
#define oe_log_info(tag, ...)  oe_log(OE_LOG_INFO, (tag), __VA_ARGS__)
#define oe_log_debug(tag, ...)                                                                     \
    do {                                                                                           \
        if (oe_log_level() >= OE_LOG_DEBUG)                                                        \
            oe_log(OE_LOG_DEBUG, (tag), __VA_ARGS__);                                              \
    } while (0)

#endif
