/*
 * HPKE (RFC 9180), base mode only, over the crypto module's primitives. No I/O, no heap of our
 * own.
 *
 * Suite: DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, and the AEADs AES-128-GCM 0x0001,
 * AES-256-GCM 0x0002, ChaCha20-Poly1305 0x0003 or export-only 0xFFFF.
 *
 * Typical use:
 *
 *     oe_hpke_ctx_t c;
 *     uint8_t enc[OE_HPKE_NENC];
 *     rc = oe_hpke_setup_base_s(&c, enc, &suite, pkR, sizeof(pkR), info, oe_crypto_random,
 * NULL); n = oe_hpke_seal(&c, ct, sizeof(ct), aad, pt, pt_len);     // ct = pt | tag
 *     oe_hpke_ctx_wipe(&c);
 *
 * Every function returns 0 (or a byte count) on success and a negative OE_E* code on failure;
 * outputs are undefined after a failure, and secrets are never left in them or on our stack.
 * Contexts and key pairs are plain structs the caller owns; they hold no pointers, so they may be
 * copied, and they must be wiped (oe_hpke_ctx_wipe, oe_hpke_keypair_wipe) when done.
 * A context is not safe for concurrent Seal/Open from two threads (the sequence number).
 */
#ifndef OE_HPKE_HPKE_H
#define OE_HPKE_HPKE_H

#include "core/oe.h"
#include "crypto/crypto.h"

/* Identifiers, RFC 9180 §7. */
#define OE_HPKE_MODE_BASE             0x00
#define OE_HPKE_KEM_X25519_SHA256     0x0020
#define OE_HPKE_KDF_HKDF_SHA256       0x0001
#define OE_HPKE_AEAD_AES128GCM        0x0001
#define OE_HPKE_AEAD_AES256GCM        0x0002
#define OE_HPKE_AEAD_CHACHA20POLY1305 0x0003
#define OE_HPKE_AEAD_EXPORT_ONLY      0xFFFF

/* Sizes for this KEM and KDF (RFC 9180 §7.1, §7.2) and the largest AEAD values (§7.3). */
#define OE_HPKE_NSECRET 32
#define OE_HPKE_NENC    32
#define OE_HPKE_NPK     32
#define OE_HPKE_NSK     32
#define OE_HPKE_NH      32
#define OE_HPKE_NK_MAX  32
#define OE_HPKE_NN      12
#define OE_HPKE_NT      16
/* Largest Export() length L: 255 * Nh (RFC 9180 §7.2.1 via HKDF-Expand). */
#define OE_HPKE_EXPORT_MAX (255 * OE_HPKE_NH)

/* Randomness source: fills out[0..len) and returns 0, or nonzero on failure. In production it is
 * oe_crypto_random; the tests pass deterministic ones. */
typedef oe_crypto_rng_fn oe_hpke_rng_fn;

typedef struct oe_hpke_suite {
    uint16_t kem;
    uint16_t kdf;
    uint16_t aead;
} oe_hpke_suite_t;

/* 0 if this module implements the suite, else OE_EUNSUPPORTED. */
int oe_hpke_suite_check(const oe_hpke_suite_t *suite);
/* Nk and Nn of an AEAD id (0 for export-only), or OE_EUNSUPPORTED. */
int oe_hpke_aead_nk(uint16_t aead);
int oe_hpke_aead_nn(uint16_t aead);

/* A DHKEM(X25519) key pair. sk is the private key as DeriveKeyPair produces it (X25519 clamps
 * at use, RFC 7748 §5); pk = SerializePublicKey(pk), 32 bytes. Secret: wipe when done. */
typedef struct oe_hpke_keypair {
    uint8_t sk[OE_HPKE_NSK];
    uint8_t pk[OE_HPKE_NPK];
} oe_hpke_keypair_t;

/* DeriveKeyPair(ikm), RFC 9180 §7.1.3. ikm is borrowed for the call. */
int oe_hpke_derive_keypair(oe_hpke_keypair_t *kp, const uint8_t *ikm, size_t ikm_len);
/* GenerateKeyPair: DeriveKeyPair over Nsk fresh random bytes. OE_ECRYPTO if rng fails. */
int oe_hpke_generate_keypair(oe_hpke_keypair_t *kp, oe_hpke_rng_fn rng, void *rng_arg);
/* DeserializePrivateKey (RFC 9180 §7.1.2: clamps its input) and the matching public key.
 * OE_EFORMAT unless sk_len == Nsk. */
int oe_hpke_keypair_from_private(oe_hpke_keypair_t *kp, const uint8_t *sk, size_t sk_len);
/* SerializePrivateKey (clamped, RFC 9180 §7.1.2) into out[Nsk]. */
void oe_hpke_serialize_private_key(uint8_t out[OE_HPKE_NSK], const oe_hpke_keypair_t *kp);
/* DeserializePublicKey: OE_EFORMAT unless len == Npk. X25519 public keys are their bytes. */
int oe_hpke_check_public_key(const uint8_t *pk, size_t len);
void oe_hpke_keypair_wipe(oe_hpke_keypair_t *kp);

/* Raw X25519 (RFC 7748 §5): out = sk * pk. OE_ECRYPTO when the result is all zero (pk of small
 * order, RFC 9180 §7.1.4), which callers must treat as a failed decapsulation. */
int oe_hpke_x25519(uint8_t out[32], const uint8_t sk[32], const uint8_t pk[32]);

/* Which X25519 code computes the DH (oe_crypto_set_x25519_impl): our own (crypto/x25519.c, the
 * default on 64-bit targets; Everest where there is no 128-bit product), Everest/HACL* (the
 * default elsewhere) or mbedtls' generic ECP code. Process-wide; meant for the benchmark, which
 * compares them in one run. Results are identical, except that the generic code also rejects
 * some non-canonical public keys with OE_ECRYPTO. */
enum { OE_HPKE_X25519_EVEREST = 0, OE_HPKE_X25519_GENERIC = 1, OE_HPKE_X25519_OWN = 2 };
void oe_hpke_set_x25519_impl(int impl);

/* Encap/Decap of DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1. encap_derand takes the ephemeral key
 * as DeriveKeyPair(ikmE) (what the test vectors fix); encap draws ikmE from rng. */
int oe_hpke_encap(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                  const uint8_t *pkR, size_t pkR_len, oe_hpke_rng_fn rng, void *rng_arg);
int oe_hpke_encap_derand(uint8_t shared_secret[OE_HPKE_NSECRET], uint8_t enc[OE_HPKE_NENC],
                         const uint8_t *pkR, size_t pkR_len, const uint8_t *ikmE, size_t ikmE_len);
int oe_hpke_decap(uint8_t shared_secret[OE_HPKE_NSECRET], const uint8_t *enc, size_t enc_len,
                  const oe_hpke_keypair_t *kpR);

/* An encryption context (RFC 9180 §5.1): the fields are readable (tests check them against the
 * vectors) but only this module writes them. Secret: wipe with oe_hpke_ctx_wipe. */
typedef struct oe_hpke_ctx {
    oe_hpke_suite_t suite;
    uint8_t nk; /* key length, 0 for export-only */
    uint8_t key[OE_HPKE_NK_MAX];
    uint8_t base_nonce[OE_HPKE_NN];
    uint8_t exporter_secret[OE_HPKE_NH];
    /* Sequence number of the next Seal/Open. The RFC bounds it by 2^(8*Nn) - 1; we bound it by
     * 2^64 - 1, which no sender reaches, and fail with OE_EOVERFLOW rather than wrap. */
    uint64_t seq;
} oe_hpke_ctx_t;

/* KeySchedule(mode_base, shared_secret, info, "", ""), RFC 9180 §5.1. */
int oe_hpke_key_schedule(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite,
                         const uint8_t shared_secret[OE_HPKE_NSECRET], oe_slice_t info);

/* SetupBaseS (RFC 9180 §5.1.1): writes enc[Nenc] and the sender context. pkR and info are
 * borrowed for the call. Errors: OE_EUNSUPPORTED, OE_EFORMAT (pkR length), OE_ECRYPTO (rng or
 * a small-order pkR). */
int oe_hpke_setup_base_s(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                         const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                         oe_slice_t info, oe_hpke_rng_fn rng, void *rng_arg);
/* SetupBaseS with the ephemeral key pair DeriveKeyPair(ikmE), for test vectors only: a fixed
 * ephemeral key in production breaks HPKE's security. */
int oe_hpke_setup_base_s_derand(oe_hpke_ctx_t *ctx, uint8_t enc[OE_HPKE_NENC],
                                const oe_hpke_suite_t *suite, const uint8_t *pkR, size_t pkR_len,
                                oe_slice_t info, const uint8_t *ikmE, size_t ikmE_len);
/* SetupBaseR (RFC 9180 §5.1.1). Errors: OE_EUNSUPPORTED, OE_EFORMAT (enc length), OE_ECRYPTO
 * (small-order enc). */
int oe_hpke_setup_base_r(oe_hpke_ctx_t *ctx, const oe_hpke_suite_t *suite, const uint8_t *enc,
                         size_t enc_len, const oe_hpke_keypair_t *kpR, oe_slice_t info);

/* Seal (RFC 9180 §5.2): writes pt_len + Nt bytes (ciphertext, then tag) to out and returns that
 * count. out may equal pt.base exactly (in place); no other overlap. The sequence number advances
 * only on success. Errors: OE_ESPACE (cap), OE_EOVERFLOW (sequence number or length exhausted),
 * OE_EUNSUPPORTED (export-only context), OE_ECRYPTO. */
int oe_hpke_seal(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t pt);
/* Open (RFC 9180 §5.2): writes ct_len - Nt bytes and returns that count; out may equal ct.base.
 * Errors: OE_ETRUNC (ct shorter than the tag), OE_EAUTH (authentication failed; out is zeroed),
 * OE_ESPACE, OE_EOVERFLOW, OE_EUNSUPPORTED. A failed Open does not advance the sequence number. */
int oe_hpke_open(oe_hpke_ctx_t *ctx, uint8_t *out, size_t cap, oe_slice_t aad, oe_slice_t ct);
/* Export (RFC 9180 §5.3): L bytes (1..OE_HPKE_EXPORT_MAX) of secret into out. */
int oe_hpke_export(const oe_hpke_ctx_t *ctx, uint8_t *out, size_t L, oe_slice_t exporter_context);
void oe_hpke_ctx_wipe(oe_hpke_ctx_t *ctx);

#endif
