/* The HTTP/2 connection timer (h2.c): which deadline it follows for each state of the streams,
 * with the times given as data (no clock, no sockets). The unit is included so that its static
 * logic can be called directly. */
#include "http/h2.c"
#include "unit/test.h"

static const oe_listen_conf_t limits = {
    .header_timeout = 1000,
    .body_timeout = 2000,
    .send_timeout = 3000,
    .keepalive_timeout = 4000,
};

typedef struct fixture {
    worker_t w;
    listener_t l;
    conn_t c;
    struct h2 h;
    h2_stream_t st[3];
} fixture_t;

static void setup(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    f->l.conf = &limits;
    f->c.l = &f->l;
    f->c.w = &f->w;
    f->h.c = &f->c;
}

/* Puts stream i on the connection's list. */
static h2_stream_t *add(fixture_t *f, int i)
{
    h2_stream_t *st = &f->st[i];
    st->next = f->h.streams;
    f->h.streams = st;
    return st;
}

TEST(h2_deadline_keepalive_runs_from_the_last_request)
{
    fixture_t f;
    setup(&f);
    f.h.active_at = 500;
    f.h.sent_at = 9000; /* PINGs answered later do not move it */
    int kind = -1;
    CHECK_INT(earliest_deadline(&f.h, &kind), 4500);
    CHECK_INT(kind, DUE_IDLE);
}

TEST(h2_deadline_unfinished_header_block)
{
    fixture_t f;
    setup(&f);
    add(&f, 0)->begun_at = 100;
    int kind = -1;
    CHECK_INT(earliest_deadline(&f.h, &kind), 1100);
    CHECK_INT(kind, DUE_STREAM);
}

TEST(h2_deadline_request_body_from_its_last_data)
{
    fixture_t f;
    setup(&f);
    h2_stream_t *st = add(&f, 0);
    st->begun_at = 100;
    st->headers_done = true;
    st->body_at = 700;
    int kind;
    CHECK_INT(earliest_deadline(&f.h, &kind), 2700);
    st->refused = true; /* until its RST_STREAM is out */
    CHECK_INT(earliest_deadline(&f.h, &kind), 2700);
}

TEST(h2_deadline_response_from_submission_or_last_progress)
{
    fixture_t f;
    setup(&f);
    h2_stream_t *st = add(&f, 0);
    st->headers_done = st->dispatched = st->s.responded = true;
    st->submit_at = 1000;
    f.h.sent_at = 400; /* progress of an earlier response does not count for this one */
    int kind;
    CHECK_INT(earliest_deadline(&f.h, &kind), 4000);
    f.h.sent_at = 2500; /* a response frame went out, or the client acknowledged bytes */
    CHECK_INT(earliest_deadline(&f.h, &kind), 5500);
}

TEST(h2_deadline_none_while_a_handler_works)
{
    fixture_t f;
    setup(&f);
    h2_stream_t *st = add(&f, 0);
    st->headers_done = st->dispatched = true;
    int kind = -1;
    CHECK(earliest_deadline(&f.h, &kind) == UINT64_MAX);
    CHECK_INT(kind, DUE_STREAM);
}

TEST(h2_deadline_earliest_among_streams)
{
    fixture_t f;
    setup(&f);
    h2_stream_t *a = add(&f, 0), *b = add(&f, 1), *c = add(&f, 2);
    a->headers_done = a->dispatched = a->s.responded = true;
    a->submit_at = 100; /* send: 3100 */
    b->headers_done = true;
    b->body_at = 900;   /* body: 2900 */
    c->begun_at = 2000; /* headers: 3000 */
    int kind;
    CHECK_INT(earliest_deadline(&f.h, &kind), 2900);
    b->body_at = 1500; /* 3500: now the unfinished header block is first */
    CHECK_INT(earliest_deadline(&f.h, &kind), 3000);
}

/* A draining worker's idle connection gets its GOAWAY OE_HTTP_DRAIN_IDLE_MS after its last
 * request, not keepalive-timeout; after the first GOAWAY the final one follows within
 * OE_HTTP_GOAWAY_RTT_MS; a stream's deadline that comes first still wins. */
TEST(h2_deadline_drain_and_graceful_goaway)
{
    fixture_t f;
    setup(&f);
    f.h.active_at = 500;
    f.w.stopping = true;
    int kind = -1;
    CHECK_INT(earliest_deadline(&f.h, &kind), 500 + OE_HTTP_DRAIN_IDLE_MS);
    CHECK_INT(kind, DUE_IDLE);
    f.h.phase = H2_NOTICE;
    f.h.notice_at = 800;
    CHECK_INT(earliest_deadline(&f.h, &kind), 800 + OE_HTTP_GOAWAY_RTT_MS);
    CHECK_INT(kind, DUE_NOTICE);
    add(&f, 0)->begun_at = 0; /* header block unfinished: 1000 */
    CHECK_INT(earliest_deadline(&f.h, &kind), 1000);
    CHECK_INT(kind, DUE_STREAM);
    f.h.phase = H2_FINAL; /* no idle deadline after the final GOAWAY: the streams finish */
    f.h.streams = NULL;
    CHECK(earliest_deadline(&f.h, &kind) == UINT64_MAX);
}
