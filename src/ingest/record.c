/* SPDX-License-Identifier: Apache-2.0 */
/* What a parsed record is, decided once for every reader (storm run,
 * convert, baseline, and the HTTP intake's check before it acknowledges):
 * the record inside a log-shipper envelope, and the decoder that reads it. */
#include <storm/decode.h>

storm_rc storm_decode_classify(storm_arena *a, const storm_value *root, const storm_decoder *forced,
                               const storm_value **rec, const storm_decoder **dec, storm_err *err)
{
    *rec = root;
    *dec = NULL;
    /* a log-shipper envelope whose embedded record is cut short or malformed
     * is reported with the exact reason and position, not guessed at */
    const storm_value *inner = root;
    storm_rc rc = storm_decode_unwrap_ex(a, root, &inner, NULL, err);
    if (rc != STORM_OK) {
        if (!err->msg[0])
            storm_err_set(err, rc, err->offset, "%s", storm_strerror(rc));
        return rc;
    }
    if (inner)
        *rec = inner;
    if ((*rec)->type != STORM_V_OBJECT)
        return storm_err_set(err, STORM_ERR_VALUE, 0, "not a JSON object");
    *dec = forced ? forced : storm_decoder_detect(*rec);
    if (!*dec)
        return storm_err_set(err, STORM_ERR_VALUE, 0,
                             "not a record of a known sensor (tetragon, k8s-audit, falco, kubescape, hubble)");
    return STORM_OK;
}
