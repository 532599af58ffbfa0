/*
 * SVCB and HTTPS RDATA (RFC 9460 §2.2): u16 SvcPriority | uncompressed TargetName | SvcParams,
 * each SvcParam u16 key | u16 length | value, keys strictly increasing.
 *
 * Known keys are checked for their value format when decoding (RFC 9460 §7, RFC 9461 for dohpath);
 * key 32769 ("odohconfig", from the ODoH drafts) holds the ObliviousDoHConfigs bytes *including*
 * their u16 length prefix and is kept opaque, like every unknown key. No function allocates except
 * the presentation printers, which append to a caller-owned oe_buf_t.
 */
#ifndef OE_DNS_SVCB_H
#define OE_DNS_SVCB_H

#include "dns/dns_wire.h"

enum {
    OE_SVCB_MANDATORY = 0,
    OE_SVCB_ALPN = 1,
    OE_SVCB_NO_DEFAULT_ALPN = 2,
    OE_SVCB_PORT = 3,
    OE_SVCB_IPV4HINT = 4,
    OE_SVCB_ECH = 5,
    OE_SVCB_IPV6HINT = 6,
    OE_SVCB_DOHPATH = 7, /* RFC 9461 */
    OE_SVCB_OHTTP = 8,   /* RFC 9540 §4: empty; an OHTTP gateway at /.well-known/ohttp-gateway */
    OE_SVCB_ODOHCONFIG = 32769,
};

/* A decoded SVCB/HTTPS RDATA: borrowed views into the RDATA bytes. */
typedef struct oe_dns_svcb {
    uint16_t priority;    /* 0: AliasMode (RFC 9460 §2.4.2) */
    oe_dns_name_t target; /* uncompressed, within the RDATA */
    oe_slice_t params;    /* the validated SvcParams, for oe_dns_svcb_param_next() */
} oe_dns_svcb_t;

/*
 * Decodes and validates RDATA: target name without compression pointers; keys strictly increasing
 * (an out-of-order or repeated key is OE_EFORMAT); each value within the RDATA (OE_ETRUNC); known
 * keys well-formed: mandatory a non-empty list of increasing u16 keys not containing 0, alpn
 * non-empty length-prefixed ids each non-empty, no-default-alpn empty, port 2 octets, ipv4hint
 * n*4 > 0, ipv6hint n*16 > 0, dohpath non-empty. Returns 0, OE_ETRUNC or OE_EFORMAT.
 */
int oe_dns_svcb_parse(oe_slice_t rdata, oe_dns_svcb_t *out);

/* Iterates validated params: pass &copy_of_svcb.params. Returns 1 with *key and *value, 0 at the
 * end, OE_ETRUNC on malformed input. */
int oe_dns_svcb_param_next(oe_slice_t *params, uint16_t *key, oe_slice_t *value);

/* Finds the value of `key`. Returns 1 and sets *value, 0 when absent, or an error. */
int oe_dns_svcb_param_get(const oe_dns_svcb_t *svcb, uint16_t key, oe_slice_t *value);

/*
 * Encoder: params must be added in strictly increasing key order (else OE_EINVAL). The buffer is
 * borrowed; errors are sticky in b->err like the message writer.
 */
typedef struct oe_dns_svcb_writer {
    uint8_t *base;
    size_t len, cap;
    int err;
    int32_t last_key; /* -1 before the first param */
} oe_dns_svcb_writer_t;

void oe_dns_svcb_begin(oe_dns_svcb_writer_t *b, uint8_t *buf, size_t cap, uint16_t priority,
                       oe_dns_name_t target);
/* Any key with a raw value (e.g. OE_SVCB_ODOHCONFIG with the ObliviousDoHConfigs bytes). */
int oe_dns_svcb_add(oe_dns_svcb_writer_t *b, uint16_t key, oe_slice_t value);
/* alpn from protocol ids such as "h2", "http/1.1" (each 1..255 octets). */
int oe_dns_svcb_add_alpn(oe_dns_svcb_writer_t *b, const char *const *ids, size_t n);
int oe_dns_svcb_add_port(oe_dns_svcb_writer_t *b, uint16_t port);
/* n addresses of 4 (ipv4hint) or 16 (ipv6hint) octets each, packed. */
int oe_dns_svcb_add_hints(oe_dns_svcb_writer_t *b, uint16_t key, const uint8_t *addrs, size_t n);
/* Returns b->err, or 0 with *len the RDATA length. */
int oe_dns_svcb_end(oe_dns_svcb_writer_t *b, size_t *len);

/*
 * Appends the presentation form of RDATA to out, as kdig prints it: "1 . alpn=h2,http/1.1
 * port=8443 ipv4hint=127.0.0.1 ipv6hint=::1 key7=\"/dns-query{?dns}\" key32769=\"\\000,...\"".
 * dohpath and unknown keys print as keyNNNNN="..." with \DDD for octets outside 0x20..0x7e and
 * \" \\ escaped: never base64. Returns 0 or the decoding error (out is then unchanged).
 */
int oe_dns_svcb_print(oe_buf_t *out, oe_slice_t rdata);

/*
 * Parses the presentation form "PRIORITY TARGET key=value ..." (tokens already split, quotes
 * removed by the caller's tokenizer, escapes still present) into RDATA in buf. Params may come in
 * any order; they are sorted, and a repeated key is an error. Returns the RDATA length, or a
 * negative error with a message in err (NUL-terminated, errcap bytes).
 */
int oe_dns_svcb_from_text(const char *const *tokens, size_t ntokens, uint8_t *buf, size_t cap,
                          char *err, size_t errcap);

#endif
