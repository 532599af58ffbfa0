/* Per-thread counters; see stats.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/oe.h"
#include "core/stats.h"

typedef struct slot {
    unsigned long v[OE_STAT_COUNT]; /* the native word: lock-free on every target (a 32-bit
                                       router has no 64-bit atomics without libatomic) */
    unsigned long up[OE_STAT_UPSTREAMS + 1][OE_USTAT_COUNT];
    unsigned long site[OE_STAT_SITES + 1][2][5]; /* [site id][h2][status class - 1] */
    struct slot *next;                           /* every slot ever made */
    bool in_use;
} slot_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static slot_t *slots;
static _Thread_local slot_t *mine;

/* A slot outlives its thread: its values keep counting in the sums (they must never go down),
 * and the next new thread continues from them. */
static void on_thread_exit(void *p)
{
    slot_t *s = p;
    pthread_mutex_lock(&lock);
    s->in_use = false;
    pthread_mutex_unlock(&lock);
}

static void make_key(void)
{
    pthread_key_create(&key, on_thread_exit);
}

static slot_t *my_slot(void)
{
    if (mine != NULL)
        return mine;
    pthread_once(&once, make_key);
    pthread_mutex_lock(&lock);
    slot_t *s = slots;
    while (s != NULL && s->in_use)
        s = s->next;
    if (s == NULL) {
        s = oe_calloc(1, sizeof(*s));
        s->next = slots;
        __atomic_store_n(&slots, s, __ATOMIC_RELEASE);
    }
    s->in_use = true;
    pthread_mutex_unlock(&lock);
    pthread_setspecific(key, s);
    mine = s;
    return s;
}

void oe_stat_add(oe_stat_t st, uint64_t n)
{
    slot_t *s = my_slot();
    /* Only this thread writes the slot while it owns it (the lock hands it over). */
    unsigned long v = __atomic_load_n(&s->v[st], __ATOMIC_RELAXED) + (unsigned long)n;
    __atomic_store_n(&s->v[st], v, __ATOMIC_RELAXED);
}

uint64_t oe_stat_sum(oe_stat_t st)
{
    uint64_t sum = 0;
    for (slot_t *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s != NULL; s = s->next)
        sum += __atomic_load_n(&s->v[st], __ATOMIC_RELAXED);
    return sum;
}

void oe_stat_http_response(int site_id, int h2, int status)
{
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        return;
    oe_stat_inc((h2 ? OE_STAT_HTTP_H2_1XX : OE_STAT_HTTP_H1_1XX) + cls - 1);
    if (site_id < 0 || site_id > OE_STAT_SITES)
        site_id = 0;
    slot_t *s = my_slot();
    unsigned long *p = &s->site[site_id][h2 ? 1 : 0][cls - 1];
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

uint64_t oe_stat_site_sum(int id, int h2, int cls)
{
    uint64_t sum = 0;
    for (slot_t *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s != NULL; s = s->next)
        sum += __atomic_load_n(&s->site[id][h2 ? 1 : 0][cls - 1], __ATOMIC_RELAXED);
    return sum;
}

void oe_stat_target_result(int odoh, int status)
{
    oe_stat_t s = odoh ? OE_STAT_TARGET_OK : OE_STAT_TARGET_DOH_OK;
    switch (status) {
    case 200:
        break;
    case 400:
        s += 1;
        break;
    case 401:
        s += 2;
        break;
    case 415:
        s += 3;
        break;
    case 502:
        s += 4;
        break;
    case 504:
        s += 5;
        break;
    default:
        s += 6;
        break;
    }
    oe_stat_inc(s);
}

void oe_stat_proxy_result(oe_stat_t first, int status, int relayed)
{
    int off;
    if (relayed)
        off = 0;
    else if (status == 400)
        off = 1;
    else if (status == 403)
        off = 2;
    else if (status == 415)
        off = 3;
    else if (status == 502)
        off = 4;
    else if (status == 504)
        off = 5;
    else
        off = 6;
    oe_stat_inc((oe_stat_t)(first + off));
}

void oe_stat_gateway_inner(int status)
{
    if (status == 504)
        oe_stat_inc(OE_STAT_GATEWAY_INNER_504);
    else if (status >= 200 && status <= 599)
        oe_stat_inc((oe_stat_t)(OE_STAT_GATEWAY_INNER_2XX + status / 100 - 2));
}

/* Name tables: names[0] is unused (id 0 is "none" or "other"); a name keeps its id for good. */
static char up_names[OE_STAT_UPSTREAMS + 1][64];
static char site_names[OE_STAT_SITES + 1][64];

static int name_id(char (*names)[64], int cap, const char *text)
{
    int id = 0;
    if (text[0] == '\0')
        return 0;
    pthread_mutex_lock(&lock);
    for (int i = 1; i <= cap; i++) {
        if (names[i][0] == '\0') {
            snprintf(names[i], sizeof(names[i]), "%s", text);
            id = i;
            break;
        }
        if (strncmp(names[i], text, sizeof(names[i]) - 1) == 0) {
            id = i;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return id;
}

static bool name_get(char (*names)[64], int cap, int id, char *buf, size_t bufcap)
{
    if (id < 1 || id > cap)
        return false;
    pthread_mutex_lock(&lock);
    bool have = names[id][0] != '\0';
    snprintf(buf, bufcap, "%s", names[id]);
    pthread_mutex_unlock(&lock);
    return have;
}

int oe_stat_upstream_id(const char *text)
{
    return name_id(up_names, OE_STAT_UPSTREAMS, text);
}

bool oe_stat_upstream_name(int id, char *buf, size_t cap)
{
    return name_get(up_names, OE_STAT_UPSTREAMS, id, buf, cap);
}

int oe_stat_site_id(const char *name)
{
    return name_id(site_names, OE_STAT_SITES, name);
}

bool oe_stat_site_name(int id, char *buf, size_t cap)
{
    return name_get(site_names, OE_STAT_SITES, id, buf, cap);
}

static void up_add(int id, oe_ustat_t st, uint64_t n)
{
    slot_t *s = my_slot();
    unsigned long v = __atomic_load_n(&s->up[id][st], __ATOMIC_RELAXED) + (unsigned long)n;
    __atomic_store_n(&s->up[id][st], v, __ATOMIC_RELAXED);
}

void oe_stat_upstream(int id, int result, uint64_t latency_us)
{
    static const uint64_t bounds_ms[OE_STAT_NLATENCY] = {OE_STAT_LATENCY_BUCKETS_MS};
    if (id < 0 || id > OE_STAT_UPSTREAMS)
        id = 0;
    up_add(id, result == 0 ? OE_USTAT_OK : result == 1 ? OE_USTAT_TIMEOUT : OE_USTAT_FAILED, 1);
    if (result != 0)
        return;
    size_t b = 0;
    while (b < OE_STAT_NLATENCY && latency_us > bounds_ms[b] * 1000)
        b++;
    up_add(id, (oe_ustat_t)(OE_USTAT_LATENCY_LE + b), 1);
    up_add(id, OE_USTAT_LATENCY_SUM_US, latency_us);
}

uint64_t oe_stat_upstream_sum(int id, oe_ustat_t st)
{
    uint64_t sum = 0;
    for (slot_t *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s != NULL; s = s->next)
        sum += __atomic_load_n(&s->up[id][st], __ATOMIC_RELAXED);
    return sum;
}

static long gauges[OE_GAUGE_COUNT];

void oe_gauge_set(oe_gauge_t g, long v)
{
    __atomic_store_n(&gauges[g], v, __ATOMIC_RELAXED);
}

long oe_gauge_get(oe_gauge_t g)
{
    return __atomic_load_n(&gauges[g], __ATOMIC_RELAXED);
}
