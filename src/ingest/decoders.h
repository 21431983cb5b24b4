/* SPDX-License-Identifier: Apache-2.0 */
/* One storm_decoder per sensor, each defined in its decode_<sensor>.c. */
#ifndef STORM_INGEST_DECODERS_H
#define STORM_INGEST_DECODERS_H

#include <storm/decode.h>

extern const storm_decoder storm_decoder_tetragon;
extern const storm_decoder storm_decoder_k8s_audit;
extern const storm_decoder storm_decoder_falco;
extern const storm_decoder storm_decoder_kubescape;
extern const storm_decoder storm_decoder_hubble;

#endif
