/*
 * HPKE (RFC 9180) base mode over the crypto module: HKDF-SHA256 for the labeled KDF, its AEADs
 * and its X25519. This unit adds the RFC's structure (labels, suite ids, key schedule, sequence
 * numbers) and includes no library header. The labeled KDF inputs (§4) are lists of parts,
 * streamed into HMAC, so no input is ever copied into a buffer that could be too small.
 */
#include "hpke/hpke.h"

#include "crypto/crypto.h"

/* ---- Labeled KDF, RFC 9180 §4 ------------------------------------------------------------ */

#define HPKE_V1 "HPKE-v1"
#define LIT(s)  ((oe_slice_t){(const uint8_t *)(s), sizeof(s) - 1})

/* suite_id: "KEM" | I2OSP(kem_id, 2) for the KEM (§4.1), "HPKE" | kem | kdf | aead (§5.1). */
typedef struct suite_id {
    uint8_t b[10];
    size_t len;
} suite_id_t;

static suite_id_t kem_suite_id(void)
{
    suite_id_t s = {{'K', 'E', 'M', 0x00, 0x20}, 5};
    return s;
}

static suite_id_t hpke_suite_id(const oe_hpke_suite_t *suite)
{
    suite_id_t s = {{'H', 'P', 'K', 'E'}, 10};
    oe_put16(s.b + 4, suite->kem);
    oe_put16(s.b + 6, suite->kdf);
    oe_put16(s.b + 8, suite->aead);
    return s;
}

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" | suite_id | label | ikm). */
static int labeled_extract(uint8_t prk[32], const suite_id_t *sid, oe_slice_t salt,
                           const char *label, oe_slice_t ikm)
{
    oe_slice_t parts[] = {LIT(HPKE_V1), OE_SLICE(sid->b, sid->len), OE_SLICE_STR(label), ikm};
    return oe_crypto_hkdf_extract(prk, salt, parts, OE_ARRAY_SIZE(parts));
}

/* LabeledExpand(prk, label, info, L) =
 *     Expand(prk, I2OSP(L, 2) | "HPKE-v1" | suite_id | label | info, L). */
static int labeled_expand(uint8_t *out, size_t L, const suite_id_t *sid, const uint8_t prk[32],
                          const char *label, oe_slice_t info)
{
    uint8_t l2[2];
    if (L > 0xffff)
        return OE_EINVAL;
    oe_put16(l2, (uint16_t)L);
    oe_slice_t parts[] = {OE_SLICE(l2, 2), LIT(HPKE_V1), OE_SLICE(sid->b, sid->len),
                          OE_SLICE_STR(label), info};
    return oe_crypto_hkdf_expand(out, L, prk, parts, OE_ARRAY_SIZE(parts));
}

/* ---- Suites ------------------------------------------------------------------------------ */

int oe_hpke_aead_nk(uint16_t aead)
{
    /* The crypto module numbers its AEADs with the HPKE ids. */
    return aead == OE_HPKE_AEAD_EXPORT_ONLY ? 0 : oe_crypto_aead_nk(aead);
}

int oe_hpke_aead_nn(uint16_t aead)
{
    int nk = oe_hpke_aead_nk(aead);
    if (nk < 0)
        return nk;
    return nk == 0 ? 0 : OE_HPKE_NN;
}

int oe_hpke_suite_check(const oe_hpke_suite_t *suite)
{
    if (suite == NULL || suite->kem != OE_HPKE_KEM_X25519_SHA256 ||
        suite->kdf != OE_HPKE_KDF_HKDF_SHA256 || oe_hpke_aead_nk(suite->aead) < 0)
        return OE_EUNSUPPORTED;
    return 0;
}

/* ---- X25519 ------------------------------------------------------------------------------ */

void oe_hpke_set_x25519_impl(int impl)
{
    oe_crypto_set_x25519_impl(impl == OE_HPKE_X25519_GENERIC ? OE_CRYPTO_X25519_GENERIC
                              : impl == OE_HPKE_X25519_OWN   ? OE_CRYPTO_X25519_OWN
                                                             : OE_CRYPTO_X25519_EVEREST);
}

static void clamp(uint8_t k[32])
{
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

int oe_hpke_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32])
{
    uint8_t acc = 0;

    if (oe_crypto_x25519(out, sk, pk) != 0)
        return OE_ECRYPTO;
    /* RFC 9180 §7.1.4: an all-zero DH output means a small-order point; abort. Constant time. */
    for (int i = 0; i < 32; i++)
        acc |= out[i];
    if (acc == 0)
        return OE_ECRYPTO;
    return 0;
}

static int x25519_base(uint8_t pk[32], const uint8_t sk[32])
{
    static const uint8_t nine[32] = {9};
    return oe_hpke_x25519(pk, sk, nine);
}

/* ---- Key pairs, RFC 9180 §7.1 ------------------------------------------------------------ */

int oe_hpke_derive_keypair(oe_hpke_keypair_t *kp, const uint8_t *ikm, size_t ikm_len)
{
    suite_id_t sid = kem_suite_id();
    uint8_t prk[32];
    int rc;

    if (kp == NULL || (ikm == NULL && ikm_len > 0))
        return OE_EINVAL;
    /* §7.1.3: dkp_prk = LabeledExtract("", "dkp_prk", ikm); sk = LabeledExpand(dkp_prk, "sk",
     * "", Nsk). X25519 takes any 32 bytes as a private key. */
    rc = labeled_extract(prk, &sid, OE_SLICE(NULL, 0), "dkp_prk", OE_SLICE(ikm, ikm_len));
    if (rc == 0)
        rc = labeled_expand(kp->sk, OE_HPKE_NSK, &sid, prk, "sk", OE_SLICE(NULL, 0));
    if (rc == 0)
        rc = x25519_base(kp->pk, kp->sk);
    oe_wipe(prk, sizeof(prk));
    if (rc != 0)
        oe_hpke_keypair_wipe(kp);
    return rc;
}

int oe_hpke_generate_keypair(oe_hpke_keypair_t *kp, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t ikm[OE_HPKE_NSK];
    int rc;

    if (rng == NULL)
        return OE_EINVAL;
    if (rng(rng_arg, ikm, sizeof(ikm)) != 0)
        return OE_ECRYPTO;
    rc = oe_hpke_derive_keypair(kp, ikm, sizeof(ikm));
    oe_wipe(ikm, sizeof(ikm));
    return rc;
}

int oe_hpke_keypair_from_private(oe_hpke_keypair_t *kp, const uint8_t *sk, size_t sk_len)
{
    int rc;

    if (kp == NULL || sk == NULL)
        return OE_EINVAL;
    if (sk_len != OE_HPKE_NSK)
        return OE_EFORMAT;
    memcpy(kp->sk, sk, OE_HPKE_NSK);
    clamp(kp->sk);
    rc = x25519_base(kp->pk, kp->sk);
    if (rc != 0)
        oe_hpke_keypair_wipe(kp);
    return rc;
}

void oe_hpke_serialize_private_key(uint8_t out[OE_HPKE_NSK], const oe_hpke_keypair_t *kp)
{
    memcpy(out, kp->sk, OE_HPKE_NSK);
    clamp(out);
}

int oe_hpke_check_public_key(const uint8_t *pk, size_t len)
{
    if (pk == NULL || len != OE_HPKE_NPK)
        return OE_EFORMAT;
    return 0;
}

void oe_hpke_keypair_wipe(oe_hpke_keypair_t *kp)
{
    oe_wipe(kp, sizeof(*kp));
}

/* ---- DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 ------------------------------------------ */

/* ExtractAndExpand(dh, kem_context) with kem_context = enc | pkRm. */
static int extract_and_expand(uint8_t ss[32], const uint8_t dh[32], const uint8_t enc[32],
                              const uint8_t pkR[32])
{
    suite_id_t sid = kem_suite_id();
    uint8_t kem_context[64];
    uint8_t prk[32];
    int rc;

    memcpy(kem_context, enc, 32);
    memcpy(kem_context + 32, pkR, 32);
    rc = labeled_extract(prk, &sid, OE_SLICE(NULL, 0), "eae_prk", OE_SLICE(dh, 32));
    if (rc == 0)
        rc = labeled_expand(ss, OE_HPKE_NSECRET, &sid, prk, "shared_secret",
                            OE_SLICE(kem_context, sizeof(kem_context)));
    oe_wipe(prk, sizeof(prk));
    return rc;
}

static int encap_with(uint8_t ss[32], uint8_t enc[32], const uint8_t *pkR, size_t pkR_len,
                      oe_hpke_keypair_t *eph)
{
    uint8_t dh[32];
    int rc;

    rc = oe_hpke_check_public_key(pkR, pkR_len);
    if (rc == 0)
        rc = oe_hpke_x25519(dh, eph->sk, pkR);
    if (rc == 0) {
        memcpy(enc, eph->pk, OE_HPKE_NENC);
        rc = extract_and_expand(ss, dh, enc, pkR);
    }
    oe_wipe(dh, sizeof(dh));
    oe_hpke_keypair_wipe(eph);
    if (rc != 0)
        oe_wipe(ss, OE_HPKE_NSECRET);
    return rc;
}

int oe_hpke_encap_derand(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                         const uint8_t *pkR, size_t pkR_len, const uint8_t *ikmE, size_t ikmE_len)
{
    oe_hpke_keypair_t eph;
    int rc = oe_hpke_derive_keypair(&eph, ikmE, ikmE_len);
    if (rc != 0)
        return rc;
    return encap_with(shared_secret, enc, pkR, pkR_len, &eph);
}

int oe_hpke_encap(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                  const uint8_t *pkR, size_t pkR_len, oe_hpke_rng_fn rng, void *rng_arg)
{
    oe_hpke_keypair_t eph;
    int rc = oe_hpke_generate_keypair(&eph, rng, rng_arg);
    if (rc != 0)
        return rc;
    return encap_with(shared_secret, enc, pkR, pkR_len, &eph);
}

int oe_hpke_decap(uint8_t shared_secret[OE_HPKE_NSECRET], const uint8_t *enc, size_t enc_len,
                  const oe_hpke_keypair_t *kpR)
{
    uint8_t dh[32];
    int rc;

    if (kpR == NULL)
        return OE_EINVAL;
    if (enc == NULL || enc_len != OE_HPKE_NENC)
        return OE_EFORMAT;
    rc = oe_hpke_x25519(dh, kpR->sk, enc);
    if (rc == 0)
        rc = extract_and_expand(shared_secret, dh, enc, kpR->pk);
    oe_wipe(dh, sizeof(dh));
    if (rc != 0)
        oe_wipe(shared_secret, OE_HPKE_NSECRET);
    return rc;
}

/* ---- Key schedule and contexts, RFC 9180 §5 --------------------------------------------- */

int oe_hpke_key_schedule(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite,
                         const uint8_t shared_secret[OE_HPKE_NSECRET], oe_slice_t info)
{
    uint8_t ksc[1 + 2 * OE_HPKE_NH]; /* key_schedule_context = mode | psk_id_hash | info_hash */
    uint8_t secret[OE_HPKE_NH];
    suite_id_t sid;
    int rc, nk;

    if (ctx == NULL || shared_secret == NULL || (info.base == NULL && info.len > 0))
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc != 0)
        return rc;
    nk = oe_hpke_aead_nk(suite->aead);
    sid = hpke_suite_id(suite);
    memset(ctx, 0, sizeof(*ctx));
    ctx->suite = *suite;
    ctx->nk = (uint8_t)nk;

    ksc[0] = OE_HPKE_MODE_BASE;
    rc = labeled_extract(ksc + 1, &sid, OE_SLICE(NULL, 0), "psk_id_hash", OE_SLICE(NULL, 0));
    if (rc == 0)
        rc = labeled_extract(ksc + 1 + OE_HPKE_NH, &sid, OE_SLICE(NULL, 0), "info_hash", info);
    /* secret = LabeledExtract(shared_secret, "secret", psk) with psk = "" in base mode. */
    if (rc == 0)
        rc = labeled_extract(secret, &sid, OE_SLICE(shared_secret, OE_HPKE_NSECRET), "secret",
                             OE_SLICE(NULL, 0));
    if (rc == 0 && nk > 0)
        rc = labeled_expand(ctx->key, (size_t)nk, &sid, secret, "key", OE_SLICE(ksc, sizeof(ksc)));
    if (rc == 0 && nk > 0)
        rc = labeled_expand(ctx->base_nonce, OE_HPKE_NN, &sid, secret, "base_nonce",
                            OE_SLICE(ksc, sizeof(ksc)));
    if (rc == 0)
        rc = labeled_expand(ctx->exporter_secret, OE_HPKE_NH, &sid, secret, "exp",
                            OE_SLICE(ksc, sizeof(ksc)));
    oe_wipe(secret, sizeof(secret));
    if (rc != 0)
        oe_hpke_ctx_wipe(ctx);
    return rc;
}

static int setup_s(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC], const oe_hpke_suite_t *suite,
                   const uint8_t *pkR, size_t pkR_len, oe_slice_t info, const uint8_t *ikmE,
                   size_t ikmE_len, oe_hpke_rng_fn rng, void *rng_arg)
{
    uint8_t ss[OE_HPKE_NSECRET];
    int rc;

    if (ctx == NULL || enc == NULL)
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc != 0)
        return rc;
    if (rng != NULL)
        rc = oe_hpke_encap(ss, enc, pkR, pkR_len, rng, rng_arg);
    else
        rc = oe_hpke_encap_derand(ss, enc, pkR, pkR_len, ikmE, ikmE_len);
    if (rc == 0)
        rc = oe_hpke_key_schedule(ctx, suite, ss, info);
    oe_wipe(ss, sizeof(ss));
    return rc;
}

int oe_hpke_setup_base_s(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                         const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                         oe_slice_t info, oe_hpke_rng_fn rng, void *rng_arg)
{
    if (rng == NULL)
        return OE_EINVAL;
    return setup_s(ctx, enc, suite, pkR, pkR_len, info, NULL, 0, rng, rng_arg);
}

int oe_hpke_setup_base_s_derand(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                                const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                                oe_slice_t info, const uint8_t *ikmE, size_t ikmE_len)
{
    return setup_s(ctx, enc, suite, pkR, pkR_len, info, ikmE, ikmE_len, NULL, NULL);
}

int oe_hpke_setup_base_r(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite, const uint8_t *enc,
                         size_t enc_len, const oe_hpke_keypair_t *kpR, oe_slice_t info)
{
    uint8_t ss[OE_HPKE_NSECRET];
    int rc;

    if (ctx == NULL)
        return OE_EINVAL;
    rc = oe_hpke_suite_check(suite);
    if (rc == 0)
        rc = oe_hpke_decap(ss, enc, enc_len, kpR);
    if (rc == 0)
        rc = oe_hpke_key_schedule(ctx, suite, ss, info);
    oe_wipe(ss, sizeof(ss));
    return rc;
}

/* §5.2: nonce = base_nonce XOR I2OSP(seq, Nn). */
static void compute_nonce(uint8_t nonce[OE_HPKE_NN], const oe_hpke_ctx_t *ctx)
{
    memcpy(nonce, ctx->base_nonce, OE_HPKE_NN);
    for (int i = 0; i < 8; i++)
        nonce[OE_HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

static int ctx_ready(const oe_hpke_ctx_t *ctx)
{
    if (ctx == NULL)
        return OE_EINVAL;
    if (ctx->nk == 0)
        return OE_EUNSUPPORTED;
    /* §5.2 IncrementSeq: refuse before the counter would wrap. */
    if (ctx->seq == UINT64_MAX)
        return OE_EOVERFLOW;
    return 0;
}

int oe_hpke_seal(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t pt)
{
    uint8_t nonce[OE_HPKE_NN];
    int rc = ctx_ready(ctx);
    if (rc != 0)
        return rc;
    compute_nonce(nonce, ctx);
    rc = oe_crypto_aead_seal(ctx->suite.aead, ctx->key, nonce, out, cap, aad, pt);
    if (rc >= 0)
        ctx->seq++;
    return rc;
}

int oe_hpke_open(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t ct)
{
    uint8_t nonce[OE_HPKE_NN];
    int rc = ctx_ready(ctx);
    if (rc != 0)
        return rc;
    compute_nonce(nonce, ctx);
    rc = oe_crypto_aead_open(ctx->suite.aead, ctx->key, nonce, out, cap, aad, ct);
    if (rc >= 0)
        ctx->seq++;
    return rc;
}

int oe_hpke_export(const oe_hpke_ctx_t *ctx, uint8_t *out, size_t L, oe_slice_t exporter_context)
{
    suite_id_t sid;

    if (ctx == NULL || out == NULL || (exporter_context.base == NULL && exporter_context.len > 0))
        return OE_EINVAL;
    if (L == 0 || L > OE_HPKE_EXPORT_MAX)
        return OE_EINVAL;
    /* §5.3: Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", ctx, L). */
    sid = hpke_suite_id(&ctx->suite);
    return labeled_expand(out, L, &sid, ctx->exporter_secret, "sec", exporter_context);
}

void oe_hpke_ctx_wipe(oe_hpke_ctx_t *ctx)
{
    if (ctx != NULL)
        oe_wipe(ctx, sizeof(*ctx));
}
