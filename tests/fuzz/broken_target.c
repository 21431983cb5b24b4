/* SPDX-License-Identifier: Apache-2.0 */
/* A fuzz target broken on purpose, to show that the corpus replay
 * (replay_main.c) can fail: by the first byte of the input, 'A' aborts (a
 * broken property), 'S' dies of SIGSEGV, 'R' returns 1 (outside libFuzzer's
 * contract); anything else passes ('N' returns -1, which libFuzzer allows). */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0]) {
    case 'A': abort();
    case 'S': raise(SIGSEGV); return 0;
    case 'R': return 1;
    case 'N': return -1;
    default: return 0;
    }
}
