/*
 * RFC 9180 Appendix A vectors, mode 0 with DHKEM(X25519, HKDF-SHA256) and HKDF-SHA256, for
 * AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 and export-only: every key-schedule value, every
 * encryption (in sequence, both directions) and every export must match byte for byte.
 */
#include <stdlib.h>

#include "hpke/hpke.h"
#include "lib/vectors.h"
#include "unit/test.h"

static oe_json_t *load_vectors(void)
{
    oe_json_t *doc = oe_test_vectors_load("rfc9180-base-x25519-sha256.json");
    CHECK(doc->type == OE_JSON_ARRAY);
    return doc;
}

#define CHECK_FIELD(got, got_len, obj, key)                                                        \
    do {                                                                                           \
        size_t wl__;                                                                               \
        uint8_t *w__ = oe_test_vectors_hex((obj), (key), &wl__);                                   \
        CHECK_MEM((got), (got_len), w__, wl__);                                                    \
        free(w__);                                                                                 \
    } while (0)

typedef struct counts {
    int vectors, encryptions, exports;
} counts_t;

static void check_vector(const oe_json_t *v, counts_t *n)
{
    size_t ikmR_len, ikmE_len, info_len;
    uint8_t *ikmR = oe_test_vectors_hex(v, "ikmR", &ikmR_len);
    uint8_t *ikmE = oe_test_vectors_hex(v, "ikmE", &ikmE_len);
    uint8_t *info = oe_test_vectors_hex(v, "info", &info_len);
    oe_hpke_suite_t suite = {(uint16_t)oe_test_vectors_int(v, "kem_id"),
                             (uint16_t)oe_test_vectors_int(v, "kdf_id"),
                             (uint16_t)oe_test_vectors_int(v, "aead_id")};
    oe_hpke_keypair_t kpR, kpE;
    oe_hpke_ctx_t s, r;
    uint8_t enc[OE_HPKE_NENC], ss[OE_HPKE_NSECRET], enc2[OE_HPKE_NENC];
    int nk = oe_hpke_aead_nk(suite.aead);

    CHECK_INT(oe_test_vectors_int(v, "mode"), OE_HPKE_MODE_BASE);
    CHECK_INT(oe_hpke_suite_check(&suite), 0);

    /* DeriveKeyPair for both key pairs (RFC 9180 §7.1.3). */
    CHECK_INT(oe_hpke_derive_keypair(&kpR, ikmR, ikmR_len), 0);
    CHECK_FIELD(kpR.sk, sizeof(kpR.sk), v, "skRm");
    CHECK_FIELD(kpR.pk, sizeof(kpR.pk), v, "pkRm");
    CHECK_INT(oe_hpke_derive_keypair(&kpE, ikmE, ikmE_len), 0);
    CHECK_FIELD(kpE.sk, sizeof(kpE.sk), v, "skEm");
    CHECK_FIELD(kpE.pk, sizeof(kpE.pk), v, "pkEm");

    /* Encap / Decap. */
    CHECK_INT(oe_hpke_encap_derand(ss, enc, kpR.pk, sizeof(kpR.pk), ikmE, ikmE_len), 0);
    CHECK_FIELD(enc, sizeof(enc), v, "enc");
    CHECK_FIELD(ss, sizeof(ss), v, "shared_secret");
    memset(ss, 0, sizeof(ss));
    CHECK_INT(oe_hpke_decap(ss, enc, sizeof(enc), &kpR), 0);
    CHECK_FIELD(ss, sizeof(ss), v, "shared_secret");

    /* Key schedule through both setups. */
    CHECK_INT(oe_hpke_setup_base_s_derand(&s, enc2, &suite, kpR.pk, sizeof(kpR.pk),
                                          OE_SLICE(info, info_len), ikmE, ikmE_len),
              0);
    CHECK_MEM(enc2, sizeof(enc2), enc, sizeof(enc));
    CHECK_INT(oe_hpke_setup_base_r(&r, &suite, enc, sizeof(enc), &kpR, OE_SLICE(info, info_len)),
              0);
    CHECK_INT(s.nk, nk);
    CHECK_INT(r.nk, nk);
    if (nk > 0) {
        CHECK_FIELD(s.key, s.nk, v, "key");
        CHECK_FIELD(s.base_nonce, sizeof(s.base_nonce), v, "base_nonce");
        CHECK_FIELD(r.key, r.nk, v, "key");
        CHECK_FIELD(r.base_nonce, sizeof(r.base_nonce), v, "base_nonce");
    }
    CHECK_FIELD(s.exporter_secret, sizeof(s.exporter_secret), v, "exporter_secret");
    CHECK_FIELD(r.exporter_secret, sizeof(r.exporter_secret), v, "exporter_secret");

    /* Encryptions are listed in sequence-number order. */
    const oe_json_t *encs = oe_json_get(v, "encryptions");
    CHECK(encs != NULL && encs->type == OE_JSON_ARRAY);
    if (nk == 0)
        CHECK_INT(encs->len, 0);
    for (size_t i = 0; i < encs->len; i++) {
        const oe_json_t *e = oe_json_at(encs, i);
        size_t pt_len, aad_len, ct_len, nonce_len;
        uint8_t *pt = oe_test_vectors_hex(e, "pt", &pt_len);
        uint8_t *aad = oe_test_vectors_hex(e, "aad", &aad_len);
        uint8_t *ct = oe_test_vectors_hex(e, "ct", &ct_len);
        uint8_t *nonce = oe_test_vectors_hex(e, "nonce", &nonce_len);
        uint8_t want_nonce[OE_HPKE_NN], out[512];

        /* The nonce the vector used is base_nonce XOR seq (§5.2). */
        memcpy(want_nonce, s.base_nonce, sizeof(want_nonce));
        for (int b = 0; b < 8; b++)
            want_nonce[OE_HPKE_NN - 1 - b] ^= (uint8_t)(s.seq >> (8 * b));
        CHECK_MEM(want_nonce, sizeof(want_nonce), nonce, nonce_len);

        CHECK(pt_len + OE_HPKE_NT <= sizeof(out));
        CHECK_INT(oe_hpke_seal(&s, out, sizeof(out), OE_SLICE(aad, aad_len), OE_SLICE(pt, pt_len)),
                  ct_len);
        CHECK_MEM(out, ct_len, ct, ct_len);
        CHECK_INT(oe_hpke_open(&r, out, sizeof(out), OE_SLICE(aad, aad_len), OE_SLICE(ct, ct_len)),
                  pt_len);
        CHECK_MEM(out, pt_len, pt, pt_len);
        n->encryptions++;
        free(pt);
        free(aad);
        free(ct);
        free(nonce);
    }
    CHECK_INT(s.seq, encs->len);
    CHECK_INT(r.seq, encs->len);

    const oe_json_t *exps = oe_json_get(v, "exports");
    CHECK(exps != NULL && exps->type == OE_JSON_ARRAY);
    for (size_t i = 0; i < exps->len; i++) {
        const oe_json_t *x = oe_json_at(exps, i);
        size_t ctx_len;
        uint8_t *ctx = oe_test_vectors_hex(x, "exporter_context", &ctx_len);
        size_t L = (size_t)oe_test_vectors_int(x, "L");
        uint8_t out[OE_HPKE_EXPORT_MAX];

        CHECK_INT(oe_hpke_export(&s, out, L, OE_SLICE(ctx, ctx_len)), 0);
        CHECK_FIELD(out, L, x, "exported_value");
        CHECK_INT(oe_hpke_export(&r, out, L, OE_SLICE(ctx, ctx_len)), 0);
        CHECK_FIELD(out, L, x, "exported_value");
        n->exports++;
        free(ctx);
    }
    n->vectors++;
    oe_hpke_ctx_wipe(&s);
    oe_hpke_ctx_wipe(&r);
    free(ikmR);
    free(ikmE);
    free(info);
}

static counts_t run_vectors(void)
{
    oe_json_t *doc = load_vectors();
    counts_t n = {0, 0, 0};
    for (size_t i = 0; i < doc->len; i++)
        check_vector(oe_json_at(doc, i), &n);
    oe_json_free(doc);
    return n;
}

TEST(hpke_rfc9180_vectors_everest)
{
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_EVEREST);
    counts_t n = run_vectors();
    CHECK_INT(n.vectors, 4);
    CHECK_INT(n.encryptions, 771);
    CHECK_INT(n.exports, 12);
}

TEST(hpke_rfc9180_vectors_own_x25519)
{
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_OWN);
    counts_t n = run_vectors();
    CHECK_INT(n.encryptions, 771);
    CHECK_INT(n.exports, 12);
}

/* The benchmark's alternative X25519 must compute the very same function. */
TEST(hpke_rfc9180_vectors_generic_ecp)
{
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_GENERIC);
    counts_t n = run_vectors();
    oe_hpke_set_x25519_impl(OE_HPKE_X25519_EVEREST);
    CHECK_INT(n.encryptions, 771);
    CHECK_INT(n.exports, 12);
}
