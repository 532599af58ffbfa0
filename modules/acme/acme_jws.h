/*
 * JSON Web Signatures for ACME (RFC 8555 §6.2, RFC 7515 flattened JSON serialization) with an
 * ECDSA P-256 account key (ES256, RFC 7518 §3.4) or an RSA one (RS256, §3.3), the key's JWK
 * (RFC 7517) and its thumbprint (RFC 7638), and the key authorization of challenges (RFC 8555
 * §8.1). No I/O.
 */
#ifndef OE_ACME_JWS_H
#define OE_ACME_JWS_H

#include "core/oe.h"
#include "crypto/ecdsa.h"
#include "crypto/rsa.h"

/* An account key: ES256 (ec) or RS256 (rsa, owned). */
typedef enum { OE_ACME_ES256 = 0, OE_ACME_RS256 } oe_acme_alg_t;
typedef struct oe_acme_key {
    oe_acme_alg_t alg;
    oe_crypto_p256_key_t ec;
    oe_crypto_rsa_key_t *rsa;
} oe_acme_key_t;

/* base64url of a SHA-256 digest: 43 characters. */
#define OE_ACME_THUMBPRINT_LEN 43

/* The public JWK of k in the canonical form of RFC 7638 §3.2 (members in lexicographic order, no
 * white space): {"crv":"P-256","kty":"EC","x":"...","y":"..."} or {"e":"...","kty":"RSA",
 * "n":"..."}. Appended to b. */
void oe_acme_jwk(oe_buf_t *b, const oe_acme_key_t *k);

/* base64url(SHA-256(canonical_jwk)) into out (NUL-terminated), for any canonical JWK text. */
void oe_acme_thumbprint_of(char out[OE_ACME_THUMBPRINT_LEN + 1], oe_slice_t canonical_jwk);
/* The thumbprint of k's JWK. */
void oe_acme_thumbprint(char out[OE_ACME_THUMBPRINT_LEN + 1], const oe_acme_key_t *k);

/* keyAuthorization = token || '.' || base64url(Thumbprint(accountKey)) (RFC 8555 §8.1), as a heap
 * string the caller frees. */
char *oe_acme_key_authorization(const char *token, const oe_acme_key_t *k);

/* A JWS for an ACME POST to url: protected header {"alg":"ES256" (or "RS256"), then "jwk" (k's JWK)
 * when kid is NULL, else "kid", then "nonce", "url"}, payload base64url(payload) (empty for
 * POST-as-GET: payload.base NULL), ES256 signature. Appended to out as flattened JSON. nonce and
 * url are inserted as JSON strings. OE_OK or OE_ECRYPTO. */
int oe_acme_jws(oe_buf_t *out, const oe_acme_key_t *k, const char *kid, const char *nonce,
                const char *url, oe_slice_t payload);

#endif
