/*
 * odoh-edge(8) and odoh-edge.conf(5) in man(7) format, from the module table (see manpage.c).
 */
#ifndef OE_MANPAGE_H
#define OE_MANPAGE_H

#include <stdio.h>

/* The date the pages carry: the date of OE_VERSION (bump them together), so that a rebuild of
 * the same version writes the same pages. */
#define OE_MAN_DATE "2026-11-29"

void oe_man_program(FILE *out);
void oe_man_config(FILE *out);

#endif
