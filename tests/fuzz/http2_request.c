/*
 * libFuzzer target: the HTTP/2 server path after the connection preface (nghttp2's callbacks into
 * our stream builder, header and body limits, dispatch, the response and ORIGIN writers, resets)
 * on a real connection object over a socketpair. The target sends the client preface itself, so
 * every input is frames and every run reaches frame processing.
 */
#include "conn_harness.h"

static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    harness_run(data, size, preface, sizeof(preface) - 1, &oe_http__h2);
    return 0;
}
