/*
 * DNS UPDATE and TSIG hmac-sha256 against a real signer and a real verifier:
 *  - knsupdate 3.2.6 signed an UPDATE (captured by a UDP listener): we verify it, and our builder
 *    plus signer reproduce it byte for byte;
 *  - knotd 3.2.6 (key "update-key", secret below) accepted our signed UPDATE (NOERROR) and answered
 *    with a signed response that we verify; it also answered BADKEY, BADSIG and BADTIME to
 *    requests with a wrong key name, a wrong secret and a clock 1000 s behind.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns.h"
#include "unit/test.h"

#define SECRET                                                                                     \
    "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw==" /* "secret-secret-secret-secret-123" */

#define KNSUPDATE_REQ                                                                              \
    "cdd928000001000100020001046f646f680474657374000006000106746172676574c00c00ff00ff00000000000"  \
    "0c01b004100ff000000000000c01b004100010000012c0010000100000100030268320003000220fb0a757064"    \
    "6174652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b0975e2012c0020c8dc3a96"   \
    "f949801650eb9ea2c88cbad9f8692252081e525b2aca24953eb7535ccdd900000000"
#define KNSUPDATE_TIME 1795782114ULL

#define KNOT_OK_TIME 1795782149ULL
#define KNOT_OK_REQ                                                                                \
    "48fa28000001000100020001046f646f680474657374000006000106746172676574c00c00ff00ff00000000000"  \
    "0c01b004100ff000000000000c01b004100010000012c0017000100000100030268320003000220fb80010003"    \
    "002c010a7570646174652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b097605"     \
    "012c00207b53403d1ccd8078b17d4872b15ab6376c33a6ca463864e09d1ff1e49809a46948fa00000000"
#define KNOT_OK_RESP                                                                               \
    "48faa8000001000000000001046f646f68047465737400000600010a7570646174652d6b65790000fa00ff0000"   \
    "0000003d0b686d61632d7368613235360000006b097605012c002076259b1fe9e2b0e1add3d6856931616328"     \
    "7a0e638e931d9d717098fb675b630348fa00000000"
#define KNOT_BADKEY_RESP                                                                           \
    "48fda8090001000000000001046f646f6804746573740000060001096f746865722d6b65790000fa00ff000000"   \
    "00001d0b686d61632d7368613235360000006b097605012c000048fd00110000"
#define KNOT_BADSIG_RESP                                                                           \
    "4902a8090001000000000001046f646f68047465737400000600010a7570646174652d6b65790000fa00ff0000"   \
    "0000001d0b686d61632d7368613235360000006b097605012c0000490200100000"
#define KNOT_BADTIME_REQ                                                                           \
    "490728000001000100020001046f646f680474657374000006000106746172676574c00c00ff00ff00000000000"  \
    "0c01b004100ff000000000000c01b004100010000012c0017000100000100030268320003000220fb80010003"    \
    "002c010a7570646174652d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b09721d"     \
    "012c0020d35e49b49bf09b70502e59da00952bd762cf161711a54e52d8c6eb07adcfe0a5490700000000"
#define KNOT_BADTIME_RESP                                                                          \
    "4907a8090001000000000001046f646f68047465737400000600010a7570646174652d6b65790000fa00ff0000"   \
    "000000430b686d61632d7368613235360000006b09721d012c00206d85535df3ebf0d836bda8f6fbc47e5e3a5f"   \
    "1754dd8f72f62820de42758d668049070012000600006b097605"

static oe_slice_t unhex(const char *hex)
{
    size_t n;
    uint8_t *p = oe_test_unhex(hex, &n);
    return OE_SLICE(p, n);
}

static void key(oe_dns_tsig_key_t *k, const char *name, const char *secret)
{
    char err[128];
    CHECK_INT(oe_dns_tsig_key_init(k, name, secret, err, sizeof(err)), 0);
}

/* Builds our UPDATE for target.odoh.test. HTTPS 300 <rdata text> and signs it at `now`. */
static size_t build_signed(uint8_t *buf, size_t cap, uint16_t id, const char *rdata_text,
                           uint64_t now, uint8_t mac[OE_DNS_TSIG_MAC_LEN])
{
    static oe_dns_rr_text_t t;
    char line[256], err[128];
    uint8_t zone[OE_DNS_NAME_MAX];
    oe_dns_tsig_key_t k;
    size_t len;
    snprintf(line, sizeof(line), "target.odoh.test. 300 IN HTTPS %s", rdata_text);
    CHECK_INT(oe_dns_rr_from_text(line, &t, err, sizeof(err)), 0);
    int zl = oe_dns_name_from_text("odoh.test.", 10, zone);
    oe_slice_t rd = OE_SLICE(t.rdata, t.rdlen);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(zone, (size_t)zl),
                         .owner = oe_dns_name_wire(t.owner, t.owner_len),
                         .type = OE_DNS_T_HTTPS,
                         .ttl = t.ttl,
                         .rdatas = &rd,
                         .nrdatas = 1};
    CHECK_INT(oe_dns_update_build(buf, cap, &len, id, &u), 0);
    key(&k, "update-key", SECRET);
    CHECK_INT(oe_dns_tsig_sign(buf, &len, cap, &k, now, OE_DNS_TSIG_FUDGE, NULL, 0, mac), 0);
    return len;
}

TEST(dns_update_and_tsig_reproduce_knsupdate)
{
    uint8_t buf[512], mac[OE_DNS_TSIG_MAC_LEN];
    oe_slice_t want = unhex(KNSUPDATE_REQ);
    size_t len =
        build_signed(buf, sizeof(buf), 0xcdd9, "1 . alpn=h2 port=8443", KNSUPDATE_TIME, mac);
    CHECK_MEM(buf, len, want.base, want.len);
}

TEST(dns_tsig_verifies_knsupdate_request)
{
    oe_dns_msg_t m;
    oe_dns_tsig_key_t k;
    key(&k, "Update-Key.", SECRET); /* key names compare case-insensitively */
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNSUPDATE_REQ)), 0);
    CHECK(m.has_tsig);
    CHECK_INT(OE_DNS_OPCODE(m.hdr.flags), OE_DNS_OP_UPDATE);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, NULL, 0, KNSUPDATE_TIME + 10, NULL), 0);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, NULL, 0, KNSUPDATE_TIME + 301, NULL), OE_DNS_EBADTIME);
    key(&k, "update-key", "c2VjcmV0"); /* another secret */
    CHECK_INT(oe_dns_tsig_verify(&m, &k, NULL, 0, KNSUPDATE_TIME, NULL), OE_DNS_EMAC);
    key(&k, "other-key", SECRET);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, NULL, 0, KNSUPDATE_TIME, NULL), OE_DNS_EBADKEY);
}

TEST(dns_tsig_knot_accepted_our_update_and_we_verify_its_answer)
{
    uint8_t buf[512], mac[OE_DNS_TSIG_MAC_LEN];
    oe_slice_t want = unhex(KNOT_OK_REQ);
    size_t len = build_signed(buf, sizeof(buf), 0x48fa,
                              "1 . alpn=h2 port=8443 key32769=\"\\000,\\001\"", KNOT_OK_TIME, mac);
    CHECK_MEM(buf, len, want.base, want.len);

    oe_dns_msg_t m;
    oe_dns_tsig_key_t k;
    uint16_t terr = 99;
    key(&k, "update-key", SECRET);
    oe_slice_t resp = unhex(KNOT_OK_RESP);
    CHECK_INT(oe_dns_msg_parse(&m, resp), 0);
    CHECK_INT(m.rcode, OE_DNS_R_NOERROR);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME + 1, &terr), 0);
    CHECK_INT(terr, 0);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME + 1000, NULL),
              OE_DNS_EBADTIME);
    /* The request MAC is part of the response MAC. */
    mac[0] ^= 1;
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME, NULL), OE_DNS_EMAC);
    mac[0] ^= 1;
    /* Any flipped bit of the signed part is caught, except in the ID, which the MAC replaces by
     * the original ID (RFC 8945 §4.3.2). */
    uint8_t *copy = malloc(resp.len);
    for (size_t i = 0; i < m.tsig_off; i++) {
        oe_dns_msg_t t;
        memcpy(copy, resp.base, resp.len);
        copy[i] ^= 0x01;
        if (oe_dns_msg_parse(&t, OE_SLICE(copy, resp.len)) < 0)
            continue;
        CHECK_INT(oe_dns_tsig_verify(&t, &k, mac, sizeof(mac), KNOT_OK_TIME, NULL),
                  i < 2 ? 0 : OE_DNS_EMAC);
    }
    free(copy);
}

TEST(dns_tsig_distinct_errors_from_knot)
{
    oe_dns_msg_t m;
    oe_dns_tsig_key_t k;
    uint8_t mac[OE_DNS_TSIG_MAC_LEN] = {0};
    uint16_t terr;
    key(&k, "other-key", SECRET);
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_BADKEY_RESP)), 0);
    CHECK_INT(m.rcode, OE_DNS_R_NOTAUTH);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME, &terr), OE_DNS_EBADKEY);
    CHECK_INT(terr, OE_DNS_R_BADKEY);

    key(&k, "update-key", "c2VjcmV0");
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_BADSIG_RESP)), 0);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME, &terr), OE_DNS_EBADSIG);
    CHECK_INT(terr, OE_DNS_R_BADSIG);

    /* BADTIME is signed: its MAC covers our request's MAC. */
    oe_dns_msg_t req;
    oe_slice_t rq = unhex(KNOT_BADTIME_REQ);
    CHECK_INT(oe_dns_msg_parse(&req, rq), 0);
    memcpy(mac, rq.base + rq.len - 6 - OE_DNS_TSIG_MAC_LEN, OE_DNS_TSIG_MAC_LEN);
    key(&k, "update-key", SECRET);
    CHECK_INT(oe_dns_msg_parse(&m, unhex(KNOT_BADTIME_RESP)), 0);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME, &terr), OE_DNS_EBADTIME);
    CHECK_INT(terr, OE_DNS_R_BADTIME);
    mac[5] ^= 1;
    CHECK_INT(oe_dns_tsig_verify(&m, &k, mac, sizeof(mac), KNOT_OK_TIME, NULL), OE_DNS_EMAC);
}

TEST(dns_tsig_unsigned_response_and_bad_keys)
{
    oe_dns_msg_t m;
    oe_dns_tsig_key_t k;
    char err[128];
    key(&k, "update-key", SECRET);
    CHECK_INT(oe_dns_msg_parse(&m, unhex("48faa8000000000000000000")), 0);
    CHECK_INT(oe_dns_tsig_verify(&m, &k, NULL, 0, 0, NULL), OE_DNS_EUNSIGNED);
    CHECK_INT(oe_dns_tsig_key_init(&k, "k", "not base64!", err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "TSIG secret is not base64 of 1..128 octets");
    CHECK_INT(oe_dns_tsig_key_init(&k, "a..b", SECRET, err, sizeof(err)), OE_EFORMAT);
    CHECK_STR(err, "bad TSIG key name \"a..b\"");
}

TEST(dns_tsig_sign_espace_leaves_message_alone)
{
    uint8_t buf[64] = {0x12, 0x34, 0x28, 0}, before[64];
    size_t len = 12;
    oe_dns_tsig_key_t k;
    key(&k, "update-key", SECRET);
    memcpy(before, buf, sizeof(buf));
    CHECK_INT(oe_dns_tsig_sign(buf, &len, sizeof(buf), &k, 1, 300, NULL, 0, NULL), OE_ESPACE);
    CHECK_INT(len, 12);
    CHECK_MEM(buf, sizeof(buf), before, sizeof(before));
}

TEST(dns_update_rejects_owner_outside_zone)
{
    uint8_t buf[256], zone[OE_DNS_NAME_MAX], owner[OE_DNS_NAME_MAX];
    size_t len;
    int zl = oe_dns_name_from_text("odoh.test", 9, zone);
    int ol = oe_dns_name_from_text("odoh.example", 12, owner);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(zone, (size_t)zl),
                         .owner = oe_dns_name_wire(owner, (size_t)ol),
                         .type = OE_DNS_T_HTTPS};
    CHECK_INT(oe_dns_update_build(buf, sizeof(buf), &len, 1, &u), OE_EINVAL);
}

TEST(dns_update_without_prerequisite_for_acme_challenge_names)
{
    /* DNS-01 (modules/acme) sets _acme-challenge names that need not exist yet: no "name in
     * use" prerequisite (PRCOUNT 0), then delete + add of the TXT RRset (UPCOUNT 2). */
    uint8_t buf[256], zone[OE_DNS_NAME_MAX], owner[OE_DNS_NAME_MAX];
    size_t len;
    int zl = oe_dns_name_from_text("acme.test", 9, zone);
    int ol = oe_dns_name_from_text("_acme-challenge.w.acme.test", 27, owner);
    const uint8_t txt[] = "\x03"
                          "abc";
    oe_slice_t rd = OE_SLICE(txt, 4);
    oe_dns_update_t u = {.zone = oe_dns_name_wire(zone, (size_t)zl),
                         .owner = oe_dns_name_wire(owner, (size_t)ol),
                         .type = OE_DNS_T_TXT,
                         .ttl = 60,
                         .rdatas = &rd,
                         .nrdatas = 1,
                         .no_prereq = true};
    CHECK_INT(oe_dns_update_build(buf, sizeof(buf), &len, 7, &u), 0);
    CHECK_INT(oe_get16(buf + 4), 1); /* ZOCOUNT */
    CHECK_INT(oe_get16(buf + 6), 0); /* PRCOUNT */
    CHECK_INT(oe_get16(buf + 8), 2); /* UPCOUNT */
    u.no_prereq = false;
    CHECK_INT(oe_dns_update_build(buf, sizeof(buf), &len, 7, &u), 0);
    CHECK_INT(oe_get16(buf + 6), 1);
}
