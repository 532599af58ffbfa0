/*
 * Oblivious DoH (RFC 9230): ObliviousDoHConfigs, messages, and the query/response encryption of
 * §6.2 on top of HPKE. Every reader checks a length before it reads.
 */
#include "odoh/odoh.h"
#include "crypto/encode.h"

#define LABEL_QUERY    "odoh query"
#define LABEL_RESPONSE "odoh response"
#define LABEL_KEY_ID   "odoh key id"
#define LABEL_KEY      "odoh key"
#define LABEL_NONCE    "odoh nonce"

/* ---- Configs, RFC 9230 §5 ---------------------------------------------------------------- */

/* ODoH uses HPKE's AEAD, so export-only suites cannot carry DNS messages. */
static int suite_usable(const oe_hpke_suite_t *suite)
{
    if (oe_hpke_suite_check(suite) != 0 || suite->aead == OE_HPKE_AEAD_EXPORT_ONLY)
        return OE_EUNSUPPORTED;
    return 0;
}

int oe_odoh_key_id(uint8_t key_id[OE_ODOH_KEY_ID_LEN], const uint8_t *contents, size_t len)
{
    oe_slice_t ikm = OE_SLICE(contents, len);
    oe_slice_t info = OE_SLICE_STR(LABEL_KEY_ID);
    uint8_t prk[OE_HPKE_NH];
    int rc;

    if (key_id == NULL || (contents == NULL && len > 0))
        return OE_EINVAL;
    rc = oe_crypto_hkdf_extract(prk, OE_SLICE(NULL, 0), &ikm, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(key_id, OE_ODOH_KEY_ID_LEN, prk, &info, 1);
    return rc;
}

static void contents_write(uint8_t out[OE_ODOH_CONTENTS_LEN], const oe_odoh_config_t *cfg)
{
    /* struct { u16 kem_id; u16 kdf_id; u16 aead_id; opaque public_key<1..2^16-1>; } */
    uint8_t *p = oe_put16(out, cfg->suite.kem);
    p = oe_put16(p, cfg->suite.kdf);
    p = oe_put16(p, cfg->suite.aead);
    p = oe_put16(p, OE_HPKE_NPK);
    memcpy(p, cfg->pk, OE_HPKE_NPK);
}

int oe_odoh_config_init(oe_odoh_config_t *cfg, const oe_hpke_suite_t *suite, const uint8_t *pk,
                        size_t pk_len)
{
    uint8_t contents[OE_ODOH_CONTENTS_LEN];
    int rc;

    if (cfg == NULL || suite == NULL)
        return OE_EINVAL;
    rc = suite_usable(suite);
    if (rc == 0)
        rc = oe_hpke_check_public_key(pk, pk_len);
    if (rc != 0)
        return rc;
    memset(cfg, 0, sizeof(*cfg));
    cfg->suite = *suite;
    memcpy(cfg->pk, pk, OE_HPKE_NPK);
    contents_write(contents, cfg);
    return oe_odoh_key_id(cfg->key_id, contents, sizeof(contents));
}

int oe_odoh_contents_encode(uint8_t *out, size_t cap, const oe_odoh_config_t *cfg)
{
    if (out == NULL || cfg == NULL)
        return OE_EINVAL;
    if (cap < OE_ODOH_CONTENTS_LEN)
        return OE_ESPACE;
    contents_write(out, cfg);
    return OE_ODOH_CONTENTS_LEN;
}

int oe_odoh_configs_encode(uint8_t *out, size_t cap, const oe_odoh_config_t *cfgs, size_t n)
{
    size_t total;
    uint8_t *p;

    if (out == NULL || cfgs == NULL || n == 0)
        return OE_EINVAL;
    if (n > (0xffff / OE_ODOH_CONFIG_LEN))
        return OE_EOVERFLOW;
    total = n * OE_ODOH_CONFIG_LEN;
    if (cap < 2 + total)
        return OE_ESPACE;
    /* ObliviousDoHConfig ObliviousDoHConfigs<1..2^16-1>;
     * struct { u16 version; u16 length; ObliviousDoHConfigContents contents; } */
    p = oe_put16(out, (uint16_t)total);
    for (size_t i = 0; i < n; i++) {
        p = oe_put16(p, OE_ODOH_VERSION);
        p = oe_put16(p, OE_ODOH_CONTENTS_LEN);
        contents_write(p, &cfgs[i]);
        p += OE_ODOH_CONTENTS_LEN;
    }
    return (int)(2 + total);
}

int oe_odoh_contents_decode(oe_odoh_config_t *cfg, const uint8_t *in, size_t len)
{
    oe_hpke_suite_t suite;
    size_t pk_len;

    if (cfg == NULL || (in == NULL && len > 0))
        return OE_EINVAL;
    if (len < 8)
        return OE_ETRUNC;
    suite.kem = oe_get16(in);
    suite.kdf = oe_get16(in + 2);
    suite.aead = oe_get16(in + 4);
    pk_len = oe_get16(in + 6);
    if (len - 8 < pk_len)
        return OE_ETRUNC;
    if (len - 8 > pk_len)
        return OE_ETRAILING;
    if (pk_len == 0)
        return OE_EFORMAT;
    if (suite_usable(&suite) != 0)
        return OE_EUNSUPPORTED;
    return oe_odoh_config_init(cfg, &suite, in + 8, pk_len);
}

int oe_odoh_configs_decode(const uint8_t *in, size_t len, oe_odoh_config_t *out, size_t cap)
{
    size_t total, off, found = 0;

    if ((in == NULL && len > 0) || (out == NULL && cap > 0))
        return OE_EINVAL;
    if (len < 2)
        return OE_ETRUNC;
    total = oe_get16(in);
    if (len - 2 < total)
        return OE_ETRUNC;
    if (len - 2 > total)
        return OE_ETRAILING;
    if (total == 0)
        return OE_EFORMAT;
    for (off = 2; off < len;) {
        oe_odoh_config_t cfg;
        uint16_t version;
        size_t clen;
        int rc;

        if (len - off < 4)
            return OE_ETRUNC;
        version = oe_get16(in + off);
        clen = oe_get16(in + off + 2);
        off += 4;
        if (len - off < clen)
            return OE_ETRUNC;
        if (version == OE_ODOH_VERSION) {
            rc = oe_odoh_contents_decode(&cfg, in + off, clen);
            if (rc == OE_ETRUNC || rc == OE_ETRAILING)
                return OE_EFORMAT; /* the config's length disagrees with its contents */
            if (rc == 0) {
                if (found < cap)
                    out[found] = cfg;
                found++;
            } else if (rc != OE_EUNSUPPORTED && rc != OE_EFORMAT) {
                return rc;
            }
        }
        off += clen;
    }
    return found > INT32_MAX ? INT32_MAX : (int)found;
}

/* ---- Messages, RFC 9230 §6.1 ------------------------------------------------------------- */

int oe_odoh_message_decode(oe_odoh_message_t *m, const uint8_t *in, size_t len)
{
    size_t id_len, enc_len, off;

    if (m == NULL || (in == NULL && len > 0))
        return OE_EINVAL;
    /* struct { u8 message_type; opaque key_id<0..2^16-1>;
     *          opaque encrypted_message<1..2^16-1>; } */
    if (len < 3)
        return OE_ETRUNC;
    id_len = oe_get16(in + 1);
    off = 3;
    if (len - off < id_len)
        return OE_ETRUNC;
    m->type = in[0];
    m->key_id = OE_SLICE(in + off, id_len);
    off += id_len;
    if (len - off < 2)
        return OE_ETRUNC;
    enc_len = oe_get16(in + off);
    off += 2;
    if (len - off < enc_len)
        return OE_ETRUNC;
    if (len - off > enc_len)
        return OE_ETRAILING;
    m->encrypted = OE_SLICE(in + off, enc_len);
    if (m->type != OE_ODOH_MSG_QUERY && m->type != OE_ODOH_MSG_RESPONSE)
        return OE_EFORMAT;
    if (enc_len == 0)
        return OE_EFORMAT;
    return 0;
}

/* Writes the message header before the encrypted part; the caller writes that part at
 * out + the returned offset. */
static int message_header(uint8_t *out, size_t cap, uint8_t type, oe_slice_t key_id, size_t enc_len)
{
    uint8_t *p;

    if (key_id.len > 0xffff || enc_len == 0 || enc_len > 0xffff)
        return OE_EOVERFLOW;
    if (cap < 5 + key_id.len + enc_len)
        return OE_ESPACE;
    out[0] = type;
    p = oe_put16(out + 1, (uint16_t)key_id.len);
    if (key_id.len > 0)
        memmove(p, key_id.base, key_id.len);
    p = oe_put16(p + key_id.len, (uint16_t)enc_len);
    return (int)(p - out);
}

int oe_odoh_message_encode(uint8_t *out, size_t cap, uint8_t type, oe_slice_t key_id,
                           oe_slice_t encrypted)
{
    int off;

    if (out == NULL || (key_id.base == NULL && key_id.len > 0) ||
        (encrypted.base == NULL && encrypted.len > 0))
        return OE_EINVAL;
    off = message_header(out, cap, type, key_id, encrypted.len);
    if (off < 0)
        return off;
    memmove(out + off, encrypted.base, encrypted.len);
    return off + (int)encrypted.len;
}

int oe_odoh_plaintext_encode(uint8_t *out, size_t cap, oe_slice_t dns, size_t padlen)
{
    uint8_t *p;

    if (out == NULL || dns.base == NULL)
        return OE_EINVAL;
    /* struct { opaque dns_message<1..2^16-1>; opaque padding<0..2^16-1>; } */
    if (dns.len == 0 || dns.len > 0xffff || padlen > 0xffff)
        return OE_EINVAL;
    if (cap < 4 + dns.len + padlen)
        return OE_ESPACE;
    p = oe_put16(out, (uint16_t)dns.len);
    memmove(p, dns.base, dns.len);
    p = oe_put16(p + dns.len, (uint16_t)padlen);
    memset(p, 0, padlen);
    return (int)(4 + dns.len + padlen);
}

int oe_odoh_plaintext_decode(oe_slice_t *dns, const uint8_t *in, size_t len)
{
    size_t dns_len, pad_len, off;
    uint8_t acc = 0;

    if (dns == NULL || (in == NULL && len > 0))
        return OE_EINVAL;
    if (len < 2)
        return OE_ETRUNC;
    dns_len = oe_get16(in);
    off = 2;
    if (len - off < dns_len)
        return OE_ETRUNC;
    off += dns_len;
    if (len - off < 2)
        return OE_ETRUNC;
    pad_len = oe_get16(in + off);
    off += 2;
    if (len - off < pad_len)
        return OE_ETRUNC;
    if (len - off > pad_len)
        return OE_ETRAILING;
    /* §6.1: padding must be zero; look at every byte regardless of what came before. */
    for (size_t i = 0; i < pad_len; i++)
        acc |= in[off + i];
    if (acc != 0 || dns_len == 0)
        return OE_EFORMAT;
    *dns = OE_SLICE(in + 2, dns_len);
    return 0;
}

size_t oe_odoh_pad_len(size_t dns_len, size_t block)
{
    if (block <= 1 || dns_len >= OE_ODOH_PLAINTEXT_DNS_MAX)
        return 0;
    size_t pad = (block - dns_len % block) % block;
    return OE_MIN(pad, OE_ODOH_PLAINTEXT_DNS_MAX - dns_len);
}

/* ---- Keys -------------------------------------------------------------------------------- */

static int key_finish(oe_odoh_key_t *key, uint16_t aead)
{
    oe_hpke_suite_t suite = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, aead};
    int rc = oe_odoh_config_init(&key->config, &suite, key->kp.pk, sizeof(key->kp.pk));
    if (rc != 0)
        oe_odoh_key_wipe(key);
    return rc;
}

int oe_odoh_key_from_seed(oe_odoh_key_t *key, uint16_t aead, const uint8_t *seed, size_t len)
{
    oe_hpke_suite_t suite = {OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256, aead};
    int rc;

    if (key == NULL)
        return OE_EINVAL;
    rc = suite_usable(&suite);
    if (rc == 0)
        rc = oe_hpke_derive_keypair(&key->kp, seed, len);
    if (rc != 0)
        return rc;
    return key_finish(key, aead);
}

/* GenerateKeyPair is DeriveKeyPair over Nsk fresh random bytes (RFC 9180 §7.1.3). */
int oe_odoh_key_generate(oe_odoh_key_t *key, uint16_t aead, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t seed[OE_HPKE_NSK];
    if (rng(rng_arg, seed, sizeof(seed)) != 0)
        return OE_ECRYPTO;
    int rc = oe_odoh_key_from_seed(key, aead, seed, sizeof(seed));
    oe_wipe(seed, sizeof(seed));
    return rc;
}

void oe_odoh_key_wipe(oe_odoh_key_t *key)
{
    if (key != NULL)
        oe_wipe(key, sizeof(*key));
}

const oe_odoh_key_t *oe_odoh_key_find(const oe_odoh_key_t *keys, size_t n, oe_slice_t id)
{
    const oe_odoh_key_t *found = NULL;

    if (keys == NULL || id.len != OE_ODOH_KEY_ID_LEN)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        /* Branch-free select: every key is compared, the match is kept by mask. */
        uintptr_t mask =
            (uintptr_t)0 - (uintptr_t)oe_ct_eq(keys[i].config.key_id, id.base, OE_ODOH_KEY_ID_LEN);
        found = (const oe_odoh_key_t *)(((uintptr_t)&keys[i] & mask) | ((uintptr_t)found & ~mask));
    }
    return found;
}

void oe_odoh_txn_wipe(oe_odoh_txn_t *txn)
{
    if (txn == NULL)
        return;
    oe_crypto_salt_wipe(&txn->q_plain);
    oe_wipe(txn, sizeof(*txn));
}

/* ---- Encryption, RFC 9230 §6.2 ----------------------------------------------------------- */

/* aad = type | u16 len(id) | id, for queries (id = key_id) and responses (id = nonce). */
static size_t make_aad(uint8_t *aad, uint8_t type, const uint8_t *id, size_t id_len)
{
    aad[0] = type;
    oe_put16(aad + 1, (uint16_t)id_len);
    memcpy(aad + 3, id, id_len);
    return 3 + id_len;
}

/* Fills txn from an HPKE context and Q_plain: secret = Export("odoh response", Nk). */
static int txn_init(oe_odoh_txn_t *txn, const oe_hpke_ctx_t *ctx, const uint8_t *q_plain,
                    size_t q_len)
{
    memset(txn, 0, sizeof(*txn));
    txn->suite = ctx->suite;
    oe_crypto_salt_init(&txn->q_plain);
    oe_crypto_salt_update(&txn->q_plain, q_plain, q_len);
    return oe_hpke_export(ctx, txn->secret, ctx->nk, OE_SLICE_STR(LABEL_RESPONSE));
}

static int query_seal(uint8_t *out, size_t cap, oe_odoh_txn_t *txn, const oe_odoh_config_t *cfg,
                      oe_slice_t dns, size_t padlen, const uint8_t *ikmE, size_t ikmE_len,
                      oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t enc[OE_HPKE_NENC], aad[3 + OE_ODOH_KEY_ID_LEN];
    oe_slice_t id;
    oe_hpke_ctx_t ctx;
    size_t q_len, aad_len;
    uint8_t *q;
    int off, rc;

    if (out == NULL || txn == NULL || cfg == NULL || dns.base == NULL)
        return OE_EINVAL;
    if (dns.len == 0 || dns.len > 0xffff || padlen > 0xffff)
        return OE_EINVAL;
    q_len = 4 + dns.len + padlen;
    id = OE_SLICE(cfg->key_id, OE_ODOH_KEY_ID_LEN);
    off = message_header(out, cap, OE_ODOH_MSG_QUERY, id, OE_HPKE_NENC + q_len + OE_HPKE_NT);
    if (off < 0)
        return off;
    /* Q_plain is written where its ciphertext goes and sealed in place: Q_encrypted = enc | ct. */
    q = out + off + OE_HPKE_NENC;
    rc = oe_odoh_plaintext_encode(q, q_len, dns, padlen);
    if (rc < 0)
        return rc;
    if (rng != NULL)
        rc = oe_hpke_setup_base_s(&ctx, enc, &cfg->suite, cfg->pk, sizeof(cfg->pk),
                                  OE_SLICE_STR(LABEL_QUERY), rng, rng_arg);
    else
        rc = oe_hpke_setup_base_s_derand(&ctx, enc, &cfg->suite, cfg->pk, sizeof(cfg->pk),
                                         OE_SLICE_STR(LABEL_QUERY), ikmE, ikmE_len);
    if (rc != 0)
        goto fail;
    rc = txn_init(txn, &ctx, q, q_len);
    if (rc != 0)
        goto fail;
    memcpy(out + off, enc, OE_HPKE_NENC);
    aad_len = make_aad(aad, OE_ODOH_MSG_QUERY, cfg->key_id, OE_ODOH_KEY_ID_LEN);
    rc = oe_hpke_seal(&ctx, q, q_len + OE_HPKE_NT, OE_SLICE(aad, aad_len), OE_SLICE(q, q_len));
    if (rc < 0)
        goto fail;
    oe_hpke_ctx_wipe(&ctx);
    return off + OE_HPKE_NENC + (int)q_len + OE_HPKE_NT;
fail:
    oe_hpke_ctx_wipe(&ctx);
    oe_odoh_txn_wipe(txn);
    oe_wipe(out, (size_t)off + OE_HPKE_NENC + q_len);
    return rc;
}

int oe_odoh_query_seal(uint8_t *out, size_t cap, oe_odoh_txn_t *txn, const oe_odoh_config_t *cfg,
                       oe_slice_t dns, size_t padlen, oe_hpke_rng_fn rng, void *rng_arg)
{
    if (rng == NULL)
        return OE_EINVAL;
    return query_seal(out, cap, txn, cfg, dns, padlen, NULL, 0, rng, rng_arg);
}

int oe_odoh_query_seal_derand(uint8_t *out, size_t cap, oe_odoh_txn_t *txn,
                              const oe_odoh_config_t *cfg, oe_slice_t dns, size_t padlen,
                              const uint8_t *ikmE, size_t ikmE_len)
{
    return query_seal(out, cap, txn, cfg, dns, padlen, ikmE, ikmE_len, NULL, NULL);
}

int oe_odoh_query_open(const oe_odoh_key_t *keys, size_t n, const uint8_t *msg, size_t len,
                       uint8_t *plain, size_t cap, oe_slice_t *dns, oe_odoh_txn_t *txn)
{
    uint8_t aad[3 + OE_ODOH_KEY_ID_LEN];
    const oe_odoh_key_t *key;
    oe_odoh_message_t m;
    oe_hpke_ctx_t ctx;
    size_t aad_len;
    int rc, q_len = 0;

    if (plain == NULL || dns == NULL || txn == NULL)
        return OE_EINVAL;
    rc = oe_odoh_message_decode(&m, msg, len);
    if (rc != 0)
        return rc;
    if (m.type != OE_ODOH_MSG_QUERY)
        return OE_EFORMAT;
    key = oe_odoh_key_find(keys, n, m.key_id);
    if (key == NULL)
        return OE_EKEYID;
    if (m.encrypted.len < OE_HPKE_NENC + OE_HPKE_NT)
        return OE_ETRUNC;
    rc = oe_hpke_setup_base_r(&ctx, &key->config.suite, m.encrypted.base, OE_HPKE_NENC, &key->kp,
                              OE_SLICE_STR(LABEL_QUERY));
    if (rc != 0)
        return rc;
    aad_len = make_aad(aad, OE_ODOH_MSG_QUERY, key->config.key_id, OE_ODOH_KEY_ID_LEN);
    q_len = oe_hpke_open(&ctx, plain, cap, OE_SLICE(aad, aad_len),
                         OE_SLICE(m.encrypted.base + OE_HPKE_NENC, m.encrypted.len - OE_HPKE_NENC));
    if (q_len < 0) {
        rc = q_len;
        goto fail;
    }
    rc = oe_odoh_plaintext_decode(dns, plain, (size_t)q_len);
    if (rc != 0)
        goto fail;
    rc = txn_init(txn, &ctx, plain, (size_t)q_len);
    if (rc != 0)
        goto fail;
    oe_hpke_ctx_wipe(&ctx);
    return 0;
fail:
    oe_hpke_ctx_wipe(&ctx);
    oe_odoh_txn_wipe(txn);
    if (q_len > 0)
        oe_wipe(plain, (size_t)q_len);
    *dns = OE_SLICE(NULL, 0);
    return rc;
}

/* prk = Extract(Q_plain | u16 len(nonce) | nonce, secret); key = Expand(prk, "odoh key", Nk);
 * nonce = Expand(prk, "odoh nonce", Nn). */
static int response_keys(const oe_odoh_txn_t *txn, const uint8_t *resp_nonce, size_t nonce_len,
                         uint8_t key[OE_HPKE_NK_MAX], uint8_t nonce[OE_HPKE_NN])
{
    oe_slice_t label_key = OE_SLICE_STR(LABEL_KEY), label_nonce = OE_SLICE_STR(LABEL_NONCE);
    int nk = oe_hpke_aead_nk(txn->suite.aead);
    oe_crypto_salt_t salt = txn->q_plain;
    uint8_t prk[OE_HPKE_NH], l2[2];
    int rc;

    if (nk <= 0)
        return OE_EUNSUPPORTED;
    oe_put16(l2, (uint16_t)nonce_len);
    oe_crypto_salt_update(&salt, l2, 2);
    oe_crypto_salt_update(&salt, resp_nonce, nonce_len);
    rc = oe_crypto_hkdf_extract_salt(prk, &salt, OE_SLICE(txn->secret, (size_t)nk));
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(key, (size_t)nk, prk, &label_key, 1);
    if (rc == 0)
        rc = oe_crypto_hkdf_expand(nonce, OE_HPKE_NN, prk, &label_nonce, 1);
    oe_wipe(prk, sizeof(prk));
    oe_crypto_salt_wipe(&salt);
    return rc;
}

static size_t response_nonce_len(uint16_t aead)
{
    int nk = oe_hpke_aead_nk(aead), nn = oe_hpke_aead_nn(aead);
    return nk < 0 || nn < 0 ? 0 : (size_t)OE_MAX(nk, nn);
}

int oe_odoh_response_seal_nonce(uint8_t *out, size_t cap, const oe_odoh_txn_t *txn, oe_slice_t dns,
                                size_t padlen, oe_slice_t resp_nonce)
{
    uint8_t key[OE_HPKE_NK_MAX], nonce[OE_HPKE_NN], aad[3 + OE_ODOH_RESPONSE_NONCE_MAX];
    size_t r_len, aad_len;
    int off, rc;
    uint8_t *r;

    if (out == NULL || txn == NULL || dns.base == NULL || resp_nonce.base == NULL)
        return OE_EINVAL;
    if (resp_nonce.len == 0 || resp_nonce.len != response_nonce_len(txn->suite.aead))
        return OE_EINVAL;
    if (dns.len == 0 || dns.len > 0xffff || padlen > 0xffff)
        return OE_EINVAL;
    r_len = 4 + dns.len + padlen;
    off = message_header(out, cap, OE_ODOH_MSG_RESPONSE, resp_nonce, r_len + OE_HPKE_NT);
    if (off < 0)
        return off;
    r = out + off;
    rc = oe_odoh_plaintext_encode(r, r_len, dns, padlen);
    if (rc < 0)
        return rc;
    rc = response_keys(txn, resp_nonce.base, resp_nonce.len, key, nonce);
    if (rc == 0) {
        aad_len = make_aad(aad, OE_ODOH_MSG_RESPONSE, resp_nonce.base, resp_nonce.len);
        rc = oe_crypto_aead_seal(txn->suite.aead, key, nonce, r, r_len + OE_HPKE_NT,
                                 OE_SLICE(aad, aad_len), OE_SLICE(r, r_len));
    }
    oe_wipe(key, sizeof(key));
    oe_wipe(nonce, sizeof(nonce));
    if (rc < 0) {
        oe_wipe(out, (size_t)off + r_len);
        return rc;
    }
    return off + rc;
}

int oe_odoh_response_seal(uint8_t *out, size_t cap, const oe_odoh_txn_t *txn, oe_slice_t dns,
                          size_t padlen, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t resp_nonce[OE_ODOH_RESPONSE_NONCE_MAX];
    size_t nlen;

    if (txn == NULL || rng == NULL)
        return OE_EINVAL;
    nlen = response_nonce_len(txn->suite.aead);
    if (nlen == 0)
        return OE_EUNSUPPORTED;
    if (rng(rng_arg, resp_nonce, nlen) != 0)
        return OE_ECRYPTO;
    return oe_odoh_response_seal_nonce(out, cap, txn, dns, padlen, OE_SLICE(resp_nonce, nlen));
}

int oe_odoh_response_open(const oe_odoh_txn_t *txn, const uint8_t *msg, size_t len, uint8_t *plain,
                          size_t cap, oe_slice_t *dns)
{
    uint8_t key[OE_HPKE_NK_MAX], nonce[OE_HPKE_NN], aad[3 + OE_ODOH_RESPONSE_NONCE_MAX];
    oe_odoh_message_t m;
    size_t aad_len;
    int rc, r_len = 0;

    if (txn == NULL || plain == NULL || dns == NULL)
        return OE_EINVAL;
    rc = oe_odoh_message_decode(&m, msg, len);
    if (rc != 0)
        return rc;
    if (m.type != OE_ODOH_MSG_RESPONSE || m.key_id.len != response_nonce_len(txn->suite.aead))
        return OE_EFORMAT;
    rc = response_keys(txn, m.key_id.base, m.key_id.len, key, nonce);
    if (rc == 0) {
        aad_len = make_aad(aad, OE_ODOH_MSG_RESPONSE, m.key_id.base, m.key_id.len);
        r_len = oe_crypto_aead_open(txn->suite.aead, key, nonce, plain, cap, OE_SLICE(aad, aad_len),
                                    m.encrypted);
        rc = r_len < 0 ? r_len : 0;
    }
    if (rc == 0)
        rc = oe_odoh_plaintext_decode(dns, plain, (size_t)r_len);
    oe_wipe(key, sizeof(key));
    oe_wipe(nonce, sizeof(nonce));
    if (rc != 0) {
        if (r_len > 0)
            oe_wipe(plain, (size_t)r_len);
        *dns = OE_SLICE(NULL, 0);
    }
    return rc;
}
