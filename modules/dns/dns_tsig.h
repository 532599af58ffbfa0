/*
 * TSIG (RFC 8945) with HMAC-SHA256 only: sign a request, verify a response (or a request). The
 * only file of modules/dns that includes mbedtls headers is dns_tsig.c.
 */
#ifndef OE_DNS_TSIG_H
#define OE_DNS_TSIG_H

#include "dns/dns_wire.h"

#define OE_DNS_TSIG_MAC_LEN    32  /* HMAC-SHA256, untruncated */
#define OE_DNS_TSIG_FUDGE      300 /* RFC 8945 §10 recommends 300 s */
#define OE_DNS_TSIG_SECRET_MAX 128

/* A key. The secret is wiped by oe_dns_tsig_key_wipe(); the struct owns no heap memory. */
typedef struct oe_dns_tsig_key {
    uint8_t name[OE_DNS_NAME_MAX]; /* wire form, lower-cased (canonical, RFC 8945 §4.3.3) */
    size_t name_len;
    uint8_t secret[OE_DNS_TSIG_SECRET_MAX];
    size_t secret_len;
} oe_dns_tsig_key_t;

/* Sets up a key from its name ("update-key." or "update-key") and base64 secret (the form of
 * BIND's and Knot's key files). Returns 0, or OE_EFORMAT with a message in err. */
int oe_dns_tsig_key_init(oe_dns_tsig_key_t *key, const char *name, const char *secret_b64,
                         char *err, size_t errcap);
void oe_dns_tsig_key_wipe(oe_dns_tsig_key_t *key);

/*
 * Signs the message buf[0..*len) in place (RFC 8945 §4.3, §5.1): computes the MAC over
 * [u16 len(req_mac) | req_mac] (only when signing a response, req_mac != NULL) | the message as
 * it is | the TSIG variables (key name, class ANY, TTL 0, algorithm "hmac-sha256.", time signed
 * `now` (48 bits), `fudge`, error 0, no other data), appends the TSIG RR (uncompressed names,
 * original ID = the message's ID) and increments ARCOUNT. mac_out (32 octets, optional) receives
 * the MAC, which the caller keeps to verify the response. Returns 0, OE_ESPACE (buf unchanged),
 * OE_ETRUNC (not a message), OE_ECRYPTO.
 */
int oe_dns_tsig_sign(uint8_t *buf, size_t *len, size_t cap, const oe_dns_tsig_key_t *key,
                     uint64_t now, uint16_t fudge, const uint8_t *req_mac, size_t req_mac_len,
                     uint8_t mac_out[OE_DNS_TSIG_MAC_LEN]);

/*
 * Verifies the TSIG of a parsed message (RFC 8945 §5.3 for responses: pass the MAC of our request;
 * §5.2 for requests: req_mac NULL). Returns:
 *   0                  MAC verifies, time within fudge, error field NOERROR
 *   OE_DNS_EUNSIGNED   no TSIG record
 *   OE_DNS_EBADKEY     the server answered BADKEY, or the record names another key or algorithm
 *   OE_DNS_EBADSIG     the server answered BADSIG (it could not verify our request)
 *   OE_DNS_EBADTIME    the server answered BADTIME (with a valid MAC), or the signed time is more
 *                      than fudge seconds from `now`
 *   OE_DNS_ETSIG       another error in the TSIG error field (e.g. BADTRUNC)
 *   OE_DNS_EMAC        the MAC does not verify (or is truncated: not accepted)
 *   OE_EFORMAT / OE_ETRUNC for a malformed TSIG RDATA, OE_ECRYPTO
 * *tsig_error (optional) receives the TSIG error field.
 */
int oe_dns_tsig_verify(const oe_dns_msg_t *m, const oe_dns_tsig_key_t *key, const uint8_t *req_mac,
                       size_t req_mac_len, uint64_t now, uint16_t *tsig_error);

#endif
