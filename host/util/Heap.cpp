#include "util/Heap.h"

#include <malloc.h>

namespace agenthost::util {

void fixHeapThresholds() {
    // Setting it also turns off glibc's dynamic adjustment of the threshold (mallopt(3)).
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

void returnFreeHeapPages() {
    ::malloc_trim(0);
}

}  // namespace agenthost::util
