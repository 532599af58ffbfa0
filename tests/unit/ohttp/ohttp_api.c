/*
 * Encapsulation beyond the vector: round trips with each AEAD, every truncation of a request,
 * an unknown key id and a suite the key does not offer (OE_EKEYID: the gateway's "ohttp-key"
 * problem), tampering (OE_EAUTH), key configuration lists with entries to skip and broken
 * lengths.
 */
#include <stdlib.h>

#include "ohttp/ohttp.h"
#include "unit/test.h"

static void make_key(oe_ohttp_key_t *k, uint8_t id, uint16_t aead, const char *seed)
{
    CHECK_INT(oe_ohttp_key_from_seed(k, id, aead, (const uint8_t *)seed, strlen(seed)), 0);
}

static void config_of(oe_ohttp_config_t *c, const oe_ohttp_key_t *k)
{
    uint8_t buf[64];
    int n = oe_ohttp_config_encode(buf, sizeof(buf), k);
    CHECK_INT(oe_ohttp_config_decode(c, buf, (size_t)n), 0);
}

TEST(ohttp_round_trip_each_aead)
{
    static const uint16_t aeads[] = {OE_HPKE_AEAD_AES128GCM, OE_HPKE_AEAD_AES256GCM,
                                     OE_HPKE_AEAD_CHACHA20POLY1305};
    for (size_t i = 0; i < 3; i++) {
        oe_ohttp_key_t keys[2];
        make_key(&keys[0], 7, aeads[i], "other");
        make_key(&keys[1], 8, aeads[i], "gateway");
        oe_ohttp_config_t c;
        config_of(&c, &keys[1]);
        uint8_t msg[256], plain[256], res[256];
        oe_ohttp_txn_t ct, gt;
        int n = oe_ohttp_request_seal(msg, sizeof(msg), &ct, &c, OE_SLICE("hello", 5),
                                      oe_crypto_random, NULL);
        CHECK_INT(n, OE_OHTTP_REQUEST_OVERHEAD + 5);
        CHECK_INT(oe_ohttp_request_open(keys, 2, msg, (size_t)n, plain, sizeof(plain), &gt), 5);
        CHECK_MEM(plain, 5, "hello", 5);
        CHECK_MEM(gt.secret, gt.secret_len, ct.secret, ct.secret_len);
        int r = oe_ohttp_response_seal(res, sizeof(res), &gt, OE_SLICE("world!", 6),
                                       oe_crypto_random, NULL);
        CHECK_INT(r, gt.secret_len + 6 + OE_HPKE_NT);
        CHECK_INT(oe_ohttp_response_open(&ct, res, (size_t)r, plain, sizeof(plain)), 6);
        CHECK_MEM(plain, 6, "world!", 6);
        /* Truncated responses and a flipped bit. */
        for (int len = 0; len < gt.secret_len + OE_HPKE_NT; len++)
            CHECK_INT(oe_ohttp_response_open(&ct, res, (size_t)len, plain, sizeof(plain)),
                      OE_ETRUNC);
        res[r - 1] ^= 1;
        CHECK_INT(oe_ohttp_response_open(&ct, res, (size_t)r, plain, sizeof(plain)), OE_EAUTH);
    }
}

TEST(ohttp_request_truncated_wrong_key_tampered)
{
    oe_ohttp_key_t key;
    make_key(&key, 1, OE_HPKE_AEAD_AES128GCM, "gw");
    oe_ohttp_config_t c;
    config_of(&c, &key);
    uint8_t msg[256], plain[256];
    oe_ohttp_txn_t txn;
    int n = oe_ohttp_request_seal(msg, sizeof(msg), &txn, &c, OE_SLICE("abc", 3), oe_crypto_random,
                                  NULL);
    for (int len = 0; len < OE_OHTTP_REQUEST_OVERHEAD; len++)
        CHECK_INT(oe_ohttp_request_open(&key, 1, msg, (size_t)len, plain, sizeof(plain), &txn),
                  OE_ETRUNC);
    /* A cut inside the ciphertext fails authentication. */
    CHECK_INT(oe_ohttp_request_open(&key, 1, msg, (size_t)n - 1, plain, sizeof(plain), &txn),
              OE_EAUTH);
    uint8_t bad[256];
    memcpy(bad, msg, (size_t)n);
    bad[0] = 2; /* key id */
    CHECK_INT(oe_ohttp_request_open(&key, 1, bad, (size_t)n, plain, sizeof(plain), &txn),
              OE_EKEYID);
    memcpy(bad, msg, (size_t)n);
    bad[6] = 3; /* AEAD the key does not offer */
    CHECK_INT(oe_ohttp_request_open(&key, 1, bad, (size_t)n, plain, sizeof(plain), &txn),
              OE_EKEYID);
    memcpy(bad, msg, (size_t)n);
    bad[20] ^= 0x80; /* enc */
    CHECK(oe_ohttp_request_open(&key, 1, bad, (size_t)n, plain, sizeof(plain), &txn) < 0);
    memcpy(bad, msg, (size_t)n);
    bad[n - 1] ^= 1; /* tag */
    CHECK_INT(oe_ohttp_request_open(&key, 1, bad, (size_t)n, plain, sizeof(plain), &txn), OE_EAUTH);
    CHECK_INT(oe_ohttp_request_open(&key, 0, msg, (size_t)n, plain, sizeof(plain), &txn),
              OE_EKEYID);
}

TEST(ohttp_configs_list)
{
    oe_ohttp_key_t k[2];
    make_key(&k[0], 10, OE_HPKE_AEAD_AES128GCM, "a");
    make_key(&k[1], 11, OE_HPKE_AEAD_CHACHA20POLY1305, "b");
    uint8_t buf[256];
    int n = oe_ohttp_configs_encode(buf, sizeof(buf), k, 2);
    CHECK_INT(n, 2 * (2 + OE_OHTTP_CONFIG_LEN));
    oe_ohttp_config_t out[2];
    CHECK_INT(oe_ohttp_configs_decode(buf, (size_t)n, out, 2), 2);
    CHECK_INT(out[0].key_id, 10);
    CHECK_INT(out[1].suite.aead, OE_HPKE_AEAD_CHACHA20POLY1305);
    /* A P-256 configuration (unknown KEM) between two usable ones is skipped. */
    uint8_t list[512], *p = list;
    memcpy(p, buf, 2 + OE_OHTTP_CONFIG_LEN);
    p += 2 + OE_OHTTP_CONFIG_LEN;
    p = oe_put16(p, 1 + 2 + 65 + 2 + 4);
    *p++ = 12;
    p = oe_put16(p, 0x0010);
    memset(p, 4, 65);
    p += 65;
    p = oe_put16(p, 4);
    p = oe_put16(p, 1);
    p = oe_put16(p, 1);
    memcpy(p, buf + 2 + OE_OHTTP_CONFIG_LEN, 2 + OE_OHTTP_CONFIG_LEN);
    p += 2 + OE_OHTTP_CONFIG_LEN;
    CHECK_INT(oe_ohttp_configs_decode(list, (size_t)(p - list), out, 2), 2);
    CHECK_INT(out[1].key_id, 11);
    /* Lengths that lie. */
    CHECK_INT(oe_ohttp_configs_decode(buf, (size_t)n - 1, out, 2), OE_ETRUNC);
    CHECK_INT(oe_ohttp_configs_decode(buf, 0, out, 2), OE_EFORMAT);
    buf[1]++; /* first config claims one byte more than it holds: the list misparses */
    CHECK(oe_ohttp_configs_decode(buf, (size_t)n, out, 2) < 0);
    buf[1]--;
    buf[2 + 1 + 2 + 32 + 1] = 3; /* symmetric list length 3: odd */
    CHECK_INT(oe_ohttp_configs_decode(buf, (size_t)n, out, 2), OE_EFORMAT);
    /* Export-only is never chosen. */
    oe_ohttp_config_t c;
    make_key(&k[0], 1, OE_HPKE_AEAD_AES128GCM, "c");
    int len = oe_ohttp_config_encode(buf, sizeof(buf), &k[0]);
    oe_put16(buf + len - 2, 0xffff);
    CHECK_INT(oe_ohttp_config_decode(&c, buf, (size_t)len), OE_EUNSUPPORTED);
}
