/*
 * The HPKE key lifecycle of the ODoH target: a persistent key store, rotation with overlap, and
 * publication (the target's /.well-known/odohconfigs and HTTPS record, a zone-file snippet, a
 * command, DNS UPDATE with TSIG).
 *
 * Each key has an activation time A and a retirement time R = A + rotate. At time t it is
 *   next      A - publish-ahead <= t < A      published (after the current one) and accepted
 *   current   A <= t < R                      published first and accepted
 *   previous  R <= t < R + grace              accepted only
 *   expired   t >= R + grace                  deleted
 * The target accepts next, current and previous by key_id and answers 401 for anything else.
 */
#ifndef OE_KEYS_H
#define OE_KEYS_H

#include <stdint.h>

#include "odoh/odoh.h"

typedef enum oe_key_state {
    OE_KEY_FUTURE = 0, /* created early, not yet published */
    OE_KEY_NEXT,
    OE_KEY_CURRENT,
    OE_KEY_PREVIOUS,
    OE_KEY_EXPIRED,
} oe_key_state_t;

typedef struct oe_key_entry {
    uint8_t seed[32]; /* secret: DeriveKeyPair input */
    uint16_t aead;
    int64_t created, activate, retire; /* unix milliseconds */
    oe_odoh_key_t key;                 /* derived from seed */
    /* The one-byte OHTTP key identifier (RFC 9458 §3.1) of this key's OHTTP twin (see
     * oe_key_ohttp_ikm). Keys get consecutive ids in the order they are made (fleet mode: the
     * epoch mod 256), and they expire in that order too, so the keys alive at once (at most
     * KEYS_STORE_MAX = 256) never share one. */
    uint8_t ohttp_id;
} oe_key_entry_t;

typedef struct oe_key_schedule {
    int64_t rotate, publish_ahead, grace; /* milliseconds */
} oe_key_schedule_t;

/* The state of key e at time now under schedule s. */
oe_key_state_t oe_key_state(const oe_key_entry_t *e, const oe_key_schedule_t *s, int64_t now);
const char *oe_key_state_name(oe_key_state_t st);

/* Fleet mode: the key of epoch n (activate n*rotate) derived from a shared seed with HKDF:
 * seed_n = Expand(Extract("odoh-edge key-seed", seed), "odoh-edge epoch" || u64 n, 32), then
 * DeriveKeyPair(seed_n). Every instance with the same seed and schedule derives the same keys. */
int oe_key_derive_epoch(oe_key_entry_t *e, const uint8_t *seed, size_t seed_len, uint16_t aead,
                        int64_t epoch, const oe_key_schedule_t *s);

/* The OHTTP gateway's key of an entry is DeriveKeyPair(ikm) with
 * ikm = Expand(Extract("odoh-edge ohttp", seed), "ohttp key", 32): its own key pair, never the
 * ODoH one, with the entry's schedule. ikm is secret: wipe it. */
int oe_key_ohttp_ikm(uint8_t ikm[32], const oe_key_entry_t *e);

/* Key sets for other users than the ODoH target (the OHTTP gateway): fn is called on the main
 * thread with the accepted entries (the published ones first: current then next; then the
 * previous ones), npub, and the max-age for the published list, once at registration and after
 * every change. The entries are borrowed for the call. keys is the keys module's runtime state
 * (oe_modctx_peer); fn stays registered until that state is destroyed. */
typedef void (*oe_keys_listener_fn)(void *arg, const oe_key_entry_t *const *entries, size_t n,
                                    size_t npub, uint64_t max_age);
void oe_keys_listen(void *keys, oe_keys_listener_fn fn, void *arg);

#endif
