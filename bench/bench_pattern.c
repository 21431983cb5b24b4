/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark of the STIX pattern engine (not a test): compile throughput
 * (patterns/s) and match throughput (pattern x observation evaluations/s)
 * on Kubernetes-like process/file observations, beside floors measured in
 * the same run on the same data:
 *   - strcmp floor: one strcmp of each observation's process name against
 *     each pattern's literal (the least any matcher must do);
 *   - JSON floor: parsing each observation's STIX JSON once (what any
 *     consumer of STIX input pays before matching anything).
 * Observations: N observed-data, each with a process (name, pid,
 * command_line, cwd, image_ref) and its file (name, parent directory),
 * half of them real processes (binary, arguments, cwd) from the Tetragon
 * corpus (tests/data/corpus/tetragon), half synthetic ones with varied
 * names, paths and pods. Patterns: a realistic indicator mix (=, IN, LIKE, MATCHES, AND/OR,
 * references).
 * Usage: bench_pattern [N_OBSERVATIONS] (default 20000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <storm/arena.h>
#include <storm/buf.h>
#include <storm/io.h>
#include <storm/json.h>
#include <storm/observation.h>
#include <storm/pattern.h>

#include <storm/pattern_plan.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *NAMES[] = {"bash",   "sh",   "curl", "kubectl", "nsenter",    "python3", "nginx", "containerd-shim",
                              "runc",   "cat",  "ls",   "wget",    "nc",         "crictl",  "mount", "tail",
                              "grep",   "java", "node", "coredns", "kube-proxy", "etcd",    "sleep", "ps",
                              "base64", "chmod"};
static const char *DIRS[] = {"/usr/bin", "/bin",     "/usr/local/bin", "/tmp",       "/var/tmp",
                             "/dev/shm", "/opt/app", "/usr/sbin",      "/proc/self", "/run/containerd"};
static const char *ARGS[] = {"-c 'id'",
                             "-sk https://10.96.0.1:443/api/v1/namespaces/kube-system/secrets",
                             "get pods -A",
                             "-t 1 -m -u -i -n sh",
                             "-m http.server 8080",
                             "/var/run/secrets/kubernetes.io/serviceaccount/token",
                             "-d /tmp/payload.b64",
                             "+x /tmp/x.sh",
                             "-lvnp 4444",
                             "exec -it web-0 -- sh",
                             "3600",
                             "/etc/shadow",
                             "-o /tmp/kubectl https://dl.k8s.io/release/v1.29.0/bin/linux/amd64/kubectl"};

/* Command lines (binary + arguments) and working directories of the
 * processes in the real Tetragon corpus; the process is the "process" of
 * any event kind (process_exec, process_kprobe, ...). */
static size_t corpus_lines(const char *root, const char **out, const char **cwds, size_t cap, storm_arena *a)
{
    static const char *files[] = {"honeycluster-kubehound-calibration.jsonl",
                                  "tetragon-book-security-observability.jsonl", "tetragon-docs-examples.jsonl",
                                  "tetragon-testdata-events.jsonl"};
    size_t n = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/data/corpus/tetragon/%s", root ? root : ".", files[f]);
        char *text;
        size_t len;
        storm_err err;
        storm_err_clear(&err);
        if (storm_read_file(path, 64u << 20, &text, &len, &err) != STORM_OK)
            continue;
        for (char *line = text; line < text + len && n < cap;) {
            char *end = memchr(line, '\n', (size_t)(text + len - line));
            size_t ll = end ? (size_t)(end - line) : (size_t)(text + len - line);
            storm_value *v = NULL;
            if (ll && storm_json_parse(a, line, ll, 0, &v, NULL, NULL) == STORM_OK && v->type == STORM_V_OBJECT &&
                v->u.o.len > 0) {
                const storm_value *proc = storm_v_get(v->u.o.members[0].value, "process");
                const char *bin = storm_v_get_str(proc, "binary");
                const char *args = storm_v_get_str(proc, "arguments");
                if (bin) {
                    out[n] = storm_arena_printf(a, "%s%s%s", bin, args ? " " : "", args ? args : "");
                    cwds[n] = storm_v_get_str(proc, "cwd");
                    n++;
                }
            }
            line = end ? end + 1 : text + len;
        }
        free(text);
    }
    return n;
}

#define NPAT_MAX 256

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    if (n == 0)
        n = 1;
    storm_arena *a = storm_arena_new(0, 0);
    const char *real[2048], *real_cwd[2048];
    size_t n_real = corpus_lines(getenv("STORM_SOURCE_ROOT"), real, real_cwd, 2048, a);
    srand(42);

    /* --- observations, built as value trees, and their JSON text ------------ */
    storm_observation *obs = calloc(n, sizeof *obs);
    const char **obs_name = calloc(n, sizeof *obs_name);
    storm_buf js;
    storm_buf_init(&js, 1u << 30);
    size_t *js_off = calloc(n + 1, sizeof *js_off);
    for (size_t k = 0; k < n; k++) {
        const char *name = NAMES[rand() % (int)(sizeof NAMES / sizeof *NAMES)];
        const char *dir = DIRS[rand() % (int)(sizeof DIRS / sizeof *DIRS)];
        char cl[1024], cwd[256], pid_id[64], file_id[64], dir_id[64];
        /* half the processes are real ones from the corpus */
        size_t r = n_real ? (size_t)rand() % n_real : 0;
        bool use_real = n_real && rand() % 2;
        if (use_real)
            snprintf(cl, sizeof cl, "%s", real[r]);
        else
            snprintf(cl, sizeof cl, "%s/%s %s", dir, name, ARGS[rand() % (int)(sizeof ARGS / sizeof *ARGS)]);
        if (use_real && real_cwd[r])
            snprintf(cwd, sizeof cwd, "%s", real_cwd[r]);
        else
            snprintf(cwd, sizeof cwd, "/var/lib/kubelet/pods/%08x-pod-%zu/volumes", (unsigned)rand(), k % 97);
        if (use_real) { /* name the process after its real binary */
            const char *slash = strrchr(real[r], '/'), *sp = strchr(real[r], ' ');
            if (slash && (!sp || slash < sp)) {
                size_t l = (size_t)((sp ? sp : real[r] + strlen(real[r])) - slash - 1);
                name = storm_arena_strndup(a, slash + 1, l);
            }
        }
        snprintf(pid_id, sizeof pid_id, "process--%08zx-0000-4000-8000-000000000000", k);
        snprintf(file_id, sizeof file_id, "file--%08zx-0000-4000-8000-000000000000", k);
        snprintf(dir_id, sizeof dir_id, "directory--%08zx-0000-4000-8000-000000000000", k);
        storm_value *proc = storm_v_object(a), *file = storm_v_object(a), *d = storm_v_object(a);
        storm_v_set_str(a, proc, "type", "process");
        storm_v_set_str(a, proc, "id", pid_id);
        storm_v_set_str(a, proc, "name", name);
        storm_v_set_int(a, proc, "pid", 1000 + (int64_t)(k % 30000));
        storm_v_set_str(a, proc, "command_line", cl);
        storm_v_set_str(a, proc, "cwd", cwd);
        storm_v_set_str(a, proc, "image_ref", file_id);
        storm_v_set_str(a, file, "type", "file");
        storm_v_set_str(a, file, "id", file_id);
        storm_v_set_str(a, file, "name", name);
        storm_v_set_str(a, file, "parent_directory_ref", dir_id);
        storm_v_set_str(a, d, "type", "directory");
        storm_v_set_str(a, d, "id", dir_id);
        storm_v_set_str(a, d, "path", dir);
        storm_obs_object *objs = storm_arena_calloc(a, 3, sizeof *objs);
        objs[0] = (storm_obs_object){storm_v_get_str(proc, "id"), proc};
        objs[1] = (storm_obs_object){storm_v_get_str(file, "id"), file};
        objs[2] = (storm_obs_object){storm_v_get_str(d, "id"), d};
        obs[k] = (storm_observation){.index = k,
                                     .first_observed = 1700000000000000000LL + (int64_t)k * 1000000000,
                                     .number_observed = 1,
                                     .n_objects = 3,
                                     .objects = objs};
        obs[k].last_observed = obs[k].first_observed;
        obs_name[k] = storm_v_get_str(proc, "name");
        /* the same observation as a STIX 2.1 bundle line */
        js_off[k] = js.len;
        storm_buf_printf(&js,
                         "{\"type\":\"bundle\",\"id\":\"bundle--%zx\",\"objects\":[{\"type\":\"observed-data\","
                         "\"id\":\"observed-data--%08zx-0000-4000-8000-000000000000\",\"first_observed\":"
                         "\"2023-11-14T22:13:20Z\",\"last_observed\":\"2023-11-14T22:13:20Z\",\"number_observed\":1,"
                         "\"object_refs\":[\"%s\",\"%s\",\"%s\"]},",
                         k, k, pid_id, file_id, dir_id);
        storm_json_write(&js, proc, 0);
        storm_buf_putc(&js, ',');
        storm_json_write(&js, file, 0);
        storm_buf_putc(&js, ',');
        storm_json_write(&js, d, 0);
        storm_buf_puts(&js, "]}");
    }
    js_off[n] = js.len;

    /* --- patterns ---------------------------------------------------------- */
    char *pats[NPAT_MAX];
    const char *lits[NPAT_MAX];
    size_t np = 0;
    char tmp[1024];
#define ADD(lit, ...)                                                                                                  \
    do {                                                                                                               \
        snprintf(tmp, sizeof tmp, __VA_ARGS__);                                                                        \
        pats[np] = strdup(tmp);                                                                                        \
        lits[np++] = lit;                                                                                              \
    } while (0)
    for (size_t i = 0; i < 26; i++)
        ADD(NAMES[i], "[process:name = '%s']", NAMES[i]);
    for (size_t i = 0; i < 4; i++)
        ADD("xmrig", "[process:name = 'xmrig%zu']", i);
    for (size_t i = 0; i < 15; i++)
        ADD(NAMES[(i * 5) % 26], "[process:name IN ('%s', '%s', '%s', 'masscan', 'xmrig')]", NAMES[(i * 5) % 26],
            NAMES[(i * 7 + 1) % 26], NAMES[(i * 3 + 2) % 26]);
    static const char *likes[] = {"[process:command_line LIKE '%curl%']",
                                  "[process:command_line LIKE '%/var/run/secrets/%']",
                                  "[file:name LIKE 'kube%']",
                                  "[process:cwd LIKE '/var/lib/kubelet/pods/%']",
                                  "[process:command_line LIKE '%nsenter -t 1%']",
                                  "[file:parent_directory_ref.path LIKE '/tmp%']",
                                  "[process:command_line LIKE '%.sh']",
                                  "[file:name LIKE '_c']",
                                  "[process:command_line LIKE '%-lvnp%']",
                                  "[process:command_line LIKE '/usr/bin/%']"};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof likes / sizeof *likes; i++)
            ADD("curl", "%s", likes[i]);
    static const char *regexes[] = {"(curl|wget)\\\\s+-s?k",
                                    "nsenter\\\\s+-t\\\\s*1\\\\b",
                                    "base64\\\\s+-d",
                                    "/var/run/secrets/kubernetes\\\\.io",
                                    "^/(tmp|dev/shm|var/tmp)/",
                                    "\\\\b(nc|ncat|socat)\\\\b.*-l",
                                    "kubectl\\\\s+(exec|cp|auth)",
                                    "https?://[0-9.]+:(443|6443|10250)/",
                                    "/etc/(shadow|passwd|sudoers)",
                                    "xmrig|minerd|--donate-level"};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof regexes / sizeof *regexes; i++)
            ADD("curl", "[process:command_line MATCHES '%s']", regexes[i]);
    static const char *combos[] = {
        "[process:name = 'sh' AND process:command_line MATCHES 'kubectl|curl']",
        "[process:name = 'bash' AND process:cwd LIKE '/var/lib/kubelet/%' AND process:pid > 2000]",
        "[process:name IN ('nc', 'ncat') OR process:command_line MATCHES '-lvnp\\\\s+\\\\d+']",
        "[file:name = 'shadow' OR file:name = 'passwd' OR file:parent_directory_ref.path = '/etc']",
        "[process:image_ref.name = 'nsenter' AND process:command_line LIKE '%-t 1%']",
        "[process:name = 'curl' AND (process:command_line LIKE '%10250%' OR process:command_line LIKE '%6443%')]",
        "[process:name != 'nginx' AND process:command_line MATCHES '/dev/shm/']",
        "[process:pid < 1100 OR process:name = 'crictl']",
        "[file:name = 'kubectl' AND file:parent_directory_ref.path IN ('/tmp', '/dev/shm', '/var/tmp')]",
        "[process:name = 'python3' AND process:command_line MATCHES 'http\\\\.server']"};
    for (size_t r = 0; r < 2; r++)
        for (size_t i = 0; i < sizeof combos / sizeof *combos; i++)
            ADD("sh", "%s", combos[i]);

    /* --- compile throughput ------------------------------------------------ */
    storm_err err;
    storm_pattern *compiled[NPAT_MAX];
    for (size_t i = 0; i < np; i++) {
        storm_err_clear(&err);
        if (storm_pattern_compile(pats[i], strlen(pats[i]), STORM_SPEC_21, &compiled[i], &err) != STORM_OK) {
            fprintf(stderr, "bench_pattern: %s: %s\n", pats[i], err.msg);
            return 1;
        }
    }
    size_t compiles = 0;
    double t0 = now(), t1;
    do {
        for (size_t i = 0; i < np; i++) {
            storm_pattern *p;
            storm_err_clear(&err);
            storm_pattern_compile(pats[i], strlen(pats[i]), STORM_SPEC_21, &p, &err);
            storm_pattern_free(p);
        }
        compiles += np;
        t1 = now();
    } while (t1 - t0 < 1.0);
    double compile_rate = (double)compiles / (t1 - t0);

    /* --- match throughput (per-leaf, as streaming detection uses it) -------- */
    size_t hits = 0, evals = 0;
    t0 = now();
    do {
        /* observation-major, as a stream is processed: each arriving
         * observation is evaluated against every pattern while it is hot */
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < np; i++) {
                if (err.rc != STORM_OK)
                    storm_err_clear(&err);
                hits += pattern_leaf_match(compiled[i], 0, &obs[k], &err);
            }
        evals += np * n;
        t1 = now();
    } while (t1 - t0 < 2.0);
    double match_rate = (double)evals / (t1 - t0);

    if (getenv("BENCH_PER_PATTERN"))
        for (size_t i = 0; i < np; i++) {
            double s0 = now();
            for (size_t k = 0; k < n; k++) {
                if (err.rc != STORM_OK)
                    storm_err_clear(&err);
                hits += pattern_leaf_match(compiled[i], 0, &obs[k], &err);
            }
            printf("%10.0f evals/s  %s\n", (double)n / (now() - s0), pats[i]);
        }

    /* --- whole-pattern matching through the public API (batch of 1000) ------ */
    size_t batch = n < 1000 ? n : 1000, pm = 0;
    t0 = now();
    for (size_t i = 0; i < np; i++) {
        storm_match m;
        storm_err_clear(&err);
        storm_pattern_match(compiled[i], obs, batch, &m, &err);
        pm += batch;
        storm_match_clear(&m);
    }
    double batch_rate = (double)pm / (now() - t0);

    /* --- floors -------------------------------------------------------------- */
    volatile size_t eq = 0;
    size_t fe = 0;
    t0 = now();
    do {
        for (size_t i = 0; i < np; i++)
            for (size_t k = 0; k < n; k++)
                eq += strcmp(obs_name[k], lits[i]) == 0;
        fe += np * n;
        t1 = now();
    } while (t1 - t0 < 1.0);
    double strcmp_rate = (double)fe / (t1 - t0);

    size_t parsed = 0;
    storm_arena *pa = storm_arena_new(0, 0);
    t0 = now();
    do {
        for (size_t k = 0; k < n; k++) {
            storm_value *v;
            storm_json_parse(pa, js.data + js_off[k], js_off[k + 1] - js_off[k], 0, &v, NULL, NULL);
            if ((k & 255) == 255)
                storm_arena_reset(pa);
        }
        parsed += n;
        t1 = now();
    } while (t1 - t0 < 1.0);
    double parse_rate = (double)parsed / (t1 - t0);
    storm_arena_free(pa);

    printf("bench_pattern: %zu observations (%zu real Tetragon processes mixed in), %zu patterns, %.0f bytes of JSON "
           "per observation\n",
           n, n_real, np, (double)js.len / (double)n);
    printf("compile:            %10.0f patterns/s\n", compile_rate);
    printf("match (leaf API):   %10.0f pattern x observation evaluations/s  (%zu hits)\n", match_rate,
           hits / (evals / (np * n)));
    printf("match (public API): %10.0f pattern x observation evaluations/s  (batches of %zu observations)\n",
           batch_rate, batch);
    printf("floor strcmp:       %10.0f name comparisons/s  -> matching costs %.1fx one strcmp\n", strcmp_rate,
           strcmp_rate / match_rate);
    printf("floor JSON parse:   %10.0f observations/s      -> evaluating all %zu patterns on an observation "
           "costs %.2fx parsing it\n",
           parse_rate, np, parse_rate * (double)np / match_rate);
    printf("per observation:    %10.2f us for %zu patterns (%.0f observations/s/core)\n", 1e6 * (double)np / match_rate,
           np, match_rate / (double)np);

    for (size_t i = 0; i < np; i++) {
        storm_pattern_free(compiled[i]);
        free(pats[i]);
    }
    storm_buf_free(&js);
    free(js_off);
    free(obs);
    free(obs_name);
    storm_arena_free(a);
    return eq == SIZE_MAX;
}
