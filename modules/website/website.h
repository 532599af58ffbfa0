/*
 * Static files for virtual hosts: every [site "name"] with a `root` gets a route for "/" whose
 * handler serves files beneath that root (GET and HEAD, conditional and range requests,
 * precompressed siblings, an optional access log). See README.md for the behaviour table.
 */
#ifndef OE_WEBSITE_H
#define OE_WEBSITE_H

#include "core/module.h"
#include "http/http.h"

/* The handler (an oe_handler_fn) for callers that route by hand: data is the const oe_site_t *
 * to serve (NULL: req->site). It answers synchronously and never touches req after responding.
 * Its access log is site->access_log taken as written; the routes this module registers itself
 * resolve a relative log path against the config file instead, and open it once at init. */
void oe_website_handle(oe_req_t *req, void *site);

/* Section-less module: its init registers the handler for every site with a root. */
extern const oe_module_t oe_website_module;

#endif
