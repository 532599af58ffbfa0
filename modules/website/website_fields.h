/*
 * The header fields a static-file server interprets (RFC 9110): Range, If-None-Match / If-Range
 * entity tags, HTTP dates, Accept-Encoding. Pure functions over slices, without I/O.
 */
#ifndef OE_WEBSITE_FIELDS_H
#define OE_WEBSITE_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/oe.h"

/* ---- Range (RFC 9110 §14.1.2, §14.2) ----------------------------------------------------- */

typedef enum oe_website_range {
    OE_WEBSITE_RANGE_OK = 0,        /* one satisfiable range: *off, *len (len >= 1) */
    OE_WEBSITE_RANGE_UNSATISFIABLE, /* valid, but no byte of it lies in the file: 416 */
    OE_WEBSITE_RANGE_IGNORE,        /* not a single valid byte range: serve the whole file */
} oe_website_range_t;

/* Interprets a Range field value for a representation of size bytes. Accepted: "bytes=" (unit
 * case-insensitive) followed by exactly one range-spec, "a-b", "a-" or "-n", with optional
 * whitespace and empty list elements around it. Positions too large for 64 bits saturate (a
 * huge first-pos is beyond the end: unsatisfiable; a huge last-pos or suffix means "to the
 * end"). last < first, junk, another unit, and several ranges are ignored (the whole file is
 * served: this server does not produce multipart/byteranges). "-0" and any range of an empty
 * file are unsatisfiable. */
oe_website_range_t oe_website_parse_range(oe_slice_t header, uint64_t size, uint64_t *off,
                                          uint64_t *len);

/* ---- entity tags (RFC 9110 §8.8.3, §13.1.2) ---------------------------------------------- */

/* True when the field value (If-None-Match, If-Match or If-Range) matches etag, our entity tag
 * as sent (with quotes, optionally with W/). The value is "*" (matches any current
 * representation) or a comma-separated list of entity tags. With strong set, both tags must be
 * strong and equal (If-Range); otherwise the weak comparison applies (W/ is disregarded). A
 * malformed list matches as far as it is well-formed and no further. */
bool oe_website_etag_match(oe_slice_t header, oe_slice_t etag, bool strong);

/* ---- HTTP dates (RFC 9110 §5.6.7) -------------------------------------------------------- */

/* Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT". */
#define OE_WEBSITE_DATE_LEN 29

/* Writes t (seconds since the epoch, years 0001..9999; clamped to that range) as an
 * IMF-fixdate plus NUL into out. */
void oe_website_format_date(int64_t t, char out[OE_WEBSITE_DATE_LEN + 1]);

/* Parses an HTTP-date in any of the three formats a recipient must accept: IMF-fixdate,
 * RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year more than 50 years in the future
 * of now is taken as the latest past year with those digits) and asctime ("Sun Nov  6 08:49:37
 * 1994"). The weekday is checked for spelling, not for agreement with the date. Leading and
 * trailing whitespace is allowed. Returns 0 and *t, or OE_EFORMAT. */
int oe_website_parse_date(oe_slice_t s, int64_t now, int64_t *t);

/* ---- Accept-Encoding (RFC 9110 §12.5.3) -------------------------------------------------- */

/* The client's preference for br and gzip as q-values in thousandths (0 = refused, 1000 = q=1)
 * from an Accept-Encoding value: an explicit coding wins over "*"; "x-gzip" is gzip; a malformed
 * q-value refuses that element. An absent or empty header refuses both (identity only). */
void oe_website_accept_encoding(oe_slice_t header, unsigned *q_br, unsigned *q_gzip);

#endif
