/* Oblivious HTTP encapsulation (RFC 9458); see ohttp.h for the contract. */
#include <string.h>

#include "crypto/encode.h"
#include "ohttp/ohttp.h"

static const char label_req[] = "message/bhttp request";
static const char label_res[] = "message/bhttp response";

int oe_ohttp_key_from_seed(oe_ohttp_key_t *key, uint8_t key_id, uint16_t aead, const uint8_t *ikm,
                           size_t len)
{
    memset(key, 0, sizeof(*key));
    key->key_id = key_id;
    key->suite = (oe_hpke_suite_t){OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, aead};
    int rc = aead == OE_HPKE_AEAD_EXPORT_ONLY ? OE_EUNSUPPORTED : oe_hpke_suite_check(&key->suite);
    if (rc == 0)
        rc = oe_hpke_derive_keypair(&key->kp, ikm, len);
    if (rc < 0)
        oe_ohttp_key_wipe(key);
    return rc;
}

void oe_ohttp_key_wipe(oe_ohttp_key_t *key)
{
    oe_wipe(key, sizeof(*key));
}

void oe_ohttp_txn_wipe(oe_ohttp_txn_t *txn)
{
    oe_wipe(txn, sizeof(*txn));
}

/* ---- key configurations (§3) ---------------------------------------------------------------- */

int oe_ohttp_config_encode(uint8_t *out, size_t cap, const oe_ohttp_key_t *key)
{
    if (cap < OE_OHTTP_CONFIG_LEN)
        return OE_ESPACE;
    uint8_t *p = out;
    *p++ = key->key_id;
    p = oe_put16(p, key->suite.kem);
    memcpy(p, key->kp.pk, OE_HPKE_NPK);
    p += OE_HPKE_NPK;
    p = oe_put16(p, 4);
    p = oe_put16(p, key->suite.kdf);
    p = oe_put16(p, key->suite.aead);
    return (int)(p - out);
}

int oe_ohttp_configs_encode(uint8_t *out, size_t cap, const oe_ohttp_key_t *keys, size_t n)
{
    if (n == 0)
        return OE_EINVAL;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (cap - pos < 2 + OE_OHTTP_CONFIG_LEN)
            return OE_ESPACE;
        int len = oe_ohttp_config_encode(out + pos + 2, cap - pos - 2, &keys[i]);
        oe_put16(out + pos, (uint16_t)len);
        pos += 2 + (size_t)len;
    }
    return (int)pos;
}

int oe_ohttp_config_decode(oe_ohttp_config_t *cfg, const uint8_t *in, size_t len)
{
    if (len < 3)
        return OE_ETRUNC;
    uint16_t kem = oe_get16(in + 1);
    if (kem != OE_HPKE_KEM_X25519_SHA256)
        return OE_EUNSUPPORTED; /* Npk unknown: the rest cannot be parsed */
    if (len < 3 + OE_HPKE_NPK + 2)
        return OE_ETRUNC;
    size_t syms = oe_get16(in + 3 + OE_HPKE_NPK), pos = 3 + OE_HPKE_NPK + 2;
    if (syms == 0 || syms % 4 != 0)
        return OE_EFORMAT;
    if (len - pos < syms)
        return OE_ETRUNC;
    if (len - pos > syms)
        return OE_ETRAILING;
    memset(cfg, 0, sizeof(*cfg));
    for (; pos < len; pos += 4) {
        oe_hpke_suite_t s = {kem, oe_get16(in + pos), oe_get16(in + pos + 2)};
        if (cfg->suite.kem == 0 && s.aead != OE_HPKE_AEAD_EXPORT_ONLY &&
            oe_hpke_suite_check(&s) == 0)
            cfg->suite = s;
    }
    if (cfg->suite.kem == 0)
        return OE_EUNSUPPORTED;
    cfg->key_id = in[0];
    memcpy(cfg->pk, in + 3, OE_HPKE_NPK);
    return 0;
}

int oe_ohttp_configs_decode(const uint8_t *in, size_t len, oe_ohttp_config_t *out, size_t cap)
{
    size_t pos = 0;
    int count = 0;
    if (len == 0)
        return OE_EFORMAT;
    while (pos < len) {
        if (len - pos < 2)
            return OE_ETRUNC;
        size_t n = oe_get16(in + pos);
        pos += 2;
        if (len - pos < n)
            return OE_ETRUNC;
        oe_ohttp_config_t c;
        int rc = oe_ohttp_config_decode(&c, in + pos, n);
        if (rc == OE_ETRUNC || rc == OE_ETRAILING || rc == OE_EFORMAT)
            return OE_EFORMAT;
        if (rc == 0) {
            if ((size_t)count < cap)
                out[count] = c;
            count++;
        }
        pos += n;
    }
    return count;
}

/* ---- requests (§4.3) ------------------------------------------------------------------------ */

static void put_hdr(uint8_t *p, uint8_t key_id, const oe_hpke_suite_t *s)
{
    p[0] = key_id;
    oe_put16(p + 1, s->kem);
    oe_put16(p + 3, s->kdf);
    oe_put16(p + 5, s->aead);
}

size_t oe_ohttp_request_info(uint8_t out[64], uint8_t key_id, const oe_hpke_suite_t *suite)
{
    size_t n = sizeof(label_req); /* with its NUL: the 0x00 separator */
    memcpy(out, label_req, n);
    put_hdr(out + n, key_id, suite);
    return n + OE_OHTTP_HDR_LEN;
}

int oe_ohttp_txn_from_ctx(oe_ohttp_txn_t *txn, const oe_hpke_ctx_t *ctx,
                          const uint8_t enc[OE_HPKE_NENC])
{
    int nk = oe_hpke_aead_nk(ctx->suite.aead), nn = oe_hpke_aead_nn(ctx->suite.aead);
    if (nk <= 0 || nn <= 0)
        return OE_EUNSUPPORTED;
    memset(txn, 0, sizeof(*txn));
    txn->suite = ctx->suite;
    memcpy(txn->enc, enc, OE_HPKE_NENC);
    txn->secret_len = (uint8_t)OE_MAX(nk, nn);
    int rc = oe_hpke_export(ctx, txn->secret, txn->secret_len,
                            OE_SLICE(label_res, sizeof(label_res) - 1));
    if (rc < 0)
        oe_ohttp_txn_wipe(txn);
    return rc < 0 ? rc : 0;
}

int oe_ohttp_request_seal(uint8_t *out, size_t cap, oe_ohttp_txn_t *txn,
                          const oe_ohttp_config_t *cfg, oe_slice_t req, oe_hpke_rng_fn rng,
                          void *rng_arg)
{
    if (cap < OE_OHTTP_REQUEST_OVERHEAD || cap - OE_OHTTP_REQUEST_OVERHEAD < req.len)
        return OE_ESPACE;
    uint8_t info[64];
    size_t info_len = oe_ohttp_request_info(info, cfg->key_id, &cfg->suite);
    oe_hpke_ctx_t ctx;
    uint8_t *enc = out + OE_OHTTP_HDR_LEN;
    int rc = oe_hpke_setup_base_s(&ctx, enc, &cfg->suite, cfg->pk, sizeof(cfg->pk),
                                  OE_SLICE(info, info_len), rng, rng_arg);
    if (rc == 0)
        rc = oe_hpke_seal(&ctx, out + OE_OHTTP_HDR_LEN + OE_HPKE_NENC,
                          cap - OE_OHTTP_HDR_LEN - OE_HPKE_NENC, OE_SLICE(NULL, 0), req);
    if (rc >= 0) {
        int x = oe_ohttp_txn_from_ctx(txn, &ctx, enc);
        rc = x < 0 ? x : rc + OE_OHTTP_HDR_LEN + OE_HPKE_NENC;
    }
    oe_hpke_ctx_wipe(&ctx);
    if (rc >= 0)
        put_hdr(out, cfg->key_id, &cfg->suite);
    return rc;
}

int oe_ohttp_request_open(const oe_ohttp_key_t *keys, size_t n, const uint8_t *msg, size_t len,
                          uint8_t *plain, size_t cap, oe_ohttp_txn_t *txn)
{
    if (len < OE_OHTTP_REQUEST_OVERHEAD)
        return OE_ETRUNC;
    oe_hpke_suite_t s = {oe_get16(msg + 1), oe_get16(msg + 3), oe_get16(msg + 5)};
    /* Every key is looked at, so the time does not tell which one matched (or whether any). */
    const oe_ohttp_key_t *key = NULL;
    for (size_t i = 0; i < n; i++) {
        bool match = keys[i].key_id == msg[0] && keys[i].suite.kem == s.kem &&
                     keys[i].suite.kdf == s.kdf && keys[i].suite.aead == s.aead;
        key = match ? &keys[i] : key;
    }
    if (key == NULL)
        return OE_EKEYID;
    uint8_t info[64];
    size_t info_len = oe_ohttp_request_info(info, msg[0], &s);
    oe_hpke_ctx_t ctx;
    const uint8_t *enc = msg + OE_OHTTP_HDR_LEN;
    int rc = oe_hpke_setup_base_r(&ctx, &s, enc, OE_HPKE_NENC, &key->kp, OE_SLICE(info, info_len));
    if (rc == 0) {
        size_t off = OE_OHTTP_HDR_LEN + OE_HPKE_NENC;
        rc = oe_hpke_open(&ctx, plain, cap, OE_SLICE(NULL, 0), OE_SLICE(msg + off, len - off));
    }
    if (rc >= 0) {
        int x = oe_ohttp_txn_from_ctx(txn, &ctx, enc);
        rc = x < 0 ? x : rc;
    }
    oe_hpke_ctx_wipe(&ctx);
    return rc;
}

/* ---- responses (§4.4) ----------------------------------------------------------------------- */

int oe_ohttp_response_keys(const oe_ohttp_txn_t *txn, oe_slice_t nonce, uint8_t key[OE_HPKE_NK_MAX],
                           uint8_t aead_nonce[OE_HPKE_NN])
{
    int nk = oe_hpke_aead_nk(txn->suite.aead), nn = oe_hpke_aead_nn(txn->suite.aead);
    if (nk <= 0 || nn <= 0)
        return OE_EUNSUPPORTED;
    if (nonce.len != txn->secret_len)
        return OE_EFORMAT;
    uint8_t salt[OE_HPKE_NENC + OE_OHTTP_RESPONSE_NONCE_MAX], prk[OE_HPKE_NH];
    memcpy(salt, txn->enc, OE_HPKE_NENC); /* salt = concat(enc, response_nonce) */
    memcpy(salt + OE_HPKE_NENC, nonce.base, nonce.len);
    oe_slice_t ikm = OE_SLICE(txn->secret, txn->secret_len);
    oe_slice_t key_info = OE_SLICE("key", 3), nonce_info = OE_SLICE("nonce", 5);
    int rc = oe_crypto_hkdf_extract(prk, OE_SLICE(salt, OE_HPKE_NENC + nonce.len), &ikm, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(key, (size_t)nk, prk, &key_info, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(aead_nonce, (size_t)nn, prk, &nonce_info, 1);
    oe_wipe(prk, sizeof(prk));
    return rc == 0 ? 0 : OE_ECRYPTO;
}

int oe_ohttp_response_seal_nonce(uint8_t *out, size_t cap, const oe_ohttp_txn_t *txn,
                                 oe_slice_t resp, oe_slice_t nonce)
{
    if (cap < nonce.len + OE_HPKE_NT || cap - nonce.len - OE_HPKE_NT < resp.len)
        return OE_ESPACE;
    uint8_t key[OE_HPKE_NK_MAX], iv[OE_HPKE_NN];
    int rc = oe_ohttp_response_keys(txn, nonce, key, iv);
    if (rc == 0) {
        memmove(out, nonce.base, nonce.len);
        rc = oe_crypto_aead_seal(txn->suite.aead, key, iv, out + nonce.len, cap - nonce.len,
                                 OE_SLICE(NULL, 0), resp);
    }
    oe_wipe(key, sizeof(key));
    oe_wipe(iv, sizeof(iv));
    return rc < 0 ? rc : rc + (int)nonce.len;
}

int oe_ohttp_response_seal(uint8_t *out, size_t cap, const oe_ohttp_txn_t *txn, oe_slice_t resp,
                           oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t nonce[OE_OHTTP_RESPONSE_NONCE_MAX];
    if (txn->secret_len == 0 || rng(rng_arg, nonce, txn->secret_len) != 0)
        return OE_ECRYPTO;
    return oe_ohttp_response_seal_nonce(out, cap, txn, resp, OE_SLICE(nonce, txn->secret_len));
}

int oe_ohttp_response_open(const oe_ohttp_txn_t *txn, const uint8_t *msg, size_t len,
                           uint8_t *plain, size_t cap)
{
    if (txn->secret_len == 0)
        return OE_EINVAL;
    if (len < (size_t)txn->secret_len + OE_HPKE_NT)
        return OE_ETRUNC;
    uint8_t key[OE_HPKE_NK_MAX], iv[OE_HPKE_NN];
    int rc = oe_ohttp_response_keys(txn, OE_SLICE(msg, txn->secret_len), key, iv);
    if (rc == 0)
        rc = oe_crypto_aead_open(txn->suite.aead, key, iv, plain, cap, OE_SLICE(NULL, 0),
                                 OE_SLICE(msg + txn->secret_len, len - txn->secret_len));
    oe_wipe(key, sizeof(key));
    oe_wipe(iv, sizeof(iv));
    return rc;
}
