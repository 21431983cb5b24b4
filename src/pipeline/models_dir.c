/* SPDX-License-Identifier: Apache-2.0 */
/* Where the shipped attack-model library is found when no --models is given. */
#include <storm/data_dir.h>
#include <storm/pipeline.h>

/* $STORM_MODELS, <datadir>/storm/models, the source tree's models/ (next
 * to the binary or known at configure time), ./models. */
const char *storm_pipeline_default_models(char *buf, size_t cap)
{
    return storm_data_dir_find("STORM_MODELS", "models", "models", NULL, buf, cap);
}
