// Small helpers for the load client's key=value result line.
#pragma once

#include <string>
#include <vector>

namespace agenthost::bench {

// The value at `fraction` (0.5 = median, 1.0 = max) of `values`, which it reorders.
double percentile(std::vector<double>& values, double fraction);

// `value` with `decimals` digits after the point.
std::string fixed(double value, int decimals);

}  // namespace agenthost::bench
