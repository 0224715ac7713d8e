#include "util/Heap.h"

#include <malloc.h>

namespace agenthost::util {

void fixHeapThresholds() {
    // Setting it also turns off glibc's dynamic adjustment of the threshold (mallopt(3)).
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    // That also fixes the trim threshold at 128 KiB: every free that leaves that much at the top
    // of an arena hands it back at once (madvise, a TLB shootdown on every core), and the next
    // allocations fault the pages in again. A stream of large frames spent most of its time
    // there. The timer's malloc_trim returns free memory anyway, so only a lot is returned at
    // once.
    ::mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
}

void returnFreeHeapPages() {
    ::malloc_trim(0);
}

}  // namespace agenthost::util
