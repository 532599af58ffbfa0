/*
 * Constant-time comparison and encodings of secrets: hex and base64 / base64url (RFC 4648). The
 * time a call takes depends on the lengths only, never on the bytes, so keys, seeds and TSIG
 * secrets can pass through them (the habit of wireguard-tools' encoding.c). No heap, no I/O.
 */
#ifndef OE_CRYPTO_ENCODE_H
#define OE_CRYPTO_ENCODE_H

#include "core/oe.h"

/* 1 if the n bytes at a and b are equal, 0 if not. */
int oe_ct_eq(const void *a, const void *b, size_t n);

/* Lower-case hex of in[0..len) into out, which has 2 * len + 1 bytes (NUL-terminated). */
void oe_hex_encode(char *out, const uint8_t *in, size_t len);
/* The value of one hex digit (either case), or -1. Constant time, like the rest. */
int oe_hex_digit(uint8_t c);
/* Decodes len hex digits (either case) into out; returns the byte count, OE_EFORMAT (odd length
 * or a character that is not a hex digit) or OE_ESPACE (len / 2 > cap). After OE_EFORMAT the
 * first len / 2 bytes of out are undefined. */
int oe_hex_decode(uint8_t *out, size_t cap, const char *in, size_t len);

/* Encoded lengths, without the NUL: base64 pads to a multiple of 4, base64url does not pad. */
#define OE_BASE64_LEN(n)    (((n) + 2) / 3 * 4)
#define OE_BASE64URL_LEN(n) (((n)*4 + 2) / 3)

/* base64 (RFC 4648 §4, with '=' padding) and base64url (§5, without padding, as RFC 8484 and JWS
 * use it) of in[0..len) into out, NUL-terminated; returns the length without the NUL, or
 * OE_ESPACE when cap is smaller than that length + 1. */
int oe_base64_encode(char *out, size_t cap, const uint8_t *in, size_t len);
int oe_base64url_encode(char *out, size_t cap, const uint8_t *in, size_t len);

/* Decoders; return the byte count, OE_EFORMAT or OE_ESPACE (the decoded length exceeds cap).
 * base64: the length is a multiple of 4 and '=' appears only as the last one or two characters.
 * base64url: no padding, but up to two '=' at the end are tolerated; a length of 4k + 1 is
 * malformed. Neither accepts white space. Bits below the last whole byte are ignored, as most
 * decoders do. After OE_EFORMAT the bytes of out that the length allowed are undefined. */
int oe_base64_decode(uint8_t *out, size_t cap, const char *in, size_t len);
int oe_base64url_decode(uint8_t *out, size_t cap, const char *in, size_t len);

#endif
