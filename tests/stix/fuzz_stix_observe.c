/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: arbitrary field values in a typed event must always give an
 * observation whose bundle passes the strict-mode checker (or a clean
 * "nothing to observe" error); never a crash. The input is a JSON object
 * whose members fill event fields by name (see FIELD below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <storm/json.h>
#include <storm/stix.h>

#include "json_write_int.h"
#include "stix_int.h"
#include "stix_check.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *s(const storm_value *o, const char *k)
{
    return storm_v_get_str(o, k);
}

static bool i(const storm_value *o, const char *k, int64_t *out)
{
    const storm_value *v = storm_v_get(o, k);
    if (!v || v->type != STORM_V_INT)
        return false;
    *out = v->u.i;
    return true;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    storm_arena *a = storm_arena_new(0, (size_t)64 << 20);
    storm_value *root = NULL;
    storm_err err;
    if (!a || storm_json_parse(a, (const char *)data, size, 0, &root, NULL, &err) != STORM_OK ||
        root->type != STORM_V_OBJECT) {
        storm_arena_free(a);
        return 0;
    }
    storm_event ev = {0};
    int64_t v;
    ev.sensor = (storm_sensor)(i(root, "sensor", &v) ? (v & 7) % STORM_SENSOR__COUNT : 1);
    ev.type = s(root, "type");
    ev.has_time = i(root, "time", &ev.time);
    ev.k8s.node = s(root, "node");
    ev.k8s.namespace_ = s(root, "ns");
    ev.k8s.pod = s(root, "pod");
    ev.k8s.image = s(root, "image");
    ev.k8s.labels = storm_v_get(root, "labels");
    ev.process.has_pid = i(root, "pid", &ev.process.pid);
    ev.process.has_uid = i(root, "uid", &ev.process.uid);
    ev.process.has_start_time = i(root, "start", &ev.process.start_time);
    ev.process.binary = s(root, "binary");
    ev.process.arguments = s(root, "arguments");
    ev.process.cwd = s(root, "cwd");
    ev.process.exec_id = s(root, "exec_id");
    ev.process.environment = storm_v_get(root, "env");
    ev.process.extra = storm_v_get(root, "extra");
    ev.process.present = storm_v_get(root, "process") != NULL;
    ev.parent.has_pid = i(root, "ppid", &ev.parent.pid);
    ev.parent.binary = s(root, "pbinary");
    ev.parent.exec_id = s(root, "pexec_id");
    const char *f = s(root, "file");
    if (f) {
        ev.n_files = 1;
        ev.files[0].path = f;
    }
    ev.net.present = storm_v_get(root, "net") != NULL;
    ev.net.src_ip = s(root, "src");
    ev.net.dst_ip = s(root, "dst");
    ev.net.has_src_port = i(root, "sport", &ev.net.src_port);
    ev.net.has_dst_port = i(root, "dport", &ev.net.dst_port);
    ev.net.protocol = s(root, "proto");
    ev.net.family = s(root, "family");
    ev.net.dns_name = s(root, "dns");
    ev.net.extra = storm_v_get(root, "nextra");
    ev.hook.present = storm_v_get(root, "hook") != NULL;
    ev.hook.name = s(root, "hook");
    ev.hook.args = storm_v_get(root, "args");
    ev.hook.ret = storm_v_get(root, "ret");
    ev.audit.present = storm_v_get(root, "verb") != NULL;
    ev.audit.verb = s(root, "verb");
    ev.audit.source_ip = s(root, "source_ip");
    ev.audit.user = s(root, "user");
    ev.audit.request_uri = s(root, "uri");
    ev.audit.request_object = storm_v_get(root, "request");
    ev.alert.present = storm_v_get(root, "rule") != NULL;
    ev.alert.rule = s(root, "rule");
    ev.alert.fields = storm_v_get(root, "fields");
    ev.raw = root;

    storm_observation obs;
    storm_rc rc = storm_stix_observe(a, &ev, NULL, &obs, &err);
    if (rc == STORM_OK) {
        /* the fast writer must give the core writer's bytes */
        storm_buf x, y;
        storm_buf_init(&x, (size_t)64 << 20);
        storm_buf_init(&y, (size_t)64 << 20);
        for (size_t k = 0; k <= obs.n_objects; k++) {
            const storm_value *o = k ? obs.objects[k - 1].value : obs.sdo;
            storm_buf_reset(&x);
            storm_buf_reset(&y);
            storm_rc r1 = storm_json_write(&x, o, STORM_JSONW_COMPACT),
                     r2 = json_write_piecewise(&y, o, STORM_JSONW_COMPACT);
            if (r1 != r2 || x.len != y.len || (x.len && memcmp(x.data, y.data, x.len) != 0))
                abort();
        }
        storm_buf_free(&x);
        storm_buf_free(&y);
        storm_buf b;
        storm_buf_init(&b, (size_t)64 << 20);
        if (storm_stix_write_observation_bundle(&b, &obs) == STORM_OK) {
            storm_value *bundle = NULL;
            char *copy = storm_arena_strndup(a, b.data, b.len);
            if (!copy || storm_json_parse(a, copy, b.len, 0, &bundle, NULL, &err) != STORM_OK)
                abort(); /* Storm wrote JSON it cannot read back */
            char msg[1024];
            if (stix_check_bundle(bundle, msg, sizeof msg) != 0) {
                fprintf(stderr, "%s\n%s", b.data, msg);
                abort();
            }
        }
        storm_buf_free(&b);
    } else if (rc != STORM_ERR_VALUE && rc != STORM_ERR_NOMEM) {
        abort();
    }
    storm_arena_free(a);
    return 0;
}
