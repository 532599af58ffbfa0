/* Internals shared by the units of the keys module. */
#ifndef OE_KEYS_INT_H
#define OE_KEYS_INT_H

#include <uv.h>

#include "core/conf.h"
#include "core/module.h"
#include "keys/keys.h"
#include "odoh_target/target.h"

#define TAG "keys"
/* The store holds at most KEYS_STORE_MAX keys. A schedule may keep at most KEYS_SCHEDULE_MAX at
 * once (checked at config time, see oe_keys__schedule_need); the rest is room for `keys rotate` by
 * hand, which refuses once it would eat into the schedule's share. Every check-interval the whole
 * store is read and each key derived again, which is what bounds these numbers. */
#define KEYS_STORE_MAX    256
#define KEYS_SCHEDULE_MAX 64

typedef struct keys_conf {
    uint64_t rotate, publish_ahead, grace, record_ttl, check_interval; /* ms */
    int aead;
    const char *seed_file; /* fleet mode */
    const char *zone_file;
    const char *on_change;
    const char *record_name;
    oe_sockaddr_t update_server;
    bool has_update_server;
    const char *update_zone;
    const char *tsig_name, *tsig_secret, *tsig_secret_file;
    uint64_t update_timeout;
    bool update_tcp;
    unsigned line;
} keys_conf_t;

/* The lifecycle state: the key store's contents and what was last published. */
typedef struct keys {
    const keys_conf_t *conf;
    oe_conf_t *cf;
    oe_odoh_target_t *target; /* NULL in the command-line tools */
    const char *dir;          /* STATE/keys */
    oe_key_schedule_t sched;
    oe_key_entry_t entries[KEYS_STORE_MAX];
    size_t n;
    uint8_t fleet_seed[64];
    size_t fleet_seed_len;
    uint8_t published_ids[4][OE_ODOH_KEY_ID_LEN]; /* the last published config list */
    size_t npublished;
    uint8_t accepted_ids[KEYS_STORE_MAX][OE_ODOH_KEY_ID_LEN];
    size_t naccepted;
    uv_loop_t *loop;
    uv_timer_t tick;
    bool store_failed; /* the last write failed: say so once */
    bool holding;      /* oe_keys__hold_newest kept held_id current past its retirement */
    uint8_t held_id[OE_ODOH_KEY_ID_LEN];
    bool load_failed; /* the last load refused a file: say so once */
    struct publisher *pub;
    unsigned port;    /* of the first TLS listener, for the HTTPS record */
    bool ohttp_param; /* [ohttp-gateway] is on the target's site: "ohttp" in the record */
    oe_keys_listener_fn listener; /* the OHTTP gateway (oe_keys_listen), or NULL */
    void *listener_arg;
    uint64_t max_age; /* of the published list, as last computed by apply() */
} keys_t;

/* keys.c. Every function that depends on the time takes it as `now` (unix milliseconds), so
 * the schedule can be driven by a simulated clock; only oe_keys__now() reads the real one. */
int64_t oe_keys__now(void);
/* The most keys schedule s keeps at once: the previous keys within grace (one per rotate), the
 * current one and the next one. */
uint64_t oe_keys__schedule_need(const oe_key_schedule_t *s);
int oe_keys__load(keys_t *k, int64_t now); /* the store (or the fleet epochs) into k->entries */
/* Brings the store in line with the schedule at now: deletes the expired keys, then makes a
 * current key and, from publish-ahead before its retirement, a next one. */
int oe_keys__maintain(keys_t *k, int64_t now, bool *changed);
/* `keys rotate`: the current key retires now and the next one (promoted, or new) takes over.
 * OE_ESPACE when the store has no room left beyond what the schedule itself needs. */
int oe_keys__rotate_now(keys_t *k, int64_t now);
void oe_keys__hold_newest(keys_t *k, int64_t now); /* after a failure: never leave no current key */
int oe_keys__setup(keys_t *k, oe_conf_t *cf, const keys_conf_t *c, const char *state_dir);
/* The published configs (current, then next) as ObliviousDoHConfigs; returns the length. */
size_t oe_keys__configs(const keys_t *k, int64_t now, uint8_t *out, size_t cap);
/* The HTTPS record RDATA for the published configs; returns the length or a negative error. */
int oe_keys__https_rdata(const keys_t *k, const uint8_t *configs, size_t configs_len, uint8_t *out,
                         size_t cap);
const char *oe_keys__record_name(const keys_t *k); /* with the final dot */

/* publish.c */
struct publisher *oe_keys__publisher_new(keys_t *k);
void oe_keys__publisher_free(struct publisher *p);
/* Something published changed: zone file, command, DNS UPDATE (in the background, retried). */
void oe_keys__publish_changed(keys_t *k, const uint8_t *configs, size_t configs_len);
/* At start (and after each reload): publishes the configs unless this process already published
 * exactly them with the same settings, and finished doing so (a reload is not a change). */
void oe_keys__publish_resume(keys_t *k, const uint8_t *configs, size_t configs_len);
/* The zone-file line for the configs (RFC 3597 generic form and key32769 \DDD form). */
void oe_keys__zone_lines(const keys_t *k, const uint8_t *configs, size_t len, oe_buf_t *out);

/* keys_cmd.c */
int oe_keys__command(int argc, char **argv);

#endif
