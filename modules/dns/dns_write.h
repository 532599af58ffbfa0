/*
 * DNS message writer: builds a message into a caller buffer with every write bounds-checked.
 *
 * The writer borrows the buffer for its lifetime and never allocates. Errors are sticky: the first
 * failure (OE_ESPACE when the buffer is too small, OE_EINVAL for a section written out of order or
 * a bad argument, OE_EFORMAT for a malformed name) is kept in w->err, later calls do nothing and
 * return it, and oe_dns_writer_finish() reports it. Sections must be written in order: question,
 * answer, authority, additional (zone, prerequisite, update, additional in an UPDATE).
 */
#ifndef OE_DNS_WRITE_H
#define OE_DNS_WRITE_H

#include "dns/dns_wire.h"

#define OE_DNS_COMP_MAX 64 /* names remembered for compression */

typedef struct oe_dns_writer {
    uint8_t *base; /* borrowed */
    size_t len, cap;
    int err;
    unsigned section; /* the section being written */
    uint16_t count[4];
    uint16_t
        rcode;     /* 12 bits: low 4 go to the header, high 8 to the OPT record if one is written */
    bool compress; /* compress owner names (RFC 1035 §4.1.4); off by default */
    unsigned ncomp;
    uint16_t comp[OE_DNS_COMP_MAX]; /* offsets of written labels usable as pointer targets */
} oe_dns_writer_t;

/* Starts a message with the given ID and flags (opcode and low RCODE bits included). */
void oe_dns_writer_init(oe_dns_writer_t *w, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags);

/* Starts a response to `query` (RFC 1035 §4.1.1): same ID and opcode, QR set, RD and CD copied,
 * `flags` (e.g. AA, RA) added, `rcode` set (extended bits go into the OPT written later), and
 * every question copied (names decompressed). Owner-name compression is on. */
void oe_dns_writer_init_response(oe_dns_writer_t *w, uint8_t *buf, size_t cap,
                                 const oe_dns_msg_t *query, uint16_t flags, uint16_t rcode);

/* Sets the 12-bit RCODE. */
void oe_dns_writer_set_rcode(oe_dns_writer_t *w, uint16_t rcode);

int oe_dns_write_question(oe_dns_writer_t *w, oe_dns_name_t name, uint16_t type, uint16_t rclass);

/* Appends an RR whose RDATA is copied verbatim (it must not hold compression pointers). */
int oe_dns_write_rr(oe_dns_writer_t *w, oe_dns_section_t section, oe_dns_name_t owner,
                    uint16_t type, uint16_t rclass, uint32_t ttl, oe_slice_t rdata);

/* Appends a copy of a parsed RR (e.g. from an upstream answer), decompressing the names inside the
 * RDATA of NS, CNAME, PTR, DNAME, MX, SOA and SRV; other RDATA is copied verbatim. */
int oe_dns_write_rr_copy(oe_dns_writer_t *w, oe_dns_section_t section, const oe_dns_rr_t *rr);

/*
 * Appends the OPT record (RFC 6891 §6.1.2) to the additional section: payload size, DO flag
 * (OE_DNS_OPT_DO in `flags`), version 0, the extended RCODE bits, the raw `options`, and, when
 * `pad_block` > 0, a Padding option (RFC 7830) sized so the whole message is a multiple of
 * `pad_block` octets (RFC 8467 recommends 128 for queries, 468 for responses). Write it after every
 * other record except TSIG.
 */
int oe_dns_write_opt(oe_dns_writer_t *w, uint16_t udp_size, uint16_t flags, oe_slice_t options,
                     size_t pad_block);

/* Writes the counts and RCODE into the header; *len gets the message length. Returns w->err. */
int oe_dns_writer_finish(oe_dns_writer_t *w, size_t *len);

/* Options for oe_dns_build_query(). */
typedef struct oe_dns_query_opts {
    uint16_t flags;     /* header flags, e.g. OE_DNS_F_RD */
    uint16_t udp_size;  /* 0: no OPT record */
    bool dnssec_ok;     /* DO bit (needs udp_size) */
    uint16_t pad_block; /* 0: no padding; else RFC 7830 padding to this block size */
} oe_dns_query_opts_t;

/* Builds a one-question query (class IN) into buf. `id` must come from a good random source
 * (RFC 5452). Returns 0 with *len set, or OE_ESPACE / OE_EFORMAT / OE_EINVAL. */
int oe_dns_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, oe_dns_name_t qname,
                       uint16_t qtype, const oe_dns_query_opts_t *opts);

#endif
