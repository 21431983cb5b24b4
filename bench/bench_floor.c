/* SPDX-License-Identifier: Apache-2.0 */
/* The floors for bench_run.sh, measured on the same stream as storm run:
 *   bench_floor FILE   ->  "lines|cjson|cjson_extract EVENTS SECONDS BYTES BAD"
 * lines: getline() over the file (the line-reading floor);
 * cjson: cJSON_ParseWithLength of every line (the JSON-library parse floor);
 * cjson_extract: the same plus the extraction of the fields a decoder reads
 * (cjson_extract.h, as in bench_decode): the peer storm run is compared to.
 * Times are CPU time of this process: the machine may be shared. */
#include "cjson_extract.h"
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_floor FILE\n");
        return 2;
    }
    static const char *const names[] = {"lines", "cjson", "cjson_extract"};
    for (int pass = 0; pass < 3; pass++) {
        FILE *f = fopen(argv[1], "r");
        if (!f) {
            perror(argv[1]);
            return 1;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        unsigned long long events = 0, bad = 0, bytes = 0;
        double t0 = now();
        while ((n = getline(&line, &cap, f)) > 0) {
            events++;
            bytes += (unsigned long long)n;
            if (pass >= 1) {
                cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
                if (!j)
                    bad++;
                else if (pass == 2)
                    cjson_extract(j);
                cJSON_Delete(j);
            }
        }
        double secs = now() - t0;
        printf("%s %llu %.6f %llu %llu\n", names[pass], events, secs, bytes, bad);
        free(line);
        fclose(f);
    }
    return 0;
}
