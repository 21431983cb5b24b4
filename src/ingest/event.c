/* SPDX-License-Identifier: Apache-2.0 */
#include <storm/event.h>

#include <string.h>

const char *storm_sensor_name(storm_sensor s)
{
    static const char *const names[STORM_SENSOR__COUNT] = {
        [STORM_SENSOR_UNKNOWN] = "unknown",     [STORM_SENSOR_TETRAGON] = "tetragon",
        [STORM_SENSOR_K8S_AUDIT] = "k8s-audit", [STORM_SENSOR_FALCO] = "falco",
        [STORM_SENSOR_KUBESCAPE] = "kubescape", [STORM_SENSOR_HUBBLE] = "hubble",
        [STORM_SENSOR_SSHD] = "sshd",           [STORM_SENSOR_HTTP_ACCESS] = "http-access",
    };
    return (unsigned)s < STORM_SENSOR__COUNT ? names[s] : "unknown";
}

storm_event *storm_event_list_add(storm_arena *a, storm_event_list *list)
{
    if (list->n == list->alloc) {
        size_t na = list->alloc ? list->alloc * 2 : 4;
        storm_event *items = storm_arena_alloc(a, na * sizeof *items);
        if (!items)
            return NULL;
        if (list->n)
            memcpy(items, list->items, list->n * sizeof *items);
        list->items = items;
        list->alloc = na;
    }
    storm_event *ev = &list->items[list->n++];
    memset(ev, 0, sizeof *ev);
    return ev;
}
