/*
 * Static files for virtual hosts: every [site "name"] with a `root` gets a route for "/" whose
 * handler serves files beneath that root (GET and HEAD, conditional and range requests,
 * precompressed siblings, an optional access log). See README.md for the behaviour table.
 */
#ifndef OE_WEBSITE_H
#define OE_WEBSITE_H

#include "core/module.h"
#include "http/http.h"

/* The handler (an oe_handler_fn): data is the const oe_site_t * the route was registered for
 * (NULL: req->site). It answers synchronously and never touches req after responding. */
void oe_website_handle(oe_req_t *req, void *site);

/* Section-less module: its init registers the handler for every site with a root. */
extern const oe_module_t oe_website_module;

#endif
