/*
 * libFuzzer target: the HTTP/1.1 request path (llhttp callbacks into our request builder, limits,
 * pipelining, dispatch and the response writer) on a real connection object over a socketpair.
 */
#include "conn_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    harness_run(data, size, NULL, 0, &oe_http__h1);
    return 0;
}
