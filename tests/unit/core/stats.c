/* Per-thread counters: summed across threads, kept when a thread ends (they never go down), and
 * the array of an ended thread reused by the next one. */
#include <pthread.h>
#include <stdio.h>

#include "core/stats.h"
#include "unit/test.h"

static void *count_1000(void *arg)
{
    for (int i = 0; i < 1000; i++)
        oe_stat_inc(OE_STAT_RELOAD_OK);
    oe_stat_http_response(0, 1, 204);
    return arg;
}

TEST(stats_sum_every_thread_and_survive_their_end)
{
    uint64_t before = oe_stat_sum(OE_STAT_RELOAD_OK);
    uint64_t h2_before = oe_stat_sum(OE_STAT_HTTP_H2_1XX + 1);
    for (int round = 0; round < 20; round++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            CHECK_INT(pthread_create(&t[i], NULL, count_1000, NULL), 0);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    CHECK_INT(oe_stat_sum(OE_STAT_RELOAD_OK) - before, 80000);
    CHECK_INT(oe_stat_sum(OE_STAT_HTTP_H2_1XX + 1) - h2_before, 80);
}

TEST(stats_upstream_histogram_buckets)
{
    int id = oe_stat_upstream_id("192.0.2.1:53");
    CHECK_INT(id > 0, 1);
    uint64_t le5 = oe_stat_upstream_sum(id, OE_USTAT_LATENCY_LE + 2);
    uint64_t inf = oe_stat_upstream_sum(id, OE_USTAT_LATENCY_INF);
    uint64_t sum = oe_stat_upstream_sum(id, OE_USTAT_LATENCY_SUM_US);
    uint64_t to = oe_stat_upstream_sum(id, OE_USTAT_TIMEOUT);
    oe_stat_upstream(id, 0, 5000); /* exactly 5 ms: the le="0.005" bucket */
    oe_stat_upstream(id, 0, 9000000);
    oe_stat_upstream(id, 1, 1500000); /* a time-out has no latency */
    CHECK_INT(oe_stat_upstream_sum(id, OE_USTAT_LATENCY_LE + 2) - le5, 1);
    CHECK_INT(oe_stat_upstream_sum(id, OE_USTAT_LATENCY_INF) - inf, 1);
    CHECK_INT(oe_stat_upstream_sum(id, OE_USTAT_LATENCY_SUM_US) - sum, 9005000);
    CHECK_INT(oe_stat_upstream_sum(id, OE_USTAT_TIMEOUT) - to, 1);
}

TEST(stats_upstream_ids_stable_and_bounded)
{
    int a = oe_stat_upstream_id("198.51.100.1:53");
    int b = oe_stat_upstream_id("198.51.100.2:53");
    CHECK_INT(a > 0 && b > 0 && a != b, 1);
    CHECK_INT(oe_stat_upstream_id("198.51.100.1:53"), a); /* a reload keeps the id */
    char name[64];
    CHECK_INT(oe_stat_upstream_name(b, name, sizeof(name)), 1);
    CHECK_STR(name, "198.51.100.2:53");
    uint64_t a_ok = oe_stat_upstream_sum(a, OE_USTAT_OK);
    uint64_t b_failed = oe_stat_upstream_sum(b, OE_USTAT_FAILED);
    oe_stat_upstream(a, 0, 1000);
    oe_stat_upstream(b, 2, 0);
    oe_stat_upstream(b, 2, 0);
    CHECK_INT(oe_stat_upstream_sum(a, OE_USTAT_OK) - a_ok, 1);
    CHECK_INT(oe_stat_upstream_sum(b, OE_USTAT_FAILED) - b_failed, 2);
    CHECK_INT(oe_stat_upstream_sum(b, OE_USTAT_OK), 0);
    /* Past OE_STAT_UPSTREAMS distinct texts, every new one is 0 ("other"). */
    for (int i = 0; i < OE_STAT_UPSTREAMS; i++) {
        char t[32];
        snprintf(t, sizeof(t), "203.0.113.%d:53", i);
        oe_stat_upstream_id(t);
    }
    CHECK_INT(oe_stat_upstream_id("203.0.113.200:53"), 0);
    CHECK_INT(oe_stat_upstream_name(0, name, sizeof(name)), 0);
    CHECK_INT(oe_stat_upstream_id("198.51.100.2:53"), b);
}

TEST(stats_target_results_counted_apart_for_odoh_and_doh)
{
    uint64_t odoh_ok = oe_stat_sum(OE_STAT_TARGET_OK);
    uint64_t doh_ok = oe_stat_sum(OE_STAT_TARGET_DOH_OK);
    uint64_t doh_504 = oe_stat_sum(OE_STAT_TARGET_DOH_OK + 5);
    uint64_t doh_other = oe_stat_sum(OE_STAT_TARGET_DOH_OTHER);
    uint64_t odoh_other = oe_stat_sum(OE_STAT_TARGET_OTHER);
    oe_stat_target_result(1, 200);
    oe_stat_target_result(1, 200);
    oe_stat_target_result(0, 200);
    oe_stat_target_result(0, 504);
    oe_stat_target_result(0, 503); /* other */
    CHECK_INT(oe_stat_sum(OE_STAT_TARGET_OK) - odoh_ok, 2);
    CHECK_INT(oe_stat_sum(OE_STAT_TARGET_DOH_OK) - doh_ok, 1);
    CHECK_INT(oe_stat_sum(OE_STAT_TARGET_DOH_OK + 5) - doh_504, 1);
    CHECK_INT(oe_stat_sum(OE_STAT_TARGET_DOH_OTHER) - doh_other, 1);
    CHECK_INT(oe_stat_sum(OE_STAT_TARGET_OTHER) - odoh_other, 0);
}

TEST(stats_proxy_and_relay_results_counted_apart)
{
    uint64_t p_ok = oe_stat_sum(OE_STAT_PROXY_OK), p_415 = oe_stat_sum(OE_STAT_PROXY_415);
    uint64_t r_ok = oe_stat_sum(OE_STAT_RELAY_OK), r_504 = oe_stat_sum(OE_STAT_RELAY_OK + 5);
    uint64_t r_other = oe_stat_sum(OE_STAT_RELAY_OTHER);
    oe_stat_proxy_result(OE_STAT_PROXY_OK, 415, 0);
    oe_stat_proxy_result(OE_STAT_RELAY_OK, 401, 1); /* relayed: the gateway's status */
    oe_stat_proxy_result(OE_STAT_RELAY_OK, 200, 1);
    oe_stat_proxy_result(OE_STAT_RELAY_OK, 504, 0);
    oe_stat_proxy_result(OE_STAT_RELAY_OK, 405, 0); /* other */
    CHECK_INT(oe_stat_sum(OE_STAT_PROXY_OK) - p_ok, 0);
    CHECK_INT(oe_stat_sum(OE_STAT_PROXY_415) - p_415, 1);
    CHECK_INT(oe_stat_sum(OE_STAT_RELAY_OK) - r_ok, 2);
    CHECK_INT(oe_stat_sum(OE_STAT_RELAY_OK + 5) - r_504, 1);
    CHECK_INT(oe_stat_sum(OE_STAT_RELAY_OTHER) - r_other, 1);
}

TEST(stats_gateway_inner_by_class_with_504_apart)
{
    uint64_t before[5];
    for (int i = 0; i < 5; i++)
        before[i] = oe_stat_sum((oe_stat_t)(OE_STAT_GATEWAY_INNER_2XX + i));
    oe_stat_gateway_inner(200);
    oe_stat_gateway_inner(304);
    oe_stat_gateway_inner(403);
    oe_stat_gateway_inner(415);
    oe_stat_gateway_inner(502);
    oe_stat_gateway_inner(504);
    oe_stat_gateway_inner(100); /* no class of the gateway's: not counted */
    oe_stat_gateway_inner(600);
    static const int want[5] = {1, 1, 2, 1, 1};
    for (int i = 0; i < 5; i++)
        CHECK_INT(oe_stat_sum((oe_stat_t)(OE_STAT_GATEWAY_INNER_2XX + i)) - before[i], want[i]);
}

TEST(stats_http_responses_by_site)
{
    int a = oe_stat_site_id("www");
    CHECK_INT(a > 0, 1);
    CHECK_INT(oe_stat_site_id("www"), a);
    CHECK_INT(oe_stat_site_id(""), 0);
    uint64_t a2 = oe_stat_site_sum(a, 1, 2), none4 = oe_stat_site_sum(0, 0, 4);
    oe_stat_http_response(a, 1, 200);
    oe_stat_http_response(a, 1, 204);
    oe_stat_http_response(0, 0, 404);
    oe_stat_http_response(a, 0, 600); /* no status class: not counted */
    CHECK_INT(oe_stat_site_sum(a, 1, 2) - a2, 2);
    CHECK_INT(oe_stat_site_sum(0, 0, 4) - none4, 1);
    CHECK_INT(oe_stat_site_sum(a, 0, 2), 0);
}
