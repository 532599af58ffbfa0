/*
 * A small strict JSON reader (RFC 8259) for ACME responses: no tree, no heap. A document is
 * validated once (oe_acme_json_check); its members are then looked up as raw value slices and
 * decoded on demand. Every function reads only inside the slice it is given. Limits: nesting depth
 * 32, and strings must be valid UTF-8 text (escapes included) without NUL.
 */
#ifndef OE_ACME_ACME_JSON_H
#define OE_ACME_ACME_JSON_H

#include "core/oe.h"

#define OE_ACME_JSON_MAX_DEPTH 32

/* 0 when doc is exactly one JSON value (white space around it allowed), else OE_EFORMAT. */
int oe_acme_json_check(oe_slice_t doc);

/* The raw text of member key in the object obj (white space trimmed): a view into obj. Returns 0,
 * -ENOENT when obj has no such member, OE_EFORMAT when obj is not a valid object. With duplicate
 * keys the first one counts. */
int oe_acme_json_member(oe_slice_t obj, const char *key, oe_slice_t *val);

/* Decodes the JSON string val into out, NUL-terminated UTF-8. Returns the length, OE_EFORMAT
 * (not a string, a bad escape, a lone surrogate, \u0000, invalid UTF-8) or OE_ESPACE. */
int oe_acme_json_string(oe_slice_t val, char *out, size_t cap);

/* The string member key of obj, decoded into out: oe_acme_json_member + oe_acme_json_string. */
int oe_acme_json_member_string(oe_slice_t obj, const char *key, char *out, size_t cap);

/* Iterates the array arr: *pos starts at 0. Returns 1 with *elem set to the next element (raw
 * text), 0 after the last, OE_EFORMAT when arr is not a valid array. */
int oe_acme_json_array_next(oe_slice_t arr, size_t *pos, oe_slice_t *elem);

/* Appends s as a JSON string (quotes and escapes) to b. */
void oe_acme_json_append_string(oe_buf_t *b, const char *s);

#endif
