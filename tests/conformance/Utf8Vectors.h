// The UTF-8 test vectors of the Autobahn testsuite's cases 6.5 to 6.23 (after Markus Kuhn's
// UTF-8-test.txt): each group is one case number, each vector one case in it.
#pragma once

#include <string>
#include <vector>

namespace agenthost::test {

struct Utf8Vector {
    bool valid;
    std::string bytes;
};

struct Utf8Group {
    int number;  // 5 for cases 6.5.x, ...
    std::string title;
    std::vector<Utf8Vector> vectors;
};

std::vector<Utf8Group> utf8Groups();

// "6c 6f" for the docs' table.
std::string hexBytes(const std::string& bytes, std::size_t max = 24);

}  // namespace agenthost::test
