/*
 * DNS wire format (RFC 1035 §4): constants, names and a strict, zero-copy message reader.
 *
 * Nothing here does I/O or allocates. Every view handed out borrows the caller's message bytes and
 * stays valid as long as those bytes do. oe_dns_msg_parse() validates the whole message once
 * (header, every name including compression pointers, every RR's bounds, the RDATA of types whose
 * RDATA holds names, OPT and TSIG placement, trailing bytes); afterwards the iterator and the name
 * functions only walk what was already checked, and still check bounds on every read.
 */
#ifndef OE_DNS_WIRE_H
#define OE_DNS_WIRE_H

#include "core/oe.h"

#define OE_DNS_HEADER_LEN   12
#define OE_DNS_NAME_MAX     255 /* RFC 1035 §2.3.4: octets of a name in wire form, root included */
#define OE_DNS_LABEL_MAX    63
#define OE_DNS_PTR_HOPS_MAX 64 /* compression pointers followed for one name */

/* RR types (IANA "Resource Record (RR) TYPEs"). */
enum {
    OE_DNS_T_A = 1,
    OE_DNS_T_NS = 2,
    OE_DNS_T_CNAME = 5,
    OE_DNS_T_SOA = 6,
    OE_DNS_T_PTR = 12,
    OE_DNS_T_MX = 15,
    OE_DNS_T_TXT = 16,
    OE_DNS_T_AAAA = 28,
    OE_DNS_T_SRV = 33,
    OE_DNS_T_DNAME = 39,
    OE_DNS_T_OPT = 41,
    OE_DNS_T_SVCB = 64,
    OE_DNS_T_HTTPS = 65,
    OE_DNS_T_TSIG = 250,
    OE_DNS_T_ANY = 255,
};

enum {
    OE_DNS_C_IN = 1,
    OE_DNS_C_NONE = 254, /* RFC 2136 §2.4 */
    OE_DNS_C_ANY = 255,
};

/* Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD) within the second u16. */
#define OE_DNS_F_QR             0x8000
#define OE_DNS_F_AA             0x0400
#define OE_DNS_F_TC             0x0200
#define OE_DNS_F_RD             0x0100
#define OE_DNS_F_RA             0x0080
#define OE_DNS_F_AD             0x0020
#define OE_DNS_F_CD             0x0010
#define OE_DNS_OPCODE(flags)    (((flags) >> 11) & 0xf)
#define OE_DNS_OPCODE_FLAGS(op) ((uint16_t)(((op)&0xf) << 11))
#define OE_DNS_OP_QUERY         0
#define OE_DNS_OP_UPDATE        5

/* RCODEs (RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 6891 §9, RFC 8945 §4.3). Values above 15 need an
 * OPT record (or, for the TSIG ones, live in the TSIG RR's error field). */
enum {
    OE_DNS_R_NOERROR = 0,
    OE_DNS_R_FORMERR = 1,
    OE_DNS_R_SERVFAIL = 2,
    OE_DNS_R_NXDOMAIN = 3,
    OE_DNS_R_NOTIMP = 4,
    OE_DNS_R_REFUSED = 5,
    OE_DNS_R_YXDOMAIN = 6,
    OE_DNS_R_YXRRSET = 7,
    OE_DNS_R_NXRRSET = 8,
    OE_DNS_R_NOTAUTH = 9,
    OE_DNS_R_NOTZONE = 10,
    OE_DNS_R_BADVERS = 16, /* also BADSIG in TSIG context */
    OE_DNS_R_BADSIG = 16,
    OE_DNS_R_BADKEY = 17,
    OE_DNS_R_BADTIME = 18,
    OE_DNS_R_BADTRUNC = 22,
};

/* EDNS(0) option codes. */
#define OE_DNS_EDNS_COOKIE  10
#define OE_DNS_EDNS_PADDING 12 /* RFC 7830 */

/* Message sections. In an UPDATE (RFC 2136 §2) they are zone, prerequisite, update, additional. */
typedef enum oe_dns_section {
    OE_DNS_SEC_QUESTION = 0,
    OE_DNS_SEC_ANSWER = 1,
    OE_DNS_SEC_AUTHORITY = 2,
    OE_DNS_SEC_ADDITIONAL = 3,
    OE_DNS_SEC_ALL = 4, /* iterator only: answer, authority and additional in order */
} oe_dns_section_t;

/* Errors of this module beyond core/oe.h (OE_ERR_BASE + 500 .. 599 is reserved for modules/dns).
 * oe_dns_strerror() names them. */
#define OE_DNS_ERR_BASE  (OE_ERR_BASE + 500)
#define OE_DNS_EBADKEY   (-(OE_DNS_ERR_BASE + 1)) /* TSIG: server does not know our key */
#define OE_DNS_EBADSIG   (-(OE_DNS_ERR_BASE + 2)) /* TSIG: server says our MAC is wrong */
#define OE_DNS_EBADTIME  (-(OE_DNS_ERR_BASE + 3)) /* TSIG: clocks differ by more than the fudge */
#define OE_DNS_ETSIG     (-(OE_DNS_ERR_BASE + 4)) /* TSIG: another TSIG error (e.g. BADTRUNC) */
#define OE_DNS_EUNSIGNED (-(OE_DNS_ERR_BASE + 5)) /* TSIG: response carries no TSIG */
#define OE_DNS_EMAC      (-(OE_DNS_ERR_BASE + 6)) /* TSIG: response MAC does not verify */

/* A human-readable message for the codes above, or oe_strerror(err). Never NULL. */
const char *oe_dns_strerror(int err);

/*
 * A domain name: a borrowed reference to a name at byte offset `off` of `msg`. In a parsed message
 * it may contain compression pointers into `msg`; a stand-alone uncompressed name is simply
 * {name bytes, 0}. Valid as long as the bytes of `msg` are.
 */
typedef struct oe_dns_name {
    oe_slice_t msg;
    size_t off;
} oe_dns_name_t;

/* An uncompressed wire-format name (borrowed). */
static inline oe_dns_name_t oe_dns_name_wire(const uint8_t *wire, size_t len)
{
    return (oe_dns_name_t){OE_SLICE(wire, len), 0};
}

/*
 * Checks the name at msg[off] (RFC 1035 §3.1, §4.1.4): labels of at most 63 octets, no label type
 * other than 00 and 11, at most 255 octets once decompressed. A compression pointer must point
 * strictly before the start of the name it continues (so every hop goes backwards and loops are
 * impossible); `allow_ptr` false rejects pointers (names that RFCs require uncompressed, e.g. in
 * SVCB RDATA and TSIG). On success *end (optional) is the offset just after the name's bytes at
 * `off` and *wire_len (optional) its decompressed length. Returns 0, OE_ETRUNC or OE_EFORMAT.
 */
int oe_dns_name_check(oe_slice_t msg, size_t off, bool allow_ptr, size_t *end, size_t *wire_len);

/* Copies the decompressed name into out (OE_DNS_NAME_MAX bytes). Returns its length (>= 1) or
 * OE_ETRUNC / OE_EFORMAT. Labels keep their case. */
int oe_dns_name_unpack(oe_dns_name_t name, uint8_t out[OE_DNS_NAME_MAX]);

/* Case-insensitive (ASCII only, RFC 4343) equality of two names; false if either is malformed. */
bool oe_dns_name_eq(oe_dns_name_t a, oe_dns_name_t b);

/* True if `name` equals `zone` or lies below it (case-insensitive); false if malformed. */
bool oe_dns_name_is_under(oe_dns_name_t name, oe_dns_name_t zone);

/*
 * Writes the presentation form ("www.example.", root is ".") NUL-terminated into out. Octets
 * outside 0x21..0x7e are written \DDD; '.', '\\', '"', '(', ')', ';', '@' and '$' get a backslash
 * (RFC 1035 §5.1, RFC 4343 §2.1). Returns the length without the NUL, or OE_ESPACE (out holds at
 * most 4*255+1 bytes for any name), OE_ETRUNC, OE_EFORMAT.
 */
#define OE_DNS_NAME_TEXT_MAX (4 * OE_DNS_NAME_MAX + 2)
int oe_dns_name_to_text(oe_dns_name_t name, char *out, size_t cap);

/*
 * Parses a presentation-format name (text[0..len), with \X and \DDD escapes) into uncompressed wire
 * form in out (OE_DNS_NAME_MAX bytes). The name is taken as absolute whether or not it ends in a
 * dot; "." and "@"-free input only (there is no origin). Returns the wire length, OE_EFORMAT
 * (empty label, label > 63, name > 255, bad escape) or OE_EINVAL (empty text).
 */
int oe_dns_name_from_text(const char *text, size_t len, uint8_t out[OE_DNS_NAME_MAX]);

/* The fixed header (RFC 1035 §4.1.1). */
typedef struct oe_dns_header {
    uint16_t id;
    uint16_t flags;    /* QR, opcode, AA, TC, RD, RA, Z, AD, CD, and the low 4 bits of RCODE */
    uint16_t count[4]; /* QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (zone, prereq, update, additional) */
} oe_dns_header_t;

/* The EDNS(0) OPT pseudo-RR (RFC 6891 §6.1.2-6.1.3). */
typedef struct oe_dns_opt {
    uint16_t udp_size; /* requestor's payload size (the CLASS field) */
    uint8_t ext_rcode; /* upper 8 bits of the 12-bit RCODE */
    uint8_t version;
    uint16_t flags;     /* DO is 0x8000 */
    oe_slice_t options; /* the raw RDATA: {u16 code, u16 len, value}*, validated */
} oe_dns_opt_t;
#define OE_DNS_OPT_DO 0x8000

/* One resource record (or, in the question section, one question: ttl 0 and empty rdata). */
typedef struct oe_dns_rr {
    oe_dns_name_t name;
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    oe_slice_t rdata;
    /* Names inside rdata may point into the whole message: they are resolved as
     * (oe_dns_name_t){msg, rdata_off + i}. For a stand-alone RDATA use msg = rdata, rdata_off 0. */
    oe_slice_t msg;
    size_t rdata_off;
    oe_dns_section_t section;
} oe_dns_rr_t;

/* A parsed message: borrowed views into `wire`, valid as long as its bytes are. */
typedef struct oe_dns_msg {
    oe_slice_t wire;
    oe_dns_header_t hdr;
    size_t sec_off[4]; /* offset of the first entry of each section */
    uint16_t rcode;    /* 12-bit RCODE: header bits plus OPT's extended bits */
    bool has_opt;
    oe_dns_opt_t opt;
    bool has_tsig;   /* a TSIG RR ends the additional section */
    size_t tsig_off; /* offset of the TSIG RR (its owner name) when has_tsig */
} oe_dns_msg_t;

/*
 * Parses and validates a whole message. Rules beyond the field bounds: the counts must match the
 * content exactly (OE_ETRUNC when records are missing, OE_ETRAILING when bytes follow the last
 * one); OPT only in the additional section, at most once, owner root (RFC 6891 §6.1.1); TSIG only
 * as the last record of the additional section, class ANY (RFC 8945 §5.1); RDATA of A, AAAA, NS,
 * CNAME, PTR, DNAME, MX, SOA and SRV must have exactly their form (names may be compressed).
 * Returns 0, OE_ETRUNC, OE_EFORMAT or OE_ETRAILING; *m is only meaningful on success.
 */
int oe_dns_msg_parse(oe_dns_msg_t *m, oe_slice_t wire);

/* The first question (the usual case: QDCOUNT 1). Returns 0 or OE_EFORMAT when QDCOUNT is 0. */
int oe_dns_msg_question(const oe_dns_msg_t *m, oe_dns_rr_t *q);

/* Iterates the entries of one section (or OE_DNS_SEC_ALL: answer, authority, additional). The
 * message must outlive the iterator. */
typedef struct oe_dns_iter {
    const oe_dns_msg_t *m;
    size_t off;
    unsigned section, last_section;
    unsigned left; /* entries left in the current section */
} oe_dns_iter_t;

void oe_dns_iter_init(oe_dns_iter_t *it, const oe_dns_msg_t *m, oe_dns_section_t section);
/* Returns 1 and fills *rr, 0 at the end, or a negative error for a message that was not parsed by
 * oe_dns_msg_parse(). OPT and TSIG records are returned like any other. */
int oe_dns_iter_next(oe_dns_iter_t *it, oe_dns_rr_t *rr);

/* The rdata of the first answer record of type whose rdata is exactly rdlen bytes (an address:
 * A 4, AAAA 16), borrowed from answer: 1, 0 when there is none, or OE_ETRUNC / OE_EFORMAT for a
 * malformed message. */
int oe_dns_first_answer(oe_slice_t answer, uint16_t type, size_t rdlen, oe_slice_t *rdata);

/* Iterates EDNS options (validated by oe_dns_msg_parse): pass &copy_of_opt.options; returns 1 with
 * *code and *value set, 0 at the end, OE_ETRUNC on a malformed list. */
int oe_dns_opt_next(oe_slice_t *options, uint16_t *code, oe_slice_t *value);

/*
 * Reads one RR (or, with `question` true, one question) at *off of msg and advances *off. Bounds
 * are checked; RDATA content is not (oe_dns_rdata_check does that). Returns 0, OE_ETRUNC,
 * OE_EFORMAT.
 */
int oe_dns_rr_read(oe_slice_t msg, size_t *off, bool question, oe_dns_rr_t *rr);

/* Checks that rr's RDATA has the exact form of its type for the types listed at
 * oe_dns_msg_parse(); other types are accepted as opaque. Returns 0, OE_ETRUNC, OE_EFORMAT,
 * OE_ETRAILING. */
int oe_dns_rdata_check(const oe_dns_rr_t *rr);

#endif
