// libFuzzer: the decoder of `onedp serve` requests (serve/protocol.h), on raw message
// bytes as a client could send them. Checked: an accepted message's payload lies inside
// it with exactly count floats, and encoding the decoded header and payload gives back the
// same bytes; a rejected one sets an error message.
#include "core/error.h"
#include "fuzz.h"
#include "serve/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ServeHeader h;
  const void *payload;
  odp_error_clear();
  if (serve_decode(data, size, &h, &payload)) {
    FUZZ_CHECK(odp_error()[0], "a rejected message without a reason");
    return 0;
  }
  const size_t bytes = (size_t)h.count * 4;
  FUZZ_CHECK((const uint8_t *)payload == data + SERVE_HEADER_BYTES && SERVE_HEADER_BYTES + bytes == size,
             "payload of %u floats outside the %zu-byte message", h.count, size);
  uint8_t *again = malloc(size);
  FUZZ_CHECK(again && serve_encode(again, size, &h, payload, bytes) == size && !memcmp(again, data, size),
             "decode then encode does not give the message back");
  free(again);
  return 0;
}
