/*
 * Oblivious DoH (RFC 9230) configs and messages, over modules/hpke. No I/O, no heap.
 *
 * Client:  oe_odoh_configs_decode -> oe_odoh_query_seal (keeps an oe_odoh_txn_t)
 *          -> ... -> oe_odoh_response_open(txn)
 * Target:  oe_odoh_query_open(keys) -> DNS query + oe_odoh_txn_t -> resolve
 *          -> oe_odoh_response_seal(txn)
 *
 * Errors are the negative OE_E* codes of core/oe.h. For a target, OE_EKEYID (no key with the
 * query's key_id) means HTTP 401 so that the client re-fetches the configs (RFC 9230 §4.3); every
 * other failure to open a query means 400.
 */
#ifndef OE_ODOH_ODOH_H
#define OE_ODOH_ODOH_H

#include "core/oe.h"
#include "hpke/hpke.h"

#define OE_ODOH_VERSION      0x0001
#define OE_ODOH_MSG_QUERY    0x01
#define OE_ODOH_MSG_RESPONSE 0x02
#define OE_ODOH_KEY_ID_LEN   OE_HPKE_NH
/* Serialized ObliviousDoHConfigContents for an X25519 key, and ObliviousDoHConfig around it. */
#define OE_ODOH_CONTENTS_LEN (8 + OE_HPKE_NPK)
#define OE_ODOH_CONFIG_LEN   (4 + OE_ODOH_CONTENTS_LEN)
/* Response nonce length max(Nn, Nk) for the largest AEAD (RFC 9230 §6.2). */
#define OE_ODOH_RESPONSE_NONCE_MAX OE_HPKE_NK_MAX
/* Default padding blocks (RFC 8467 §4.1 block-length padding: 128 for queries, 468 for
 * responses). */
#define OE_ODOH_PAD_QUERY_BLOCK    128
#define OE_ODOH_PAD_RESPONSE_BLOCK 468
/* The largest DNS message plus padding that fits a sealed message: encrypted_message is a
 * 16-bit length (RFC 9230 §6.1) holding u16 len | dns | u16 padlen | padding | AEAD tag. */
#define OE_ODOH_PLAINTEXT_DNS_MAX (0xffff - 4 - OE_HPKE_NT)

/* One usable ObliviousDoHConfig: its suite and public key, and the key_id derived from them. */
typedef struct oe_odoh_config {
    oe_hpke_suite_t suite;
    uint8_t pk[OE_HPKE_NPK];
    uint8_t key_id[OE_ODOH_KEY_ID_LEN];
} oe_odoh_config_t;

/* Fills cfg from a suite and a public key and derives its key_id. OE_EUNSUPPORTED for a suite
 * ODoH cannot use with this module (including export-only), OE_EFORMAT for a bad key length. */
int oe_odoh_config_init(oe_odoh_config_t *cfg, const oe_hpke_suite_t *suite, const uint8_t *pk,
                        size_t pk_len);

/* key_id = Expand(Extract("", contents), "odoh key id", Nh) over serialized contents (RFC 9230
 * §5). */
int oe_odoh_key_id(uint8_t key_id[OE_ODOH_KEY_ID_LEN], const uint8_t *contents, size_t len);

/* Encoders return the byte count written, or OE_ESPACE / OE_EINVAL. */
int oe_odoh_contents_encode(uint8_t *out, size_t cap, const oe_odoh_config_t *cfg);
/* The whole ObliviousDoHConfigs (with its u16 length), the form served at
 * /.well-known/odohconfigs and published in SvcParamKey 32769. n >= 1. */
int oe_odoh_configs_encode(uint8_t *out, size_t cap, const oe_odoh_config_t *cfgs, size_t n);

/* Decodes one ObliviousDoHConfigContents (exactly len bytes). OE_ETRUNC, OE_ETRAILING,
 * OE_EFORMAT (key length wrong for the KEM), OE_EUNSUPPORTED (suite). */
int oe_odoh_contents_decode(oe_odoh_config_t *cfg, const uint8_t *in, size_t len);

/* Decodes ObliviousDoHConfigs (RFC 9230 §5), in[0..len) exactly. Configs with another version,
 * a suite we do not support or a malformed key are skipped, not fatal, so one new config cannot
 * make a client unable to use the rest. The structure itself must be exact: OE_ETRUNC when a
 * length runs past its container, OE_EFORMAT when lengths disagree (a config's length against its
 * contents, or an empty list), OE_ETRAILING for bytes after the list. Returns the number of usable
 * configs (possibly 0, possibly more than cap); the first min(count, cap) are stored in out. */
int oe_odoh_configs_decode(const uint8_t *in, size_t len, oe_odoh_config_t *out, size_t cap);

/* ObliviousDoHMessage (RFC 9230 §6.1); the slices borrow from the decoded input. */
typedef struct oe_odoh_message {
    uint8_t type;
    oe_slice_t key_id;    /* queries: the key_id; responses: the response nonce */
    oe_slice_t encrypted; /* never empty */
} oe_odoh_message_t;

/* Exactly len bytes: OE_ETRUNC, OE_ETRAILING, OE_EFORMAT (unknown type, empty encrypted part). */
int oe_odoh_message_decode(oe_odoh_message_t *m, const uint8_t *in, size_t len);
int oe_odoh_message_encode(uint8_t *out, size_t cap, uint8_t type, oe_slice_t key_id,
                           oe_slice_t encrypted);

/* ObliviousDoHMessagePlaintext (RFC 9230 §6.1): u16 len | dns | u16 padlen | zeros.
 * encode: dns_len >= 1. decode: *dns borrows from in; OE_EFORMAT for non-zero padding (checked
 * in constant time) or an empty DNS message. */
int oe_odoh_plaintext_encode(uint8_t *out, size_t cap, oe_slice_t dns, size_t padlen);
int oe_odoh_plaintext_decode(oe_slice_t *dns, const uint8_t *in, size_t len);

/* The padding policy for what we send: the padlen that brings dns_len up to a multiple of block
 * (0 when it already is one; block 0 or 1 means no padding), but never past
 * OE_ODOH_PLAINTEXT_DNS_MAX: a large answer is padded up to the limit and no further. 0 when
 * dns_len itself is over the limit (such a message cannot be sealed at all). */
size_t oe_odoh_pad_len(size_t dns_len, size_t block);

/* A target key: the config it publishes and its private key. Secret: wipe when done. */
typedef struct oe_odoh_key {
    oe_odoh_config_t config;
    oe_hpke_keypair_t kp;
} oe_odoh_key_t;

/* DeriveKeyPair(seed) for the given AEAD with DHKEM(X25519) and HKDF-SHA256. */
int oe_odoh_key_from_seed(oe_odoh_key_t *key, uint16_t aead, const uint8_t *seed, size_t len);
int oe_odoh_key_generate(oe_odoh_key_t *key, uint16_t aead, oe_hpke_rng_fn rng, void *rng_arg);
void oe_odoh_key_wipe(oe_odoh_key_t *key);

/* The key whose key_id equals id, or NULL. Compares every key in constant time (no early exit),
 * so the timing does not reveal which key matched. keys is borrowed for the call. */
const oe_odoh_key_t *oe_odoh_key_find(const oe_odoh_key_t *keys, size_t n, oe_slice_t id);

/* State of one transaction, held by the client between query and answer and by the target
 * between opening the query and sealing the answer: the exported response secret and the query
 * plaintext, absorbed as the response-key salt (RFC 9230 §6.2). Fixed size, no pointers; may be
 * copied. Secret: wipe with oe_odoh_txn_wipe. */
typedef struct oe_odoh_txn {
    oe_hpke_suite_t suite;
    uint8_t secret[OE_HPKE_NK_MAX];
    oe_crypto_salt_t q_plain;
} oe_odoh_txn_t;
void oe_odoh_txn_wipe(oe_odoh_txn_t *txn);

/* Client: seals a DNS query with padlen zero bytes of padding to cfg into out, a complete
 * ObliviousDoHMessage, returning its length; fills *txn. Output size is
 * 1 + 2 + Nh + 2 + Nenc + 4 + dns_len + padlen + Nt. */
int oe_odoh_query_seal(uint8_t *out, size_t cap, oe_odoh_txn_t *txn, const oe_odoh_config_t *cfg,
                       oe_slice_t dns, size_t padlen, oe_hpke_rng_fn rng, void *rng_arg);
/* Same with the ephemeral key DeriveKeyPair(ikmE): tests only. */
int oe_odoh_query_seal_derand(uint8_t *out, size_t cap, oe_odoh_txn_t *txn,
                              const oe_odoh_config_t *cfg, oe_slice_t dns, size_t padlen,
                              const uint8_t *ikmE, size_t ikmE_len);

/* Target: opens a query message with whichever of keys[0..n) its key_id names. The plaintext is
 * written to plain, which must not overlap msg (cap >= len is always enough), and *dns points
 * into it (valid while plain is); *txn is
 * filled for the answer. Errors: OE_EKEYID (no such key: HTTP 401); OE_ETRUNC, OE_ETRAILING,
 * OE_EFORMAT (structure, wrong message type, non-zero padding), OE_EAUTH, OE_ECRYPTO (small-order
 * enc), OE_ESPACE: HTTP 400. */
int oe_odoh_query_open(const oe_odoh_key_t *keys, size_t n, const uint8_t *msg, size_t len,
                       uint8_t *plain, size_t cap, oe_slice_t *dns, oe_odoh_txn_t *txn);

/* Target: seals a DNS answer with padlen bytes of padding under txn, with a fresh response nonce,
 * into out (a complete ObliviousDoHMessage); returns its length:
 * 1 + 2 + max(Nn, Nk) + 2 + 4 + dns_len + padlen + Nt. txn is not modified. */
int oe_odoh_response_seal(uint8_t *out, size_t cap, const oe_odoh_txn_t *txn, oe_slice_t dns,
                          size_t padlen, oe_hpke_rng_fn rng, void *rng_arg);
/* Same with a given nonce of max(Nn, Nk) bytes: tests only (a repeated nonce with the same query
 * repeats the key and AEAD nonce). */
int oe_odoh_response_seal_nonce(uint8_t *out, size_t cap, const oe_odoh_txn_t *txn, oe_slice_t dns,
                                size_t padlen, oe_slice_t nonce);

/* Client: opens a response message under txn; plaintext into plain, *dns points into it. Errors:
 * OE_ETRUNC, OE_ETRAILING, OE_EFORMAT (wrong type, nonce length, padding), OE_EAUTH, OE_ESPACE. */
int oe_odoh_response_open(const oe_odoh_txn_t *txn, const uint8_t *msg, size_t len, uint8_t *plain,
                          size_t cap, oe_slice_t *dns);

#endif
