/*
 * Oblivious HTTP message encapsulation (RFC 9458 §3, §4) over modules/hpke. No I/O, no heap.
 *
 * Client:   oe_ohttp_configs_decode -> oe_ohttp_request_seal (keeps an oe_ohttp_txn_t)
 *           -> ... -> oe_ohttp_response_open(txn)
 * Gateway:  oe_ohttp_request_open(keys) -> Binary HTTP request + txn -> handle
 *           -> oe_ohttp_response_seal(txn)
 *
 * Errors are the negative OE_E* codes of core/oe.h. For a gateway, OE_EKEYID (no key with the
 * request's key identifier, or the key does not offer the request's KDF/AEAD) and OE_EAUTH (the
 * request does not decrypt) are both answered 400 with the problem type "ohttp-key"
 * (RFC 9458 §5.3, §6.6) so the client fetches the key configurations again; truncated or
 * malformed framing is a plain 400.
 */
#ifndef OE_OHTTP_OHTTP_H
#define OE_OHTTP_OHTTP_H

#include "core/oe.h"
#include "hpke/hpke.h"

#define OE_OHTTP_MEDIA_KEYS  "application/ohttp-keys"
#define OE_OHTTP_MEDIA_REQ   "message/ohttp-req"
#define OE_OHTTP_MEDIA_RES   "message/ohttp-res"
#define OE_OHTTP_PROBLEM_KEY "https://iana.org/assignments/http-problem-types#ohttp-key"

/* hdr = key_id(8) kem(16) kdf(16) aead(16) (RFC 9458 §4.3). */
#define OE_OHTTP_HDR_LEN 7
/* The encapsulated request's overhead for this KEM: hdr, enc, tag. */
#define OE_OHTTP_REQUEST_OVERHEAD (OE_OHTTP_HDR_LEN + OE_HPKE_NENC + OE_HPKE_NT)
/* The response nonce is max(Nn, Nk) bytes (§4.4); the largest over our AEADs. */
#define OE_OHTTP_RESPONSE_NONCE_MAX OE_HPKE_NK_MAX
#define OE_OHTTP_RESPONSE_OVERHEAD  (OE_OHTTP_RESPONSE_NONCE_MAX + OE_HPKE_NT)
/* A key configuration with one symmetric algorithm: id, kem, pk, u16 length, kdf, aead. */
#define OE_OHTTP_CONFIG_LEN (1 + 2 + OE_HPKE_NPK + 2 + 4)

/* One key configuration as a client uses it: the key identifier, the suite it chose among the
 * symmetric algorithms offered, the public key. */
typedef struct oe_ohttp_config {
    uint8_t key_id;
    oe_hpke_suite_t suite;
    uint8_t pk[OE_HPKE_NPK];
} oe_ohttp_config_t;

/* A gateway key: identifier, suite (one symmetric algorithm) and key pair. Secret: wipe. */
typedef struct oe_ohttp_key {
    uint8_t key_id;
    oe_hpke_suite_t suite;
    oe_hpke_keypair_t kp;
} oe_ohttp_key_t;

/* DeriveKeyPair(ikm) for DHKEM(X25519), HKDF-SHA256 and the given AEAD. */
int oe_ohttp_key_from_seed(oe_ohttp_key_t *key, uint8_t key_id, uint16_t aead, const uint8_t *ikm,
                           size_t len);
void oe_ohttp_key_wipe(oe_ohttp_key_t *key);

/* One key configuration (§3.1) of a gateway key; returns OE_OHTTP_CONFIG_LEN or OE_ESPACE. */
int oe_ohttp_config_encode(uint8_t *out, size_t cap, const oe_ohttp_key_t *key);
/* application/ohttp-keys (§3.2): each configuration prefixed by its u16 length. n >= 1. */
int oe_ohttp_configs_encode(uint8_t *out, size_t cap, const oe_ohttp_key_t *keys, size_t n);

/* Decodes one key configuration (exactly len bytes): the first symmetric algorithm we support
 * is chosen. OE_ETRUNC, OE_ETRAILING, OE_EFORMAT (symmetric list length odd or zero, key length
 * for the KEM), OE_EUNSUPPORTED (KEM, or no usable symmetric algorithm). */
int oe_ohttp_config_decode(oe_ohttp_config_t *cfg, const uint8_t *in, size_t len);
/* Decodes application/ohttp-keys, in[0..len) exactly. Configurations we cannot use are skipped;
 * the list structure must be exact (OE_ETRUNC, OE_EFORMAT for an empty list or a configuration
 * whose own lengths disagree with its prefix). Returns the number of usable configurations; the
 * first min(count, cap) go to out. */
int oe_ohttp_configs_decode(const uint8_t *in, size_t len, oe_ohttp_config_t *out, size_t cap);

/* State of one exchange, held by the client from sealing to opening the response and by the
 * gateway from opening the request to sealing the response: the suite, enc and the exported
 * response secret (§4.4). Fixed size, no pointers. Secret: wipe with oe_ohttp_txn_wipe. */
typedef struct oe_ohttp_txn {
    oe_hpke_suite_t suite;
    uint8_t enc[OE_HPKE_NENC];
    uint8_t secret[OE_OHTTP_RESPONSE_NONCE_MAX];
    uint8_t secret_len; /* max(Nn, Nk) */
} oe_ohttp_txn_t;
void oe_ohttp_txn_wipe(oe_ohttp_txn_t *txn);

/* The HPKE info for a request: "message/bhttp request" || 0x00 || hdr (§4.3). Returns its length
 * (at most 64) into out[64]. */
size_t oe_ohttp_request_info(uint8_t out[64], uint8_t key_id, const oe_hpke_suite_t *suite);

/* Client: hdr || enc || Seal(request) to cfg; returns the length
 * (OE_OHTTP_REQUEST_OVERHEAD + req.len) and fills *txn. */
int oe_ohttp_request_seal(uint8_t *out, size_t cap, oe_ohttp_txn_t *txn,
                          const oe_ohttp_config_t *cfg, oe_slice_t req, oe_hpke_rng_fn rng,
                          void *rng_arg);

/* Gateway: opens an encapsulated request with the key its hdr names among keys[0..n) (looked up
 * without an early exit). The plaintext goes to plain (no overlap with msg; cap >= len is
 * enough); returns its length and fills *txn. Errors: OE_ETRUNC (shorter than hdr + enc + tag),
 * OE_EKEYID (no such key, or another suite), OE_EAUTH, OE_ECRYPTO (small-order enc), OE_ESPACE. */
int oe_ohttp_request_open(const oe_ohttp_key_t *keys, size_t n, const uint8_t *msg, size_t len,
                          uint8_t *plain, size_t cap, oe_ohttp_txn_t *txn);

/* Gateway: response_nonce || Seal(key, nonce, "", resp) (§4.4) with a fresh random nonce;
 * returns the length (max(Nn, Nk) + resp.len + Nt). */
int oe_ohttp_response_seal(uint8_t *out, size_t cap, const oe_ohttp_txn_t *txn, oe_slice_t resp,
                           oe_hpke_rng_fn rng, void *rng_arg);
/* Same with a given nonce of max(Nn, Nk) bytes: tests only. */
int oe_ohttp_response_seal_nonce(uint8_t *out, size_t cap, const oe_ohttp_txn_t *txn,
                                 oe_slice_t resp, oe_slice_t nonce);
/* Client: opens an encapsulated response; returns the plaintext length. OE_ETRUNC, OE_EAUTH,
 * OE_ESPACE. */
int oe_ohttp_response_open(const oe_ohttp_txn_t *txn, const uint8_t *msg, size_t len,
                           uint8_t *plain, size_t cap);

/* The AEAD key and nonce of a response (§4.4), exposed for the vector test. */
int oe_ohttp_response_keys(const oe_ohttp_txn_t *txn, oe_slice_t nonce, uint8_t key[OE_HPKE_NK_MAX],
                           uint8_t aead_nonce[OE_HPKE_NN]);

/* Fills txn->secret from an HPKE context (Export("message/bhttp response", max(Nn, Nk))). */
int oe_ohttp_txn_from_ctx(oe_ohttp_txn_t *txn, const oe_hpke_ctx_t *ctx,
                          const uint8_t enc[OE_HPKE_NENC]);

#endif
