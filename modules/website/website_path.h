/*
 * Request paths to files: strict percent-decoding, dot-segment normalisation, the MIME table.
 * Pure functions without I/O, for the handler, the unit tests and the fuzzer.
 */
#ifndef OE_WEBSITE_PATH_H
#define OE_WEBSITE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/oe.h"

/* Longest relative path oe_website_resolve produces (bytes, without the NUL). */
#define OE_WEBSITE_PATH_MAX 4095

/* Maps a request path (percent-encoded as sent, without the query) to a path relative to the
 * document root, written NUL-terminated into out (cap bytes; cap > OE_WEBSITE_PATH_MAX is always
 * enough). The result has no leading or trailing '/', no empty, "." or ".." segments, and is ""
 * for the root itself. *dir is set when the request names a directory explicitly: the path ends
 * in '/', "/." or "/..".
 *
 * Each '/'-separated segment is percent-decoded on its own, so an encoded "%2f" never becomes a
 * separator, and "." / ".." are recognised after decoding ("%2e%2e" is ".."). Refused:
 *   OE_EFORMAT  the path does not start with '/', an escape is not '%' HEX HEX, or a decoded
 *               byte is NUL (no file name can hold one: the request itself is malformed → 400);
 *   -ENOENT     ".." would climb above the root; a segment holds '/' (from %2f) or '\'
 *               (literal or %5c), which never name a file we serve; a hidden segment (starting
 *               with '.') other than ".well-known"; the result is longer than cap - 1 (→ 404).
 * Returns 0 on success; out is unspecified on failure. */
int oe_website_resolve(oe_slice_t path, char *out, size_t cap, bool *dir);

/* Percent-encodes a relative path from oe_website_resolve for a Location header: '/' stays, every
 * byte outside RFC 3986 unreserved / sub-delims / ':' / '@' becomes %XX. Writes a NUL-terminated
 * string into out; returns its length, or OE_ESPACE when cap is too small. */
int oe_website_path_encode(const char *rel, char *out, size_t cap);

/* The media type for a file name, by its extension (case-insensitive), e.g. "text/html;
 * charset=utf-8"; "application/octet-stream" when unknown. Static string. */
const char *oe_website_mime(oe_slice_t name);

#endif
