/* SPDX-License-Identifier: Apache-2.0 */
/* storm_uuid_parse / storm_uuid_format (storm/uuid.h), the one UUID rule:
 * 8-4-4-4-12 hex of either case, RFC 4122 variant, length-counted. */
#include <storm/uuid.h>

#include "test.h"

#define P(s) storm_uuid_parse((s), sizeof(s) - 1, NULL)

static void accepted(void)
{
    CHECK(P("00abedb4-aa42-466c-9c01-fed23315a9b7")); /* the STIX SCO namespace */
    CHECK(P("00ABEDB4-AA42-466C-9C01-FED23315A9B7")); /* upper case hex */
    CHECK(P("00abedb4-AA42-466c-9C01-fed23315a9b7")); /* mixed */
    /* the variant digit: 8, 9, a, b (either case) */
    CHECK(P("12345678-1234-1234-8234-123456789abc"));
    CHECK(P("12345678-1234-1234-b234-123456789abc"));
    CHECK(P("12345678-1234-1234-B234-123456789abc"));
    /* any version digit (RFC 9562 v7 included) */
    CHECK(P("12345678-1234-7234-9234-123456789abc"));
    CHECK(P("12345678-1234-0234-9234-123456789abc"));
    unsigned char u[16] = {0};
    CHECK(storm_uuid_parse("00abedb4-aa42-466c-9c01-fed23315a9b7", 36, u));
    CHECK(u[0] == 0x00 && u[1] == 0xab && u[6] == 0x46 && u[8] == 0x9c && u[15] == 0xb7);
}

static void rejected(void)
{
    /* not the RFC 4122 variant (NCS 0xxx, Microsoft 110x, reserved 111x) */
    CHECK(!P("12345678-1234-1234-7234-123456789abc"));
    CHECK(!P("12345678-1234-1234-c234-123456789abc"));
    CHECK(!P("12345678-1234-1234-f234-123456789abc"));
    CHECK(!P("abcd1111-2222-3333-4444-555566667777"));
    /* shape */
    CHECK(!P(""));
    CHECK(!P("00abedb4aa42466c9c01fed23315a9b7"));      /* no dashes */
    CHECK(!P("00abedb4-aa42-466c-9c01-fed23315a9b"));   /* 35 */
    CHECK(!P("00abedb4-aa42-466c-9c01-fed23315a9b77")); /* 37 */
    CHECK(!P("00abedb4-aa42-466c-9c01-fed23315a9bg"));  /* not hex */
    CHECK(!P("00abedb-4aa42-466c-9c01-fed23315a9b7"));  /* dash misplaced */
    CHECK(!P("{0abedb4-aa42-466c-9c01-fed23315a9b}"));
    CHECK(!P("00abedb4 aa42-466c-9c01-fed23315a9b7"));
    /* an embedded NUL is a byte like any other: no UUID */
    CHECK(!P("00abedb4-aa42-466c-9c01-fed23315a9\0"
             "7"));
    CHECK(!storm_uuid_parse(NULL, 36, NULL));
    /* a rejected parse leaves u alone */
    unsigned char u[16] = {7};
    CHECK(!storm_uuid_parse("12345678-1234-1234-7234-123456789abc", 36, u) && u[0] == 7);
}

static void format(void)
{
    unsigned char u[16];
    memset(u, 0xff, sizeof u);
    char out[STORM_UUID_LEN + 1];
    storm_uuid_format(u, 4, out);
    CHECK_STR(out, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    memset(u, 0, sizeof u);
    storm_uuid_format(u, 5, out);
    CHECK_STR(out, "00000000-0000-5000-8000-000000000000");
    /* what it writes, it reads back to the same bytes */
    unsigned char back[16];
    for (int i = 0; i < 16; i++)
        u[i] = (unsigned char)(i * 37 + 11);
    storm_uuid_format(u, 5, out);
    CHECK(storm_uuid_parse(out, strlen(out), back) && memcmp(back, u, 16) == 0);
}

int main(void)
{
    RUN(accepted);
    RUN(rejected);
    RUN(format);
    return test_report("test_uuid");
}
