#include "runner/RunnerLink.h"

#include <cstdlib>

namespace agenthost::runner {

void RunnerLink::send(FrameWriter& frame) {
    const std::string& bytes = frame.finish();
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writeAll(fd_, bytes)) std::_Exit(0);  // the host is gone: nobody to answer
}

}  // namespace agenthost::runner
