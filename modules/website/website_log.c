/* The access log; see website_log.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "website/website_log.h"

#define TAG          "website"
#define PATH_LOG_MAX 1024 /* bytes of a request path kept in a line */

struct oe_website_log {
    struct oe_website_log *next;
    char *path;
    FILE *f; /* NULL when it could not be opened */
    pthread_mutex_t lock;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static oe_website_log_t *registry;

/* SIGUSR1 (oe_log_reopen): each file continues at its path, swapped under its lock so that no
 * line is split between the old file and the new one, and none is lost. */
static void reopen_all(void)
{
    pthread_mutex_lock(&registry_lock);
    for (oe_website_log_t *l = registry; l != NULL; l = l->next) {
        if (l->f == NULL || l->f == stderr)
            continue;
        FILE *f = fopen(l->path, "ae");
        if (f == NULL) {
            oe_log_error(TAG, "access log %s: %s; still writing to the old file", l->path,
                         strerror(errno));
            continue;
        }
        setvbuf(f, NULL, _IOLBF, 0);
        pthread_mutex_lock(&l->lock);
        FILE *old = l->f;
        l->f = f;
        pthread_mutex_unlock(&l->lock);
        fclose(old);
    }
    pthread_mutex_unlock(&registry_lock);
}

oe_website_log_t *oe_website_log_get(const char *path)
{
    pthread_mutex_lock(&registry_lock);
    oe_website_log_t *l = registry;
    while (l != NULL && strcmp(l->path, path) != 0)
        l = l->next;
    if (l == NULL) {
        l = oe_calloc(1, sizeof(*l));
        l->path = oe_strdup(path);
        pthread_mutex_init(&l->lock, NULL);
        if (strcmp(path, "stderr") == 0) {
            l->f = stderr;
        } else {
            l->f = fopen(path, "ae");
            if (l->f == NULL)
                oe_log_error(TAG, "access log %s: %s; requests to it are not logged", path,
                             strerror(errno));
            else
                setvbuf(l->f, NULL, _IOLBF, 0);
        }
        l->next = registry;
        registry = l;
        oe_log_on_reopen(reopen_all);
    }
    pthread_mutex_unlock(&registry_lock);
    return l->f != NULL ? l : NULL;
}

void oe_website_log_write(oe_website_log_t *log, const char *line, size_t len)
{
    if (log == NULL)
        return;
    pthread_mutex_lock(&log->lock);
    fwrite(line, 1, len, log->f);
    pthread_mutex_unlock(&log->lock);
}

/* Appends s escaped, at most max input bytes (then "..."), keeping room for the NUL. */
static size_t put_escaped_as(char *out, size_t o, size_t cap, oe_slice_t s, size_t max, bool json)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = s.len < max ? s.len : max;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s.base[i];
        bool plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\';
        if (o + (plain ? 1 : json ? 6 : 4) >= cap)
            return o;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            if (json) {
                memcpy(out + o, "u00", 3);
                o += 3;
            } else {
                out[o++] = 'x';
            }
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (n < s.len && o + 3 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (s.len == 0 && !json && o + 1 < cap)
        out[o++] = '-';
    return o;
}

static size_t put_escaped(char *out, size_t o, size_t cap, oe_slice_t s, size_t max)
{
    return put_escaped_as(out, o, cap, s, max, false);
}

/* Appends a literal. */
static size_t put_lit(char *out, size_t o, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (o + n >= cap)
        return o;
    memcpy(out + o, s, n);
    return o + n;
}

size_t oe_website_log_format_json(char *out, size_t cap, int64_t time_ms, const char *site,
                                  oe_slice_t method, oe_slice_t path, int status, uint64_t bytes,
                                  uint64_t duration_us)
{
    if (cap < 2)
        return 0;
    time_t secs = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, cap, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"site\":\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(time_ms % 1000));
    size_t o = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    o = put_escaped_as(out, o, cap, OE_SLICE_STR(site), 256, true);
    o = put_lit(out, o, cap, "\",\"method\":\"");
    o = put_escaped_as(out, o, cap, method, 32, true);
    o = put_lit(out, o, cap, "\",\"path\":\"");
    o = put_escaped_as(out, o, cap, path, PATH_LOG_MAX, true);
    char tail[128];
    n = snprintf(tail, sizeof(tail),
                 "\",\"status\":%d,\"bytes\":%llu,\"duration_ms\":%llu.%03llu}\n", status,
                 (unsigned long long)bytes, (unsigned long long)(duration_us / 1000),
                 (unsigned long long)(duration_us % 1000));
    /* The closing part always fits: the path was cut short enough above, or the line is cut
     * here, still one line. */
    if (n > 0 && o + (size_t)n >= cap)
        o = cap - 1 - (size_t)n;
    o = put_lit(out, o, cap, tail);
    out[o] = '\0';
    return o;
}

size_t oe_website_log_format(char *out, size_t cap, int64_t time_ms, const char *site,
                             oe_slice_t method, oe_slice_t path, int status, uint64_t bytes,
                             uint64_t duration_us)
{
    if (cap == 0)
        return 0;
    time_t secs = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n =
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(time_ms % 1000));
    size_t o = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    o = put_escaped(out, o, cap, OE_SLICE_STR(site), 256);
    if (o + 1 < cap)
        out[o++] = ' ';
    o = put_escaped(out, o, cap, method, 32);
    if (o + 1 < cap)
        out[o++] = ' ';
    o = put_escaped(out, o, cap, path, PATH_LOG_MAX);
    if (o < cap) {
        n = snprintf(out + o, cap - o, " %d %llu %llu.%03llums\n", status,
                     (unsigned long long)bytes, (unsigned long long)(duration_us / 1000),
                     (unsigned long long)(duration_us % 1000));
        o += n < 0 ? 0 : (size_t)n < cap - o ? (size_t)n : cap - o - 1;
    }
    /* A cut line still ends the record. */
    if (o > 0 && out[o - 1] != '\n') {
        if (o + 1 < cap)
            o++;
        out[o - 1] = '\n';
    }
    out[o] = '\0';
    return o;
}
