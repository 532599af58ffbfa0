/* The module table: the only place where module selection (#ifdef OE_WITH_*) appears. */
#include <string.h>

#include "core/core.h"
#include "core/module.h"

#define MODULE(name) extern const oe_module_t oe_##name##_module;
#ifdef OE_WITH_WEBSITE
MODULE(website)
#endif
#ifdef OE_WITH_ODOH_TARGET
MODULE(odoh_target)
#endif
#ifdef OE_WITH_ODOH_PROXY
MODULE(odoh_proxy)
#endif
#ifdef OE_WITH_KEYS
MODULE(keys)
#endif
#ifdef OE_WITH_OHTTP_GATEWAY
MODULE(ohttp_gateway)
#endif
#ifdef OE_WITH_OHTTP_RELAY
MODULE(ohttp_relay)
#endif
#ifdef OE_WITH_HTTP
MODULE(http)
MODULE(site)
#endif
#ifdef OE_WITH_CLIENT
MODULE(client)
#endif
#ifdef OE_WITH_METRICS
MODULE(metrics)
#endif
#ifdef OE_WITH_ACME
MODULE(acme)
#endif
#ifdef OE_WITH_RPROXY
MODULE(rproxy)
#endif
#undef MODULE

const oe_module_t *const oe_modules[] = {
    &oe_core_module,
#ifdef OE_WITH_HTTP
    &oe_http_module,
    &oe_site_module,
#endif
#ifdef OE_WITH_WEBSITE
    &oe_website_module,
#endif
#ifdef OE_WITH_RPROXY
    &oe_rproxy_module,
#endif
#ifdef OE_WITH_ODOH_TARGET
    &oe_odoh_target_module,
#endif
#ifdef OE_WITH_ODOH_PROXY
    &oe_odoh_proxy_module,
#endif
#ifdef OE_WITH_KEYS
    &oe_keys_module,
#endif
#ifdef OE_WITH_OHTTP_GATEWAY
    &oe_ohttp_gateway_module, /* after keys: it listens to the key lifecycle */
#endif
#ifdef OE_WITH_OHTTP_RELAY
    &oe_ohttp_relay_module,
#endif
#ifdef OE_WITH_CLIENT
    &oe_client_module,
#endif
#ifdef OE_WITH_METRICS
    &oe_metrics_module,
#endif
#ifdef OE_WITH_ACME
    &oe_acme_module, /* after http: it swaps certificates into the server */
#endif
    NULL,
};

const oe_known_section_t oe_known_sections[] = {
    {"global", "core"},
    {"listen", "http"},
    {"site", "http"},
    {"odoh-target", "odoh_target"},
    {"odoh-proxy", "odoh_proxy"},
    {"keys", "keys"},
    {"ohttp-gateway", "ohttp_gateway"},
    {"ohttp-relay", "ohttp_relay"},
    {"metrics", "metrics"},
    {"acme", "acme"},
    {NULL, NULL},
};

const oe_module_t *oe_module_by_section(const char *section)
{
    for (size_t i = 0; oe_modules[i] != NULL; i++)
        if (oe_modules[i]->section != NULL && strcmp(oe_modules[i]->section, section) == 0)
            return oe_modules[i];
    return NULL;
}

const oe_module_t *oe_module_by_name(const char *name)
{
    for (size_t i = 0; oe_modules[i] != NULL; i++)
        if (strcmp(oe_modules[i]->name, name) == 0)
            return oe_modules[i];
    return NULL;
}
