#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/oe.h"

static struct {
    int fd;
    int owned;
    oe_log_level_t level;
    oe_log_format_t format;
} sink = {2, 0, OE_LOG_INFO, OE_LOG_TEXT};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int oe_log_open(const char *path, oe_log_level_t level, oe_log_format_t format)
{
    int fd = 2, owned = 0;
    if (path != NULL && strcmp(path, "stderr") != 0) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return -errno;
        owned = 1;
    }
    if (sink.owned)
        close(sink.fd);
    sink.fd = fd;
    sink.owned = owned;
    sink.level = level;
    sink.format = format;
    return 0;
}

void oe_log_close(void)
{
    if (sink.owned)
        close(sink.fd);
    sink.fd = 2;
    sink.owned = 0;
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
    if (sink.owned || sink.format == OE_LOG_JSON) {
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
