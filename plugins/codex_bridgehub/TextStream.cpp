#include "TextStream.h"

namespace codex_bridgehub {

void TextStream::onExit(const RunResult& result) {
    response_.text(decoder_.finish());
    if (!result.status.success()) response_.fail("upstream_error", exitFailure(command_, result));
}

}  // namespace codex_bridgehub
