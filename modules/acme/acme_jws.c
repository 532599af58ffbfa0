/* JWS, JWK and thumbprints for ACME: see acme_jws.h. */
#include <stdlib.h>

#include "acme/acme_json.h"
#include "acme/acme_jws.h"
#include "crypto/crypto.h"
#include "crypto/encode.h"

static void append_b64url(oe_buf_t *b, const uint8_t *p, size_t n)
{
    size_t len = OE_BASE64URL_LEN(n);
    oe_buf_reserve(b, len + 1);
    oe_base64url_encode((char *)b->base + b->len, len + 1, p, n);
    b->len += len;
}

void oe_acme_jwk(oe_buf_t *b, const oe_acme_key_t *k)
{
    if (k->alg == OE_ACME_RS256) {
        oe_buf_t n = {0}, e = {0};
        oe_crypto_rsa_public(k->rsa, &n, &e);
        oe_buf_printf(b, "{\"e\":\"");
        append_b64url(b, e.base, e.len);
        oe_buf_printf(b, "\",\"kty\":\"RSA\",\"n\":\"");
        append_b64url(b, n.base, n.len);
        oe_buf_printf(b, "\"}");
        oe_buf_free(&n);
        oe_buf_free(&e);
        return;
    }
    oe_buf_printf(b, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
    append_b64url(b, k->ec.pub + 1, 32);
    oe_buf_printf(b, "\",\"y\":\"");
    append_b64url(b, k->ec.pub + 33, 32);
    oe_buf_printf(b, "\"}");
}

void oe_acme_thumbprint_of(char out[OE_ACME_THUMBPRINT_LEN + 1], oe_slice_t canonical_jwk)
{
    uint8_t h[OE_CRYPTO_SHA256_LEN];
    oe_crypto_sha256(h, canonical_jwk.base, canonical_jwk.len);
    oe_base64url_encode(out, OE_ACME_THUMBPRINT_LEN + 1, h, sizeof(h));
}

void oe_acme_thumbprint(char out[OE_ACME_THUMBPRINT_LEN + 1], const oe_acme_key_t *k)
{
    oe_buf_t jwk = {0};
    oe_acme_jwk(&jwk, k);
    oe_acme_thumbprint_of(out, OE_SLICE(jwk.base, jwk.len));
    oe_buf_free(&jwk);
}

char *oe_acme_key_authorization(const char *token, const oe_acme_key_t *k)
{
    char t[OE_ACME_THUMBPRINT_LEN + 1];
    oe_acme_thumbprint(t, k);
    return oe_asprintf("%s.%s", token, t);
}

int oe_acme_jws(oe_buf_t *out, const oe_acme_key_t *k, const char *kid, const char *nonce,
                const char *url, oe_slice_t payload)
{
    oe_buf_t prot = {0}, input = {0};
    uint8_t sig[512];
    int siglen = OE_CRYPTO_P256_SIG_LEN;
    oe_buf_printf(&prot, "{\"alg\":\"%s\",", k->alg == OE_ACME_RS256 ? "RS256" : "ES256");
    if (kid == NULL) {
        oe_buf_printf(&prot, "\"jwk\":");
        oe_acme_jwk(&prot, k);
    } else {
        oe_buf_printf(&prot, "\"kid\":");
        oe_acme_json_append_string(&prot, kid);
    }
    oe_buf_printf(&prot, ",\"nonce\":");
    oe_acme_json_append_string(&prot, nonce);
    oe_buf_printf(&prot, ",\"url\":");
    oe_acme_json_append_string(&prot, url);
    oe_buf_printf(&prot, "}");
    /* RFC 7515 §5.1: the signing input is ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
    append_b64url(&input, prot.base, prot.len);
    oe_buf_append(&input, ".", 1);
    size_t payload_at = input.len;
    if (payload.base != NULL)
        append_b64url(&input, payload.base, payload.len);
    int rc;
    if (k->alg == OE_ACME_RS256) {
        siglen = oe_crypto_rsa_sign(k->rsa, input.base, input.len, sig, sizeof(sig));
        rc = siglen > 0 ? OE_OK : OE_ECRYPTO;
    } else {
        rc = oe_crypto_p256_sign(&k->ec, input.base, input.len, sig);
    }
    if (rc == OE_OK) {
        oe_buf_printf(out, "{\"protected\":\"%.*s\",\"payload\":\"%.*s\",\"signature\":\"",
                      (int)(payload_at - 1), (const char *)input.base,
                      (int)(input.len - payload_at), (const char *)input.base + payload_at);
        append_b64url(out, sig, (size_t)siglen);
        oe_buf_printf(out, "\"}");
    } else {
        rc = OE_ECRYPTO;
    }
    oe_buf_free(&prot);
    oe_buf_free(&input);
    return rc;
}
