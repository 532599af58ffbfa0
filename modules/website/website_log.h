/*
 * The access log: one line per request, never a client address (the request API has none, on
 * purpose, and this format has no field for one).
 *
 *     2025-11-27T12:00:00.123Z demo GET /index.html 200 1234 0.214ms
 *     time (UTC, ms)           site method path     status body-bytes duration
 *
 * The path is the one sent (percent-encoded, without the query: queries may carry personal
 * data), with bytes outside printable ASCII, '"' and '\' written as \xHH so a request cannot
 * forge log lines. body-bytes is what the response was to carry (0 for HEAD and 304); duration
 * runs from the handler's start to the moment the response was handed to the server.
 */
#ifndef OE_WEBSITE_LOG_H
#define OE_WEBSITE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/oe.h"

typedef struct oe_website_log oe_website_log_t;

/* The sink for path ("stderr" or a file, opened for append and created 0644 less umask),
 * shared by every site and worker thread that names the same path; it stays open for the life
 * of the process (a reload reuses it). NULL when the file cannot be opened (reported once via
 * the log). Thread-safe. */
oe_website_log_t *oe_website_log_get(const char *path);

/* Appends one line (with its '\n') with one fwrite under the sink's lock. Thread-safe. */
void oe_website_log_write(oe_website_log_t *log, const char *line, size_t len);

/* Formats one line, '\n' included, into out; returns its length (at most cap - 1; a very long
 * path is cut and marked with "..."). time_ms is wall-clock milliseconds since the epoch. */
size_t oe_website_log_format(char *out, size_t cap, int64_t time_ms, const char *site,
                             oe_slice_t method, oe_slice_t path, int status, uint64_t bytes,
                             uint64_t duration_us);

/* The same record as one JSON object (access-log-format = json):
 *     {"time":"2025-11-27T12:00:00.123Z","site":"demo","method":"GET","path":"/index.html",
 *      "status":200,"bytes":1234,"duration_ms":0.214}
 * with bytes outside printable ASCII, '"' and '\' in strings written as \u00HH. */
size_t oe_website_log_format_json(char *out, size_t cap, int64_t time_ms, const char *site,
                                  oe_slice_t method, oe_slice_t path, int status, uint64_t bytes,
                                  uint64_t duration_us);

#endif
