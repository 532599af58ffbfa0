#define _GNU_SOURCE /* dup3 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/oe.h"

/* Once the sink has its own descriptor it keeps that number for the life of the process: a
 * reopen (reload) puts the new file, or stderr, onto it with dup3. Workers read sink.fd without
 * a lock, so closing it could let the number be reused by a client socket that then receives
 * log lines. */
static struct {
    int fd;
    int owned; /* fd is our own number (not 2) */
    int file;  /* it is a file, not stderr: lines carry timestamps */
    oe_log_level_t level;
    oe_log_format_t format;
    char path[4096]; /* of the file, for a reopen */
} sink = {2, 0, 0, OE_LOG_INFO, OE_LOG_TEXT, ""};

static pthread_mutex_t reopen_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*reopen_fns[8])(void);
static size_t nreopen;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int oe_log_open(const char *path, oe_log_level_t level, oe_log_format_t format)
{
    bool file = path != NULL && strcmp(path, "stderr") != 0;
    int fd = 2;
    if (file) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return -errno;
    }
    if (sink.owned) {
        if (dup3(fd, sink.fd, O_CLOEXEC) < 0) {
            int err = -errno;
            if (file)
                close(fd);
            return err;
        }
        if (file)
            close(fd);
    } else if (file) {
        sink.fd = fd;
        sink.owned = 1;
    }
    sink.file = file;
    sink.level = level;
    sink.format = format;
    if (file)
        snprintf(sink.path, sizeof(sink.path), "%s", path);
    return 0;
}

void oe_log_on_reopen(void (*fn)(void))
{
    pthread_mutex_lock(&reopen_lock);
    size_t i = 0;
    while (i < nreopen && reopen_fns[i] != fn)
        i++;
    if (i == nreopen) {
        if (nreopen == sizeof(reopen_fns) / sizeof(reopen_fns[0]))
            abort(); /* a fixed set of units registers: more is a programming error */
        reopen_fns[nreopen++] = fn;
    }
    pthread_mutex_unlock(&reopen_lock);
}

int oe_log_reopen(void)
{
    int rc = 0;
    if (sink.file) {
        char path[sizeof(sink.path)];
        memcpy(path, sink.path, sizeof(path));
        rc = oe_log_open(path, sink.level, sink.format);
    }
    pthread_mutex_lock(&reopen_lock);
    size_t n = nreopen;
    pthread_mutex_unlock(&reopen_lock);
    for (size_t i = 0; i < n; i++)
        reopen_fns[i]();
    return rc;
}

/* At exit only: no thread may be logging. */
void oe_log_close(void)
{
    if (sink.owned)
        close(sink.fd);
    sink.fd = 2;
    sink.owned = 0;
    sink.file = 0;
}

oe_log_level_t oe_log_level(void)
{
    return sink.level;
}

/* JSON string escaping for the message field. */
static size_t json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

void oe_log_raw(oe_log_level_t level, const char *tag, const char *msg, size_t len)
{
    char line[512];
    size_t n = 0;
    const char *parts[] = {sink.format == OE_LOG_JSON ? "{\"level\":\"" : "", level_names[level],
                           sink.format == OE_LOG_JSON ? "\",\"module\":\"" : ": ", tag,
                           sink.format == OE_LOG_JSON ? "\",\"msg\":\"" : ": "};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        size_t k = strlen(parts[i]);
        if (n + k < sizeof(line)) {
            memcpy(line + n, parts[i], k);
            n += k;
        }
    }
    if (len > sizeof(line) - n - 4)
        len = sizeof(line) - n - 4;
    memcpy(line + n, msg, len); /* callers pass plain text: nothing to escape */
    n += len;
    if (sink.format == OE_LOG_JSON) {
        line[n++] = '"';
        line[n++] = '}';
    }
    line[n++] = '\n';
    ssize_t w = write(sink.fd, line, n);
    (void)w;
}

void oe_logv(oe_log_level_t level, const char *tag, const char *fmt, va_list ap)
{
    if (level > sink.level)
        return;
    char msg[2048], line[4608];
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        return;
    /* Timestamps only when writing to a file: journald and terminals stamp stderr themselves. */
    char stamp[40] = "";
    if (sink.file || sink.format == OE_LOG_JSON) {
        struct timeval tv;
        struct tm tm;
        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(stamp + k, sizeof(stamp) - k, ".%03dZ", (int)(tv.tv_usec / 1000));
    }
    size_t len;
    if (sink.format == OE_LOG_JSON) {
        char esc[4096];
        json_escape(esc, sizeof(esc), msg);
        len = (size_t)snprintf(
            line, sizeof(line),
            "{\"time\":\"%s\",\"level\":\"%s\",\"module\":\"%s\",\"msg\":\"%s\"}\n", stamp,
            level_names[level], tag, esc);
    } else {
        len = (size_t)snprintf(line, sizeof(line), "%s%s%s: %s: %s\n", stamp, *stamp ? " " : "",
                               level_names[level], tag, msg);
    }
    if (len >= sizeof(line)) {
        len = sizeof(line) - 1;
        line[len - 1] = '\n';
    }
    ssize_t w = write(sink.fd, line, len);
    (void)w;
}

void oe_log(oe_log_level_t level, const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oe_logv(level, tag, fmt, ap);
    va_end(ap);
}
