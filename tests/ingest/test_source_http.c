/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP intake's memory cap counts what it really holds: bodies of
 * 150 KB (which a doubling buffer holds in 256 KB) posted to an intake with
 * a 2 MiB cap while nothing drains it are refused with 503 before the held
 * bytes pass the cap; everything taken and released gives the cap back; a
 * body with good and bad lines is accepted with each bad line's reason. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <storm/intake.h>

#include "../unit/test.h"

#define CAP ((size_t)2 << 20)

/* POST body to 127.0.0.1:port; returns the status code (0 on failure) and
 * the response body in resp. */
static int post(unsigned port, const char *body, size_t len, char *resp, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return 0;
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      len);
    bool ok = write(fd, head, (size_t)hl) == hl;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, body + off, len - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    size_t n = 0;
    ssize_t r;
    while (ok && n + 1 < cap && (r = read(fd, resp + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    resp[n] = '\0';
    close(fd);
    int code = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
        code = 0;
    char *b = strstr(resp, "\r\n\r\n");
    if (b)
        memmove(resp, b + 4, strlen(b + 4) + 1);
    return code;
}

static const char *record = "{\"process_exec\":{\"process\":{\"exec_id\":\"eA==\",\"pid\":7,\"binary\":\"/bin/true\"}},"
                            "\"node_name\":\"n\",\"time\":\"2024-01-01T00:00:00Z\"}\n";

static void test_cap_holds(void)
{
    storm_intake_opts o = {"127.0.0.1:0", (size_t)1 << 20, CAP, 0};
    storm_intake *in = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_intake_start(&o, &in, &err) == STORM_OK);
    if (!in)
        return;
    size_t rl = strlen(record), n = 150000 / rl;
    char *body = malloc(n * rl + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(body + i * rl, record, rl);
    size_t len = n * rl;
    char resp[4096];
    int accepted = 0, busy = 0;
    for (int i = 0; i < 40; i++) {
        int code = post(storm_intake_port(in), body, len, resp, sizeof resp);
        accepted += code == 202;
        busy += code == 503;
        CHECK(code == 202 || code == 503);
        CHECK(storm_intake_held(in) <= CAP);
    }
    /* what is queued is the bodies themselves, not their doubling buffers */
    CHECK(accepted >= (int)(CAP / 2 / (len + 1)));
    CHECK((size_t)accepted * (len + 1) <= CAP);
    CHECK(busy > 0);
    size_t bodies = 0, bytes = 0;
    storm_intake_pending(in, &bodies, &bytes);
    CHECK(bodies == (size_t)accepted && bytes == (size_t)accepted * (len + 1));
    CHECK(storm_intake_held(in) == bytes);
    /* taken and released: the cap is given back */
    char *b;
    size_t bl;
    uint64_t req;
    while (storm_intake_next(in, &b, &bl, &req, 0) == STORM_OK) {
        CHECK(bl == len);
        storm_intake_release(in, b, bl);
    }
    CHECK(storm_intake_held(in) == 0);
    CHECK(post(storm_intake_port(in), body, len, resp, sizeof resp) == 202);
    storm_intake_close(in);
    storm_intake_pending(in, &bodies, &bytes);
    CHECK(bodies == 1); /* closing keeps what was acknowledged */
    storm_intake_stop(in);
    free(body);
}

static void test_lines_alone(void)
{
    storm_intake_opts o = {"127.0.0.1:0", 0, 0, 0};
    storm_intake *in = NULL;
    storm_err err;
    storm_err_clear(&err);
    CHECK(storm_intake_start(&o, &in, &err) == STORM_OK);
    if (!in)
        return;
    char body[2048], resp[4096];
    snprintf(body, sizeof body, "%s{\"bad\": \n{\"hello\": 1}\n%s", record, record);
    CHECK(post(storm_intake_port(in), body, strlen(body), resp, sizeof resp) == 202);
    CHECK(strstr(resp, "\"accepted\":2,\"records\":2,\"rejected\":2") != NULL);
    CHECK(strstr(resp, "line 2, column") && strstr(resp, "line 3: not a record of a known sensor"));
    snprintf(body, sizeof body, "{\"bad\": \n{\"hello\": 1}\n");
    CHECK(post(storm_intake_port(in), body, strlen(body), resp, sizeof resp) == 400);
    CHECK(strstr(resp, "\"rejected\":2") != NULL);
    storm_intake_stats st;
    storm_intake_get_stats(in, &st);
    CHECK(st.accepted == 1 && st.rejected_bad == 1 && st.records_rejected == 2);
    storm_intake_stop(in);
}

int main(void)
{
    RUN(test_cap_holds);
    RUN(test_lines_alone);
    return test_report("test_source_http");
}
