/*
 * Presentation format (RFC 1035 §5.1, RFC 3597 §5): parse one zone-file-style line for config
 * `local-data`, and print RRs the way dig/kdig do.
 *
 * Parsing reads a NUL-terminated config line (config text, not network bytes). Printing appends to
 * a caller-owned oe_buf_t (which aborts on exhaustion, like every oe_buf_t).
 */
#ifndef OE_DNS_TEXT_H
#define OE_DNS_TEXT_H

#include "dns/dns_wire.h"

#define OE_DNS_TEXT_RDATA_MAX 4096

/* Mnemonic of a type ("A", "HTTPS"), or NULL when there is none (print "TYPE%u" then). */
const char *oe_dns_type_name(uint16_t type);
/* Parses a mnemonic (case-insensitive) or "TYPEnnn" (RFC 3597 §5). Returns 0 or OE_EFORMAT. */
int oe_dns_type_from_text(const char *s, uint16_t *type);
/* Name of an RCODE ("NOERROR", "NXDOMAIN", "BADKEY"...), or NULL. */
const char *oe_dns_rcode_name(uint16_t rcode);

/* Appends v as a quoted character-string: '"' and '\\' escaped with '\\', octets outside
 * 0x20..0x7e as \DDD (the form kdig prints for TXT and for SvcParam values). */
void oe_dns_print_charstring(oe_buf_t *out, oe_slice_t v);

/* Decodes \X and \DDD escapes of s[0..len) into out. Returns the length, OE_EFORMAT for a bad
 * escape or OE_ESPACE. */
int oe_dns_unescape(const char *s, size_t len, uint8_t *out, size_t cap);

/*
 * Appends the presentation form of rr's RDATA: A, AAAA, NS, CNAME, PTR, DNAME, MX, SOA, SRV, TXT,
 * SVCB and HTTPS in their own syntax, everything else (and any RDATA that does not decode) in the
 * RFC 3597 generic form "\# LEN HEX". Names in RDATA are resolved through rr->msg.
 */
void oe_dns_rdata_print(oe_buf_t *out, const oe_dns_rr_t *rr);

/* Appends "OWNER\tTTL\tCLASS\tTYPE\tRDATA" (no newline), dig style. A question prints as
 * ";OWNER\t\tCLASS\tTYPE". */
void oe_dns_rr_print(oe_buf_t *out, const oe_dns_rr_t *rr);

/* Appends the RFC 3597 generic line "OWNER TTL CLASS TYPE \# LEN HEX" (no newline); the type keeps
 * its mnemonic when it has one (e.g. "x.example. 300 IN HTTPS \# 12 0001..."). */
void oe_dns_rr_print_generic(oe_buf_t *out, const oe_dns_rr_t *rr);

/* One record parsed from text, owned by the struct (no pointers into the input). */
typedef struct oe_dns_rr_text {
    uint8_t owner[OE_DNS_NAME_MAX];
    size_t owner_len;
    uint16_t type, rclass;
    uint32_t ttl;
    size_t rdlen;
    uint8_t rdata[OE_DNS_TEXT_RDATA_MAX];
} oe_dns_rr_text_t;

#define OE_DNS_TEXT_DEFAULT_TTL 3600

/*
 * Parses "OWNER [TTL] [CLASS] TYPE RDATA" (TTL and class in either order; TTL defaults to 3600
 * and accepts unit suffixes like 1h30m; class IN only). OWNER is absolute with or without the
 * final dot. RDATA forms: A, AAAA, NS, CNAME, PTR, DNAME (name), MX, SRV, SOA (numbers and names),
 * TXT (one or more quoted or bare strings), SVCB/HTTPS (see oe_dns_svcb_from_text), and
 * "\# LEN HEX" for any type including TYPEnnn. A ';' outside quotes starts a comment; parentheses
 * (multi-line records) are not supported. Returns 0, or OE_EFORMAT with a one-line message in err
 * (NUL-terminated, at most errcap bytes) that the caller prefixes with FILE:LINE.
 */
int oe_dns_rr_from_text(const char *line, oe_dns_rr_text_t *out, char *err, size_t errcap);

/* A view of a parsed record for printing or writing (borrows t). */
static inline oe_dns_rr_t oe_dns_rr_text_view(const oe_dns_rr_text_t *t)
{
    oe_dns_rr_t rr = {.name = oe_dns_name_wire(t->owner, t->owner_len),
                      .type = t->type,
                      .rclass = t->rclass,
                      .ttl = t->ttl,
                      .rdata = OE_SLICE(t->rdata, t->rdlen),
                      .msg = OE_SLICE(t->rdata, t->rdlen),
                      .rdata_off = 0,
                      .section = OE_DNS_SEC_ANSWER};
    return rr;
}

#endif
