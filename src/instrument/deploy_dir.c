/* SPDX-License-Identifier: Apache-2.0 */
/* Where Storm's own Kubernetes manifests (deploy/k8s) are found. */
#include <storm/data_dir.h>
#include <storm/instrument.h>

/* $STORM_DEPLOY, <datadir>/storm/k8s, deploy/k8s of the source tree next to
 * the binary or known at configure time, ./deploy/k8s: the first holding
 * daemonset.yaml. */
const char *storm_instrument_default_deploy(char *buf, size_t cap)
{
    return storm_data_dir_find("STORM_DEPLOY", "k8s", "deploy/k8s", "daemonset.yaml", buf, cap);
}
