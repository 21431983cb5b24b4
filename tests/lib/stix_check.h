/* SPDX-License-Identifier: Apache-2.0 */
/* A checker for the rules of the OASIS STIX 2.1 validator in strict mode
 * (--strict: SHOULDs are errors) that apply to what Storm writes: the
 * validator itself is a Python package this machine cannot install. Rules
 * are cited in stix_check.c next to each check. */
#ifndef STORM_TESTS_STIX_CHECK_H
#define STORM_TESTS_STIX_CHECK_H

#include <stddef.h>
#include <storm/value.h>

/* Check a bundle. Returns the number of problems; the first ones are written
 * to msg (one per line, truncated to cap). */
int stix_check_bundle(const storm_value *bundle, char *msg, size_t cap);

#endif
