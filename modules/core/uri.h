/*
 * URI pieces that several handlers read: query parameters and percent-decoding (RFC 3986 §2.1,
 * §3.4, with the '&'-separated name=value pairs of HTML forms). No I/O, no heap.
 */
#ifndef OE_CORE_URI_H
#define OE_CORE_URI_H

#include "core/oe.h"

/* The raw (still encoded) value of the first parameter called name in query (the part after
 * '?', without it): a view into query, valid as long as it is; base NULL when absent. The name
 * compares byte for byte, undecoded; a parameter without '=' has no value and never matches. */
oe_slice_t oe_uri_query_param(oe_slice_t query, const char *name);

/* Percent-decodes in into out, NUL-terminated; '+' becomes a space when plus_is_space (form
 * encoding). Returns the decoded length, OE_EFORMAT (a '%' not followed by two hex digits, or a
 * decoded NUL, which a C string could not carry) or OE_ESPACE (length + 1 > cap). */
int oe_uri_pct_decode(char *out, size_t cap, oe_slice_t in, bool plus_is_space);

#endif
