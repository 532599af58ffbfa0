/*
 * modules/dns: the DNS layer, pure (no I/O). Include this one header; see README.md.
 *
 *   dns_wire.h    constants, names, strict zero-copy message reader, EDNS(0)
 *   dns_write.h   bounds-checked message writer: queries, responses, OPT, padding
 *   dns_svcb.h    SVCB/HTTPS RDATA (RFC 9460) encode, decode, presentation
 *   dns_text.h    presentation format: parse local-data lines, print RRs like dig
 *   dns_update.h  DNS UPDATE (RFC 2136)
 *   dns_tsig.h    TSIG hmac-sha256 (RFC 8945)
 */
#ifndef OE_DNS_H
#define OE_DNS_H

#include "dns/dns_wire.h"
#include "dns/dns_write.h"
#include "dns/dns_svcb.h"
#include "dns/dns_text.h"
#include "dns/dns_update.h"
#include "dns/dns_tsig.h"

#endif
