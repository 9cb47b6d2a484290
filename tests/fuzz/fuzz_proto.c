/* fuzz_proto — libFuzzer target for the wire decoder (core/proto.c): any frame either
 * decodes into a message that passes its schema, or is refused with an error string;
 * never a crash, a leak or a read past the frame. A message that decodes must also
 * survive a round trip: its encoding decodes again, to the same bytes when encoded
 * once more (the coordinator and workers re-send what they decode). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/proto.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[HPS_ERR_LEN];
    proto_msg_t *m = proto_decode(data, size, err);
    if (!m) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    char *buf, *again;
    size_t len, again_len;
    proto_encode(m, &buf, &len);
    proto_msg_t *m2 = proto_decode(buf, len, err);
    if (!m2 || strcmp(proto_type(m), proto_type(m2)) != 0)
        abort(); /* what we send must be what we accept */
    proto_encode(m2, &again, &again_len);
    if (again_len != len || memcmp(buf, again, len) != 0)
        abort();
    free(again);
    free(buf);
    proto_destroy(&m2);
    proto_destroy(&m);
    return 0;
}
