/* The key store and its schedule, driven by a simulated clock (oe_keys__load and oe_keys__maintain
 * take `now`): thousands of rotation periods of every schedule shape in a fraction of a second,
 * with the real store on disk (in /dev/shm when there is one, so fsync costs nothing). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/module.h"
#include "core/oe.h"
#include "crypto/encode.h"
#include "keys/keys_int.h"
#include "unit/test.h"

#define T0 1800000000000LL /* 2027-01-15, unix ms */

typedef struct sim {
    oe_conf_t *cf;
    keys_conf_t conf;
    keys_t k;
    char state[512];
} sim_t;

static const oe_module_t *const no_modules[] = {NULL};

static void rm_store(const char *state)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/keys", state);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char p[1200];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    rmdir(state);
}

/* A failed check ends the test before sim_close: the next run removes what a dead test left in
 * /dev/shm (the folder names carry the pid). */
static void sweep_shm(void)
{
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        long pid;
        char path[600];
        if (sscanf(e->d_name, "oe-keys-unit-%ld-", &pid) != 1 || pid <= 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
        rm_store(path);
    }
    if (d != NULL)
        closedir(d);
}

static void sim_open(sim_t *s, int64_t rotate, int64_t ahead, int64_t grace)
{
    memset(s, 0, sizeof(*s));
    s->cf = oe_conf_load_buffer_with("t.conf", NULL, "", 0, no_modules);
    s->conf = (keys_conf_t){.rotate = (uint64_t)rotate,
                            .publish_ahead = (uint64_t)ahead,
                            .grace = (uint64_t)grace,
                            .aead = 1,
                            .check_interval = 1000,
                            .record_name = "target.odoh.test"};
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0) {
        sweep_shm();
        snprintf(s->state, sizeof(s->state), "/dev/shm/oe-keys-unit-%ld-XXXXXX", (long)getpid());
        CHECK(mkdtemp(s->state) != NULL);
    } else {
        snprintf(s->state, sizeof(s->state), "%s", oe_test_tmpdir());
    }
    CHECK_INT(oe_keys__setup(&s->k, s->cf, &s->conf, s->state), 0);
}

static void sim_close(sim_t *s)
{
    if (strncmp(s->state, "/dev/shm/", 9) == 0)
        rm_store(s->state);
    oe_conf_free(s->cf);
}

static size_t count_state(const keys_t *k, int64_t now, oe_key_state_t want)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        n += oe_key_state(&k->entries[i], &k->sched, now) == want;
    return n;
}

static const oe_key_entry_t *with_state(const keys_t *k, int64_t now, oe_key_state_t want)
{
    for (size_t i = 0; i < k->n; i++)
        if (oe_key_state(&k->entries[i], &k->sched, now) == want)
            return &k->entries[i];
    return NULL;
}

static bool has_id(const keys_t *k, const uint8_t *id)
{
    for (size_t i = 0; i < k->n; i++)
        if (memcmp(k->entries[i].key.config.key_id, id, OE_ODOH_KEY_ID_LEN) == 0)
            return true;
    return false;
}

/* A key the store held at the previous step: deleted only once expired. */
typedef struct seen {
    uint8_t id[OE_ODOH_KEY_ID_LEN];
    int64_t retire;
} seen_t;

typedef struct shape {
    const char *name;
    int64_t rotate, ahead, grace;
    int64_t periods; /* rotations to simulate */
    int64_t jump;    /* every 500th step the clock jumps this far (a suspended machine), or 0 */
} shape_t;

/* Runs the schedule through sh->periods rotations at steps of about rotate / 4 (a quarter to
 * half of it, at random), reading the store back from disk every 8th step as the server does at
 * each check, and checks after every step:
 *   - oe_keys__maintain succeeds, and exactly one key is current, since its activation
 *   - the store never holds more than oe_keys__schedule_need() keys, and never an expired one
 *   - from publish-ahead before the current key retires, its successor is published as next;
 *     a key becomes current only after it was published as next (when steps are shorter than
 *     publish-ahead)
 *   - a key leaves the store only once its grace is over
 *   - the published list (oe_keys__configs) is the current key, then the next one if any */
static void run_shape(const shape_t *sh)
{
    sim_t s;
    sim_open(&s, sh->rotate, sh->ahead, sh->grace);
    keys_t *k = &s.k;
    uint64_t need = oe_keys__schedule_need(&k->sched);
    CHECK(need <= KEYS_SCHEDULE_MAX);
    seen_t *prev = calloc(KEYS_STORE_MAX, sizeof(*prev));
    size_t nprev = 0;
    uint8_t cur_id[OE_ODOH_KEY_ID_LEN] = {0}, was_next[OE_ODOH_KEY_ID_LEN] = {0};
    bool have_next = false;
    int64_t now = T0, rotations = 0, steps = 0, jumps = 0, announced = 0;
    uint32_t rnd = 12345;
    while (rotations < sh->periods) {
        CHECK(steps < sh->periods * 16);
        if (steps % 8 == 0)
            CHECK_INT(oe_keys__load(k, now), 0);
        bool changed;
        int rc = oe_keys__maintain(k, now, &changed);
        if (rc != 0)
            printf("# %s: oe_keys__maintain at step %lld (%lld rotations, %zu keys): %s\n",
                   sh->name, (long long)steps, (long long)rotations, k->n, oe_strerror(rc));
        CHECK_INT(rc, 0);
        CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
        CHECK_INT(count_state(k, now, OE_KEY_EXPIRED), 0);
        CHECK(k->n <= need);
        const oe_key_entry_t *cur = with_state(k, now, OE_KEY_CURRENT);
        CHECK(cur->activate <= now && now < cur->retire);
        CHECK_INT(cur->retire - cur->activate, sh->rotate);
        const oe_key_entry_t *nx = with_state(k, now, OE_KEY_NEXT);
        if (now >= cur->retire - sh->ahead) {
            CHECK(nx != NULL);
            CHECK_INT(nx->activate, cur->retire);
        }
        CHECK(count_state(k, now, OE_KEY_NEXT) <= 1);
        /* the published list */
        uint8_t configs[512], want[512];
        oe_odoh_config_t cfgs[2] = {cur->key.config, nx ? nx->key.config : cur->key.config};
        int wl = oe_odoh_configs_encode(want, sizeof(want), cfgs, nx ? 2 : 1);
        size_t got = oe_keys__configs(k, now, configs, sizeof(configs));
        CHECK_MEM(configs, got, want, (size_t)wl);
        /* rotations, and the next key announced before it is used */
        if (memcmp(cur_id, cur->key.config.key_id, OE_ODOH_KEY_ID_LEN) != 0) {
            if (steps > 0)
                rotations++;
            if (have_next && memcmp(was_next, cur->key.config.key_id, OE_ODOH_KEY_ID_LEN) == 0)
                announced++;
            memcpy(cur_id, cur->key.config.key_id, OE_ODOH_KEY_ID_LEN);
        }
        have_next = nx != NULL;
        if (nx != NULL)
            memcpy(was_next, nx->key.config.key_id, OE_ODOH_KEY_ID_LEN);
        /* nothing leaves the store before its grace is over */
        for (size_t i = 0; i < nprev; i++)
            if (!has_id(k, prev[i].id) && now < prev[i].retire + sh->grace) {
                printf("# %s: a key left the store %lld ms before its grace ended\n", sh->name,
                       (long long)(prev[i].retire + sh->grace - now));
                CHECK(false);
            }
        nprev = k->n;
        for (size_t i = 0; i < k->n; i++) {
            memcpy(prev[i].id, k->entries[i].key.config.key_id, OE_ODOH_KEY_ID_LEN);
            prev[i].retire = k->entries[i].retire;
        }
        steps++;
        rnd = rnd * 1103515245u + 12345u;
        int64_t step = sh->rotate / 4 + (int64_t)((rnd >> 8) % (uint32_t)(sh->rotate / 4 + 1));
        if (sh->jump > 0 && steps % 500 == 0) {
            step = sh->jump;
            jumps++;
        }
        now += step;
    }
    /* Every rotation but those after a jump (the keys all expired meanwhile, so a fresh key
     * starts) went to a key published as next beforehand, whenever publish-ahead exceeds the
     * longest step. */
    if (sh->ahead > sh->rotate / 2)
        CHECK_INT(announced, rotations - jumps);
    printf("# %s: %lld rotations in %lld steps (%lld announced, %lld jumps), %zu keys at the end "
           "(at most %llu)\n",
           sh->name, (long long)rotations, (long long)steps, (long long)announced, (long long)jumps,
           k->n, (unsigned long long)need);
    free(prev);
    sim_close(&s);
}

#define S  1000LL
#define M  (60 * S)
#define H  (60 * M)
#define MS 1LL

/* Regression (issue 12 item 7): with rotate = 5m and grace = 2h the store needs 26 keys; it held
 * at most 16, and oe_keys__maintain failed while making the new key, before it deleted the expired
 * ones, so one key stayed in force for good. Also every other schedule shape, for thousands of
 * simulated rotations each. */
TEST(keys_schedule_rotates_for_thousands_of_periods)
{
    const shape_t shapes[] = {
        {"defaults 24h/1h/2h", 24 * H, 1 * H, 2 * H, 2000, 0},
        {"issue 12: 5m/2m30s/2h", 5 * M, 150 * S, 2 * H, 3000, 0},
        {"minimum rotate 2s/1s/16s", 2 * S, 1 * S, 16 * S, 3000, 0},
        {"no publish-ahead 1h/0/1s", 1 * H, 0, 1 * S, 2000, 0},
        {"ahead close to rotate 10s/9s/10s", 10 * S, 9 * S, 10 * S, 2000, 0},
        {"the integration tests' 6s/2s/3s", 6 * S, 2 * S, 3 * S, 2000, 0},
        {"the most keys 2s/1s/124s (64 keys)", 2 * S, 1 * S, 124 * S, 2000, 0},
        {"grace shorter than a step 8s/3s/1500ms", 8 * S, 3 * S, 1500 * MS, 2000, 0},
        {"suspended machine 1m/40s/5m", 1 * M, 40 * S, 5 * M, 2000, 17 * M},
    };
    for (size_t i = 0; i < OE_ARRAY_SIZE(shapes); i++)
        run_shape(&shapes[i]);
}

/* Regression (issue 12 item 7): 16 `keys rotate` within grace filled the store for good. Now each
 * rotation by hand works until only the schedule's share is left, then says OE_ESPACE (the
 * schedule itself never stops: one current key at every step), and once the grace of those
 * keys is over the store is back to the schedule's size and `keys rotate` works again. */
TEST(keys_rotate_by_hand_never_stops_the_schedule)
{
    sim_t s;
    sim_open(&s, 5 * M, 150 * S, 2 * H);
    keys_t *k = &s.k;
    int64_t now = T0;
    bool changed;
    CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
    uint64_t need = oe_keys__schedule_need(&k->sched);
    CHECK_INT(need, 26);
    int ok = 0, refused = 0;
    for (int i = 0; i < KEYS_STORE_MAX; i++) {
        now += 1 * S;
        int rc = oe_keys__rotate_now(k, now);
        if (rc == 0) {
            ok++;
            CHECK_INT(refused, 0); /* no success after the first refusal */
        } else {
            CHECK_INT(rc, OE_ESPACE);
            refused++;
        }
        CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
        CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
        CHECK(k->n <= KEYS_STORE_MAX);
    }
    CHECK_INT(ok, KEYS_STORE_MAX - 26 - 1);
    CHECK(refused > 0);
    CHECK_INT(oe_keys__load(k, now), 0); /* the store on disk says the same */
    CHECK_INT(k->n, KEYS_STORE_MAX - 26);
    /* The schedule goes on through the grace of the rotated keys, then they are gone. */
    for (int64_t end = now + 2 * H + 10 * M; now < end; now += 20 * S) {
        CHECK_INT(oe_keys__load(k, now), 0);
        CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
        CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
    }
    CHECK(k->n <= need);
    CHECK_INT(oe_keys__rotate_now(k, now), 0);
    CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
    CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
    sim_close(&s);
}

/* Expired keys go first: a store whose every slot holds an expired key (a machine that was off
 * for a long time) still makes its new key. */
TEST(keys_full_store_of_expired_keys_still_rotates)
{
    sim_t s;
    sim_open(&s, 2 * S, 1 * S, 4 * S);
    keys_t *k = &s.k;
    int64_t now = T0;
    bool changed;
    /* Fill the store by hand-rotating far in the past, one key each 10 ms. */
    for (int i = 0; i < KEYS_STORE_MAX - 8; i++)
        CHECK_INT(oe_keys__rotate_now(k, now + i * 10), 0);
    CHECK_INT(oe_keys__load(k, now), 0);
    CHECK(k->n >= KEYS_STORE_MAX - 8);
    now += 1 * H;
    CHECK_INT(oe_keys__load(k, now), 0);
    CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
    CHECK(changed);
    CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
    CHECK_INT(k->n, 1);
    sim_close(&s);
}

/* Fleet mode: the keys of epoch n activate at n * rotate, whatever `now` the load is given; one
 * current key, and its successor published from publish-ahead before the epoch ends. */
TEST(keys_fleet_epochs_follow_the_clock)
{
    sim_t s;
    sim_open(&s, 6 * S, 2 * S, 3 * S);
    keys_t *k = &s.k;
    memset(k->fleet_seed, 0x5a, 48);
    k->fleet_seed_len = 48;
    uint8_t last[OE_ODOH_KEY_ID_LEN] = {0};
    int changes = 0;
    for (int64_t now = T0; now < T0 + 300 * 6 * S; now += 1700) {
        CHECK_INT(oe_keys__load(k, now), 0);
        const oe_key_entry_t *cur = with_state(k, now, OE_KEY_CURRENT);
        CHECK(cur != NULL);
        CHECK_INT(count_state(k, now, OE_KEY_CURRENT), 1);
        CHECK_INT(cur->activate, now / (6 * S) * (6 * S));
        if (now >= cur->retire - 2 * S)
            CHECK(with_state(k, now, OE_KEY_NEXT) != NULL);
        if (memcmp(last, cur->key.config.key_id, OE_ODOH_KEY_ID_LEN) != 0)
            changes++;
        memcpy(last, cur->key.config.key_id, OE_ODOH_KEY_ID_LEN);
    }
    CHECK_INT(changes, 300);
    sim_close(&s);
}

/* `keys rotate` runs in another process; the server sees it at its next check. Pinned here with
 * the simulated clock, so the integration test (72) need not race the wall clock for it: the
 * check right after the rotation (one check-interval later) already has the published next key
 * current and the old current one previous (accepted for a full grace from the rotation); with
 * no next key published, a new key is current at once. */
TEST(keys_rotate_by_hand_is_in_force_at_the_next_check)
{
    sim_t cli, srv;
    sim_open(&srv, 8 * S, 3 * S, 3 * S);
    cli = srv; /* the same store, another keys_t, as `odoh-edge keys rotate` has */
    cli.cf = oe_conf_load_buffer_with("t.conf", NULL, "", 0, no_modules);
    CHECK_INT(oe_keys__setup(&cli.k, cli.cf, &cli.conf, srv.state), 0);
    int64_t now = T0;
    bool changed;
    CHECK_INT(oe_keys__load(&srv.k, now), 0);
    CHECK_INT(oe_keys__maintain(&srv.k, now, &changed), 0);
    now += 6 * S; /* 2 s before retirement: a next key is published */
    CHECK_INT(oe_keys__load(&srv.k, now), 0);
    CHECK_INT(oe_keys__maintain(&srv.k, now, &changed), 0);
    oe_key_entry_t cur = *with_state(&srv.k, now, OE_KEY_CURRENT);
    oe_key_entry_t nx = *with_state(&srv.k, now, OE_KEY_NEXT);

    int64_t t = now + 37; /* the rotation, between two checks */
    CHECK_INT(oe_keys__load(&cli.k, t), 0);
    CHECK_INT(oe_keys__rotate_now(&cli.k, t), 0);
    now += srv.conf.check_interval; /* the server's next check */
    CHECK_INT(oe_keys__load(&srv.k, now), 0);
    CHECK_INT(oe_keys__maintain(&srv.k, now, &changed), 0);
    const oe_key_entry_t *c = with_state(&srv.k, now, OE_KEY_CURRENT);
    CHECK_MEM(c->key.config.key_id, OE_ODOH_KEY_ID_LEN, nx.key.config.key_id, OE_ODOH_KEY_ID_LEN);
    CHECK_INT(c->activate, t);
    CHECK_INT(c->retire, t + 8 * S);
    CHECK_INT(count_state(&srv.k, now, OE_KEY_CURRENT), 1);
    CHECK_INT(count_state(&srv.k, now, OE_KEY_PREVIOUS), 1);
    const oe_key_entry_t *p = with_state(&srv.k, now, OE_KEY_PREVIOUS);
    CHECK_MEM(p->key.config.key_id, OE_ODOH_KEY_ID_LEN, cur.key.config.key_id, OE_ODOH_KEY_ID_LEN);
    CHECK_INT(p->retire, t);
    CHECK_INT(oe_key_state(p, &srv.k.sched, t + 3 * S - 1), OE_KEY_PREVIOUS);
    CHECK_INT(oe_key_state(p, &srv.k.sched, t + 3 * S), OE_KEY_EXPIRED);
    uint8_t configs[512];
    size_t len = oe_keys__configs(&srv.k, now, configs, sizeof(configs));
    uint8_t want[512];
    oe_odoh_config_t first[1] = {c->key.config};
    int wl = oe_odoh_configs_encode(want, sizeof(want), first, 1);
    CHECK_MEM(configs, len, want, (size_t)wl); /* its successor comes 3 s before it retires */

    /* No next key published (just after a rotation): the rotation makes a new current key. */
    t = now + 100;
    CHECK_INT(oe_keys__load(&cli.k, t), 0);
    CHECK_INT(with_state(&cli.k, t, OE_KEY_NEXT) == NULL, 1);
    CHECK_INT(oe_keys__rotate_now(&cli.k, t), 0);
    now += srv.conf.check_interval;
    CHECK_INT(oe_keys__load(&srv.k, now), 0);
    CHECK_INT(oe_keys__maintain(&srv.k, now, &changed), 0);
    const oe_key_entry_t *c2 = with_state(&srv.k, now, OE_KEY_CURRENT);
    CHECK_INT(c2->activate, t);
    CHECK(memcmp(c2->key.config.key_id, nx.key.config.key_id, OE_ODOH_KEY_ID_LEN) != 0);
    CHECK_INT(count_state(&srv.k, now, OE_KEY_PREVIOUS), 2);
    oe_conf_free(cli.cf);
    sim_close(&srv);
}

/* Regression (found by keys_ohttp_ids_never_collide): `keys rotate` in the very millisecond the
 * current key activated wrote it with retire == activate, a file every later load refused
 * (OE_EFORMAT: the whole store, so no key changed again). The rotation now takes effect 1 ms
 * after that activation. */
TEST(keys_rotate_in_the_millisecond_of_an_activation)
{
    sim_t s;
    sim_open(&s, 8 * S, 3 * S, 3 * S);
    keys_t *k = &s.k;
    bool changed;
    CHECK_INT(oe_keys__maintain(k, T0, &changed), 0);
    CHECK_INT(oe_keys__maintain(k, T0 + 6 * S, &changed), 0); /* the next key, from T0 + 8 s */
    int64_t a = with_state(k, T0 + 6 * S, OE_KEY_NEXT)->activate;
    CHECK_INT(oe_keys__load(k, a), 0);
    CHECK_INT(with_state(k, a, OE_KEY_CURRENT)->activate, a);
    CHECK_INT(oe_keys__rotate_now(k, a), 0);
    CHECK_INT(oe_keys__load(k, a + 1), 0);
    CHECK_INT(count_state(k, a + 1, OE_KEY_CURRENT), 1);
    CHECK_INT(with_state(k, a + 1, OE_KEY_CURRENT)->activate, a + 1);
    sim_close(&s);
}

/* The OHTTP key ids (one byte, RFC 9458 §3.1) of the keys alive at now (not expired) are all
 * different; returns how many keys are alive. */
static size_t check_ohttp_ids_distinct(const keys_t *k, int64_t now)
{
    bool seen[256] = {false};
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (oe_key_state(&k->entries[i], &k->sched, now) == OE_KEY_EXPIRED)
            continue;
        CHECK(!seen[k->entries[i].ohttp_id]);
        seen[k->entries[i].ohttp_id] = true;
        n++;
    }
    return n;
}

/* Key-id collisions across the rotation window are impossible: each new key takes the newest
 * key's id + 1 (stored in its file, so a reload reads the same ids), keys expire in the order
 * they were made, and at most KEYS_STORE_MAX = 256 live at once. Checked through 3,000 periods
 * of the schedule that keeps the most keys (64), then with the store filled to its limit by
 * `keys rotate` (up to 192 live keys), reading the store back from disk each time. */
TEST(keys_ohttp_ids_never_collide)
{
    sim_t s;
    sim_open(&s, 2 * S, 1 * S, 124 * S);
    keys_t *k = &s.k;
    bool changed;
    int64_t now = T0;
    size_t most = 0;
    for (int i = 0; i < 6000; i++, now += 1000) {
        CHECK_INT(oe_keys__load(k, now), 0);
        CHECK_INT(oe_keys__maintain(k, now, &changed), 0);
        most = OE_MAX(most, check_ohttp_ids_distinct(k, now));
    }
    CHECK(most >= 60);
    /* The next key's id follows the current one's. */
    const oe_key_entry_t *cur = with_state(k, now, OE_KEY_CURRENT), *nx;
    CHECK_INT(oe_keys__rotate_now(k, now), 0);
    CHECK_INT(oe_keys__load(k, now + 1), 0);
    nx = with_state(k, now + 1, OE_KEY_CURRENT);
    CHECK(nx != NULL && cur != NULL);
    /* By hand, as fast as the store allows: every rotation a new key, all alive at once. */
    size_t live = 0;
    for (int i = 0; i < KEYS_STORE_MAX; i++) {
        now += 10;
        if (oe_keys__rotate_now(k, now) < 0)
            break;
        CHECK_INT(oe_keys__load(k, now), 0);
        live = check_ohttp_ids_distinct(k, now);
    }
    CHECK(live >= 150); /* the store keeps the schedule's share (64) free */
    sim_close(&s);
}

/* Fleet mode: the id is the epoch mod 256, the same on every instance with the seed. */
TEST(keys_ohttp_ids_in_fleet_mode_are_the_epoch)
{
    sim_t s;
    sim_open(&s, 6 * S, 2 * S, 3 * S);
    keys_t *k = &s.k;
    memset(k->fleet_seed, 0x5a, 48);
    k->fleet_seed_len = 48;
    for (int64_t now = T0; now < T0 + 600 * 6 * S; now += 2900) {
        CHECK_INT(oe_keys__load(k, now), 0);
        check_ohttp_ids_distinct(k, now);
        for (size_t i = 0; i < k->n; i++)
            CHECK_INT(k->entries[i].ohttp_id, (k->entries[i].activate / (6 * S)) & 0xff);
    }
    sim_close(&s);
}

/* A key file written before OHTTP (no ohttp-key-id line) is still loaded; its id is the first
 * byte of its ODoH key_id. A new key then follows it. */
TEST(keys_ohttp_id_of_an_old_key_file)
{
    sim_t s;
    sim_open(&s, 1 * H, 10 * M, 1 * H);
    keys_t *k = &s.k;
    bool changed;
    CHECK_INT(oe_keys__maintain(k, T0, &changed), 0);
    CHECK_INT(k->n, 1);
    char path[700], id[2 * OE_ODOH_KEY_ID_LEN + 1];
    oe_hex_encode(id, k->entries[0].key.config.key_id, OE_ODOH_KEY_ID_LEN);
    snprintf(path, sizeof(path), "%s/keys/%.16s.key", s.state, id);
    size_t len;
    char *text = oe_test_read_file(path, &len);
    char *line = strstr(text, "ohttp-key-id = ");
    CHECK(line != NULL);
    *line = '\0'; /* the file as an older version wrote it */
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    fclose(f);
    free(text);
    CHECK_INT(oe_keys__load(k, T0 + 1), 0);
    CHECK_INT(k->n, 1);
    CHECK_INT(k->entries[0].ohttp_id, k->entries[0].key.config.key_id[0]);
    CHECK_INT(oe_keys__rotate_now(k, T0 + 2), 0);
    CHECK_INT(oe_keys__load(k, T0 + 3), 0);
    CHECK_INT(with_state(k, T0 + 3, OE_KEY_CURRENT)->ohttp_id,
              (uint8_t)(k->entries[0].key.config.key_id[0] + 1));
    sim_close(&s);
}
