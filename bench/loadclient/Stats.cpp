#include "Stats.h"

#include <algorithm>
#include <cstdio>

namespace agenthost::bench {

double percentile(std::vector<double>& values, double fraction) {
    if (values.empty()) return 0;
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<long>(rank), values.end());
    return values[rank];
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

}  // namespace agenthost::bench
