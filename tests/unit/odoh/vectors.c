/*
 * RFC 9230 vectors published with Cloudflare's odoh-go: one config and 16 transactions. The
 * target side is checked byte for byte in both directions (open each query, seal each response
 * with the vector's response nonce and compare, open it again as the client). The vectors do not
 * carry the client's ephemeral keys, so the client's query sealing is checked by round trip.
 */
#include <stdlib.h>

#include "lib/vectors.h"
#include "odoh/odoh.h"
#include "unit/test.h"

static oe_json_t *load(void)
{
    oe_json_t *doc = oe_test_vectors_load("rfc9230-odoh-test-vectors.json");
    CHECK(doc->type == OE_JSON_ARRAY && doc->len == 1);
    return doc;
}

/* One transaction of the vector file: the DNS query and response, their sealed forms and the
 * padding lengths used. */
typedef struct tx {
    uint8_t *q, *r, *oq, *orsp;
    size_t q_len, r_len, oq_len, or_len, qpad, rpad;
} tx_t;

static tx_t tx_load(const oe_json_t *t)
{
    tx_t x;
    x.q = oe_test_vectors_hex(t, "query", &x.q_len);
    x.r = oe_test_vectors_hex(t, "response", &x.r_len);
    x.oq = oe_test_vectors_hex(t, "obliviousQuery", &x.oq_len);
    x.orsp = oe_test_vectors_hex(t, "obliviousResponse", &x.or_len);
    x.qpad = (size_t)oe_test_vectors_int(t, "queryPaddingLength");
    x.rpad = (size_t)oe_test_vectors_int(t, "responsePaddingLength");
    return x;
}

static void tx_free(tx_t *x)
{
    free(x->q);
    free(x->r);
    free(x->oq);
    free(x->orsp);
}

TEST(odoh_rfc9230_vector_config_and_key_id)
{
    oe_json_t *doc = load();
    const oe_json_t *v = oe_json_at(doc, 0);
    size_t cfgs_len, seed_len, kid_len;
    uint8_t *cfgs = oe_test_vectors_hex(v, "odohconfigs", &cfgs_len);
    uint8_t *seed = oe_test_vectors_hex(v, "public_key_seed", &seed_len);
    uint8_t *kid = oe_test_vectors_hex(v, "key_id", &kid_len);
    oe_odoh_config_t cfg[2];
    oe_odoh_key_t key;
    uint8_t out[128];

    CHECK_INT(cfgs_len, 2 + OE_ODOH_CONFIG_LEN);
    CHECK_INT(oe_odoh_configs_decode(cfgs, cfgs_len, cfg, 2), 1);
    CHECK_INT(cfg[0].suite.kem, oe_test_vectors_int(v, "kem_id"));
    CHECK_INT(cfg[0].suite.kdf, oe_test_vectors_int(v, "kdf_id"));
    CHECK_INT(cfg[0].suite.aead, oe_test_vectors_int(v, "aead_id"));
    CHECK_MEM(cfg[0].key_id, sizeof(cfg[0].key_id), kid, kid_len);
    CHECK_INT(oe_odoh_configs_encode(out, sizeof(out), cfg, 1), cfgs_len);
    CHECK_MEM(out, cfgs_len, cfgs, cfgs_len);

    CHECK_INT(oe_odoh_key_from_seed(&key, cfg[0].suite.aead, seed, seed_len), 0);
    CHECK_MEM(key.config.pk, sizeof(key.config.pk), cfg[0].pk, sizeof(cfg[0].pk));
    CHECK_MEM(key.config.key_id, sizeof(key.config.key_id), kid, kid_len);
    CHECK_INT(oe_odoh_configs_encode(out, sizeof(out), &key.config, 1), cfgs_len);
    CHECK_MEM(out, cfgs_len, cfgs, cfgs_len);

    oe_odoh_key_wipe(&key);
    free(cfgs);
    free(seed);
    free(kid);
    oe_json_free(doc);
}

TEST(odoh_rfc9230_vector_transactions)
{
    oe_json_t *doc = load();
    const oe_json_t *v = oe_json_at(doc, 0);
    const oe_json_t *txs = oe_json_get(v, "transactions");
    size_t seed_len;
    uint8_t *seed = oe_test_vectors_hex(v, "public_key_seed", &seed_len);
    oe_odoh_key_t keys[3];
    int done = 0;

    /* The vector's key among others, so the lookup has something to skip. */
    CHECK_INT(oe_odoh_key_from_seed(&keys[0], OE_HPKE_AEAD_AES128GCM, (const uint8_t *)"k0", 2), 0);
    CHECK_INT(oe_odoh_key_from_seed(&keys[1], OE_HPKE_AEAD_AES128GCM, seed, seed_len), 0);
    CHECK_INT(oe_odoh_key_from_seed(&keys[2], OE_HPKE_AEAD_AES128GCM, (const uint8_t *)"k2", 2), 0);
    CHECK(txs != NULL && txs->type == OE_JSON_ARRAY);
    for (size_t i = 0; i < txs->len; i++) {
        tx_t x = tx_load(oe_json_at(txs, i));
        uint8_t plain[1024], sealed[1024];
        oe_odoh_message_t m;
        oe_odoh_txn_t txn;
        oe_slice_t dns;

        /* Target: open the client's query. */
        CHECK_INT(oe_odoh_query_open(keys, 3, x.oq, x.oq_len, plain, sizeof(plain), &dns, &txn), 0);
        CHECK_MEM(dns.base, dns.len, x.q, x.q_len);
        CHECK(dns.base == plain + 2);
        CHECK_INT(oe_get16(plain + 2 + x.q_len), x.qpad);

        /* Target: seal the answer with the vector's response nonce; must match exactly. */
        CHECK_INT(oe_odoh_message_decode(&m, x.orsp, x.or_len), 0);
        CHECK_INT(m.type, OE_ODOH_MSG_RESPONSE);
        CHECK_INT(m.key_id.len, 16);
        CHECK_INT(oe_odoh_response_seal_nonce(sealed, sizeof(sealed), &txn, OE_SLICE(x.r, x.r_len),
                                              x.rpad, m.key_id),
                  x.or_len);
        CHECK_MEM(sealed, x.or_len, x.orsp, x.or_len);

        /* Client: open the published response with the transaction state. */
        CHECK_INT(oe_odoh_response_open(&txn, x.orsp, x.or_len, plain, sizeof(plain), &dns), 0);
        CHECK_MEM(dns.base, dns.len, x.r, x.r_len);
        CHECK_INT(oe_get16(plain + 2 + x.r_len), x.rpad);

        oe_odoh_txn_wipe(&txn);
        tx_free(&x);
        done++;
    }
    CHECK_INT(done, 16);
    for (int k = 0; k < 3; k++)
        oe_odoh_key_wipe(&keys[k]);
    free(seed);
    oe_json_free(doc);
}

/* The client direction with a fixed ephemeral key: our sealed query has the exact layout of the
 * vector's (same sizes, same key_id header), the target opens it, and the client opens the
 * target's answer with its own transaction state. */
TEST(odoh_rfc9230_vector_client_round_trip)
{
    oe_json_t *doc = load();
    const oe_json_t *v = oe_json_at(doc, 0);
    const oe_json_t *txs = oe_json_get(v, "transactions");
    size_t seed_len, cfgs_len;
    uint8_t *seed = oe_test_vectors_hex(v, "public_key_seed", &seed_len);
    uint8_t *cfgs = oe_test_vectors_hex(v, "odohconfigs", &cfgs_len);
    oe_odoh_config_t cfg;
    oe_odoh_key_t key;
    static const uint8_t ikmE[32] = {1, 2, 3};

    CHECK_INT(oe_odoh_configs_decode(cfgs, cfgs_len, &cfg, 1), 1);
    CHECK_INT(oe_odoh_key_from_seed(&key, OE_HPKE_AEAD_AES128GCM, seed, seed_len), 0);
    for (size_t i = 0; i < txs->len; i++) {
        tx_t x = tx_load(oe_json_at(txs, i));
        uint8_t msg[1024], plain[1024], ans[1024];
        oe_odoh_txn_t ctxn, ttxn;
        oe_slice_t dns;

        CHECK_INT(oe_odoh_query_seal_derand(msg, sizeof(msg), &ctxn, &cfg, OE_SLICE(x.q, x.q_len),
                                            x.qpad, ikmE, sizeof(ikmE)),
                  x.oq_len);
        CHECK_MEM(msg, 3 + OE_ODOH_KEY_ID_LEN + 2, x.oq, 3 + OE_ODOH_KEY_ID_LEN + 2);
        CHECK_INT(oe_odoh_query_open(&key, 1, msg, x.oq_len, plain, sizeof(plain), &dns, &ttxn), 0);
        CHECK_MEM(dns.base, dns.len, x.q, x.q_len);
        CHECK_INT(oe_odoh_response_seal(ans, sizeof(ans), &ttxn, OE_SLICE(x.r, x.r_len), x.rpad,
                                        oe_crypto_random, NULL),
                  x.or_len);
        CHECK_INT(oe_odoh_response_open(&ctxn, ans, x.or_len, plain, sizeof(plain), &dns), 0);
        CHECK_MEM(dns.base, dns.len, x.r, x.r_len);
        oe_odoh_txn_wipe(&ctxn);
        oe_odoh_txn_wipe(&ttxn);
        tx_free(&x);
    }
    oe_odoh_key_wipe(&key);
    free(seed);
    free(cfgs);
    oe_json_free(doc);
}
