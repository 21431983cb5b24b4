/* SPDX-License-Identifier: Apache-2.0 */
/* Responses: TAXII error objects, timestamps, status ids. */
#include "taxii_int.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <storm/json.h>
#include <storm/time.h>
#include <storm/uuid.h>
#include <sys/random.h>

void taxii_response_init(taxii_response *rs)
{
    rs->status = 200;
    storm_buf_init(&rs->body, TAXII_RESPONSE_MAX);
    rs->added_first[0] = rs->added_last[0] = '\0';
    rs->allow = NULL;
    rs->www_authenticate = false;
    rs->retry_after = 0;
    rs->content_type = NULL;
    rs->location = NULL;
    rs->ui_headers = false;
    rs->cacheable = false;
}

void taxii_response_free(taxii_response *rs)
{
    storm_buf_free(&rs->body);
}

bool taxii_error(taxii_response *rs, unsigned status, const char *title, const char *fmt, ...)
{
    char description[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(description, sizeof description, fmt, ap);
    va_end(ap);
    rs->status = status;
    rs->added_first[0] = rs->added_last[0] = '\0';
    storm_buf_reset(&rs->body);
    storm_buf_puts(&rs->body, "{\"title\":");
    storm_json_write_string(&rs->body, title, strlen(title));
    storm_buf_puts(&rs->body, ",\"description\":");
    storm_json_write_string(&rs->body, description, strlen(description));
    storm_buf_printf(&rs->body, ",\"http_status\":\"%u\"}", status);
    return false;
}

void taxii_format_us(int64_t us, char *buf)
{
    storm_time_format(us * 1000, 6, buf);
}

void taxii_format_ns(int64_t ns, char *buf)
{
    storm_time_format_exact(ns, buf);
}

void taxii_uuid4(char *buf)
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1 && getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        memset(b, 0x5a, sizeof b); /* never reached on Linux; ids still unique per request by status row */
    storm_uuid_format(b, 4, buf);
}

int64_t taxii_now_ns(void)
{
    return storm_time_now();
}
