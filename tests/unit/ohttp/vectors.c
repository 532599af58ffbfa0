/*
 * RFC 9458 Appendix A, byte for byte (tests/vectors/rfc9458-appendix-a.json): the key
 * configuration, the request's HPKE info, the encapsulated request (sealed with the example's
 * ephemeral key), the gateway's decapsulation, the exported response secret, the response AEAD
 * key and nonce, and the encapsulated response; the Binary HTTP messages inside decode to
 * GET https://example.com/ and 200.
 */
#include <stdlib.h>

#include "lib/vectors.h"
#include "ohttp/bhttp.h"
#include "ohttp/ohttp.h"
#include "unit/test.h"

static oe_json_t *load(void)
{
    return oe_test_vectors_load("rfc9458-appendix-a.json");
}

/* The gateway's key of the example (key id 1, AES-128-GCM) from skR. */
static void vector_key(const oe_json_t *v, oe_ohttp_key_t *key)
{
    size_t skR_len, pkR_len;
    uint8_t *skR = oe_test_vectors_hex(v, "skR", &skR_len),
            *pkR = oe_test_vectors_hex(v, "pkR", &pkR_len);
    memset(key, 0, sizeof(*key));
    key->key_id = 1;
    key->suite = (oe_hpke_suite_t){OE_HPKE_KEM_X25519_SHA256, OE_HPKE_KDF_HKDF_SHA256,
                                   OE_HPKE_AEAD_AES128GCM};
    CHECK_INT(oe_hpke_keypair_from_private(&key->kp, skR, skR_len), 0);
    CHECK_MEM(key->kp.pk, sizeof(key->kp.pk), pkR, pkR_len);
    free(skR);
    free(pkR);
}

TEST(ohttp_rfc9458_vector_key_config)
{
    oe_json_t *v = load();
    size_t cfg_len, pkR_len;
    uint8_t *cfg = oe_test_vectors_hex(v, "key_config", &cfg_len),
            *pkR = oe_test_vectors_hex(v, "pkR", &pkR_len);
    oe_ohttp_config_t c;
    CHECK_INT(oe_ohttp_config_decode(&c, cfg, cfg_len), 0);
    CHECK_INT(c.key_id, 1);
    CHECK_INT(c.suite.kem, 0x0020);
    CHECK_INT(c.suite.kdf, 0x0001);
    CHECK_INT(c.suite.aead, 0x0001); /* the first of (1,1) and (1,3) */
    CHECK_MEM(c.pk, sizeof(c.pk), pkR, pkR_len);
    /* Ours offers one symmetric algorithm: the vector's bytes up to its list, then (1,1). */
    oe_ohttp_key_t key;
    vector_key(v, &key);
    uint8_t out[64];
    CHECK_INT(oe_ohttp_config_encode(out, sizeof(out), &key), OE_OHTTP_CONFIG_LEN);
    CHECK_MEM(out, 35, cfg, 35);
    static const uint8_t syms[] = {0x00, 0x04, 0x00, 0x01, 0x00, 0x01};
    CHECK_MEM(out + 35, 6, syms, 6);
    free(cfg);
    free(pkR);
    oe_json_free(v);
}

TEST(ohttp_rfc9458_vector_request_and_response)
{
    oe_json_t *v = load();
    size_t n_req, n_skE, n_pkE, n_info, n_encreq, n_res, n_secret, n_nonce, n_key, n_iv, n_encres;
    uint8_t *req = oe_test_vectors_hex(v, "request", &n_req),
            *skE = oe_test_vectors_hex(v, "skE", &n_skE);
    uint8_t *pkE = oe_test_vectors_hex(v, "pkE", &n_pkE),
            *info = oe_test_vectors_hex(v, "info", &n_info);
    uint8_t *encreq = oe_test_vectors_hex(v, "encapsulated_request", &n_encreq);
    uint8_t *res = oe_test_vectors_hex(v, "response", &n_res);
    uint8_t *secret = oe_test_vectors_hex(v, "exported_secret", &n_secret);
    uint8_t *nonce = oe_test_vectors_hex(v, "response_nonce", &n_nonce);
    uint8_t *aead_key = oe_test_vectors_hex(v, "aead_key", &n_key),
            *aead_iv = oe_test_vectors_hex(v, "aead_nonce", &n_iv);
    uint8_t *encres = oe_test_vectors_hex(v, "encapsulated_response", &n_encres);
    oe_ohttp_key_t key;
    vector_key(v, &key);

    /* The HPKE info: "message/bhttp request", 0, hdr. */
    uint8_t our_info[64];
    size_t our_info_len = oe_ohttp_request_info(our_info, 1, &key.suite);
    CHECK_MEM(our_info, our_info_len, info, n_info);

    /* The client's side with the example's ephemeral key skE: the DH of (skE, pkR) equals that
     * of (skR, pkE), so the receiver's context of enc = pkE is the sender's; sealing under it
     * must give the example's ciphertext. */
    oe_hpke_keypair_t eph;
    CHECK_INT(oe_hpke_keypair_from_private(&eph, skE, n_skE), 0);
    CHECK_MEM(eph.pk, sizeof(eph.pk), pkE, n_pkE);
    oe_hpke_ctx_t ctx;
    CHECK_INT(oe_hpke_setup_base_r(&ctx, &key.suite, pkE, n_pkE, &key.kp,
                                   OE_SLICE(our_info, our_info_len)),
              0);
    uint8_t sealed[256];
    memcpy(sealed, our_info + sizeof("message/bhttp request"), OE_OHTTP_HDR_LEN);
    memcpy(sealed + OE_OHTTP_HDR_LEN, pkE, n_pkE);
    int ct = oe_hpke_seal(&ctx, sealed + OE_OHTTP_HDR_LEN + OE_HPKE_NENC, 200, OE_SLICE(NULL, 0),
                          OE_SLICE(req, n_req));
    CHECK_INT(ct, n_req + OE_HPKE_NT);
    CHECK_MEM(sealed, OE_OHTTP_HDR_LEN + OE_HPKE_NENC + (size_t)ct, encreq, n_encreq);
    oe_hpke_ctx_wipe(&ctx);

    /* The gateway opens it and exports the response secret. */
    uint8_t plain[256];
    oe_ohttp_txn_t txn;
    CHECK_INT(oe_ohttp_request_open(&key, 1, encreq, n_encreq, plain, sizeof(plain), &txn), n_req);
    CHECK_MEM(plain, n_req, req, n_req);
    CHECK_MEM(txn.secret, txn.secret_len, secret, n_secret);
    CHECK_MEM(txn.enc, sizeof(txn.enc), pkE, n_pkE);

    /* The response: AEAD key and nonce, then the sealed bytes, then the client opens them. */
    uint8_t k[OE_HPKE_NK_MAX], iv[OE_HPKE_NN];
    CHECK_INT(oe_ohttp_response_keys(&txn, OE_SLICE(nonce, n_nonce), k, iv), 0);
    CHECK_MEM(k, 16, aead_key, n_key);
    CHECK_MEM(iv, sizeof(iv), aead_iv, n_iv);
    uint8_t out[256];
    int len = oe_ohttp_response_seal_nonce(out, sizeof(out), &txn, OE_SLICE(res, n_res),
                                           OE_SLICE(nonce, n_nonce));
    CHECK_MEM(out, (size_t)(len > 0 ? len : 0), encres, n_encres);
    CHECK_INT(oe_ohttp_response_open(&txn, encres, n_encres, plain, sizeof(plain)), n_res);
    CHECK_MEM(plain, n_res, res, n_res);

    /* The Binary HTTP inside: both truncated after their control data (RFC 9292 §3.8). */
    oe_bhttp_msg_t m;
    oe_bhttp_field_t f[4];
    CHECK_INT(oe_bhttp_decode(&m, req, n_req, f, 4, NULL, 0), 0);
    CHECK_MEM(m.method.base, m.method.len, "GET", 3);
    CHECK_MEM(m.scheme.base, m.scheme.len, "https", 5);
    CHECK_MEM(m.authority.base, m.authority.len, "example.com", 11);
    CHECK_MEM(m.path.base, m.path.len, "/", 1);
    CHECK_INT(m.nfields, 0);
    CHECK_INT(oe_bhttp_decode(&m, res, n_res, f, 4, NULL, 0), 0);
    CHECK_INT(m.status, 200);
    CHECK_INT(m.content.len, 0);

    free(req), free(skE), free(pkE), free(info), free(encreq), free(res), free(secret);
    free(nonce), free(aead_key), free(aead_iv), free(encres);
    oe_json_free(v);
}
