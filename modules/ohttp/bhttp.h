/*
 * Binary HTTP messages (RFC 9292): decoding of both framings (known-length and indeterminate
 * length) for requests and responses, and encoding in the known-length form. No I/O, no heap:
 * the caller passes the field array and, for chunked content, the buffer the chunks are joined
 * in; everything else borrows from the input.
 *
 * Strictness: every length is checked against what remains before it is used; a message may be
 * truncated after any complete section (§3.8: the rest is empty) and followed by zero padding,
 * nothing else. Field names must be non-empty tokens (any case), values must not hold CR, LF
 * or NUL (a message we decode may be turned back into HTTP/1.1 or HTTP/2); control data must be
 * non-empty where HTTP needs it (method; for a request with a scheme, path).
 */
#ifndef OE_OHTTP_BHTTP_H
#define OE_OHTTP_BHTTP_H

#include <stdbool.h>

#include "core/oe.h"

/* Framing indicators (RFC 9292 §3.3). */
#define OE_BHTTP_KNOWN_REQUEST          0
#define OE_BHTTP_KNOWN_RESPONSE         1
#define OE_BHTTP_INDETERMINATE_REQUEST  2
#define OE_BHTTP_INDETERMINATE_RESPONSE 3

typedef struct oe_bhttp_field {
    oe_slice_t name, value;
} oe_bhttp_field_t;

/* A decoded message. For a request, method/scheme/authority/path are set (scheme, authority and
 * path may be empty) and status is 0; for a response, status is the final status (200..599)
 * and the control slices are empty. Informational (1xx) responses and trailers are checked and
 * skipped. fields points at the caller's array; content borrows from the input (known length)
 * or from the caller's content buffer (indeterminate length). */
typedef struct oe_bhttp_msg {
    uint8_t framing;
    oe_slice_t method, scheme, authority, path;
    unsigned status;
    oe_bhttp_field_t *fields;
    size_t nfields;
    oe_slice_t content;
} oe_bhttp_msg_t;

/* Reads one QUIC variable-length integer (RFC 9000 §16) from in[*pos..len): OE_ETRUNC when it
 * runs past len. */
int oe_bhttp_varint_get(const uint8_t *in, size_t len, size_t *pos, uint64_t *v);
/* Writes v in its shortest form; returns the byte count, or OE_ESPACE / OE_EINVAL (v >= 2^62). */
int oe_bhttp_varint_put(uint8_t *out, size_t cap, uint64_t v);

/* Decodes in[0..len) exactly (trailing bytes must be zero padding). fields[0..cap) receives the
 * header fields; content_buf[0..content_cap) the joined chunks of an indeterminate-length body
 * (unused for known length, may be NULL then). Errors: OE_ETRUNC (a length or section runs past
 * the end), OE_EFORMAT (bad framing indicator, field or control data, a status out of range,
 * non-zero bytes after the message), OE_ESPACE (more fields than cap, or chunks past
 * content_cap). On error *m is undefined. */
int oe_bhttp_decode(oe_bhttp_msg_t *m, const uint8_t *in, size_t len, oe_bhttp_field_t *fields,
                    size_t cap, uint8_t *content_buf, size_t content_cap);

/* Encodes a known-length request (framing 0) with no trailers; returns its length or OE_ESPACE.
 * Every slice is borrowed for the call. */
int oe_bhttp_encode_request(uint8_t *out, size_t cap, oe_slice_t method, oe_slice_t scheme,
                            oe_slice_t authority, oe_slice_t path, const oe_bhttp_field_t *fields,
                            size_t nfields, oe_slice_t content);
/* Encodes a known-length response (framing 1) with the final status 200..599 and no trailers. */
int oe_bhttp_encode_response(uint8_t *out, size_t cap, unsigned status,
                             const oe_bhttp_field_t *fields, size_t nfields, oe_slice_t content);

/* The value of the first field called name (compared without case), or an empty slice with base
 * NULL. */
oe_slice_t oe_bhttp_field(const oe_bhttp_msg_t *m, const char *name);

#endif
