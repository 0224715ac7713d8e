// Answers with the message's code points in reverse order ("héllo" -> "olléh").
#include <agenthost/plugin.hpp>
#include <string>
#include <vector>

namespace {

// Splits UTF-8 text (the host only sends valid UTF-8) into its code points.
std::vector<std::string> codePoints(const std::string& text) {
    std::vector<std::string> points;
    for (unsigned char byte : text) {
        const bool continuation = (byte & 0xC0) == 0x80;
        if (continuation && !points.empty())
            points.back().push_back(static_cast<char>(byte));
        else
            points.emplace_back(1, static_cast<char>(byte));
    }
    return points;
}

class Reverse : public agenthost::Plugin {
  public:
    explicit Reverse(const agenthost::Context& context) : prefix_(context.settings.get("prefix")) {}

    void respond(const agenthost::Request& request, agenthost::Response& response) override {
        const auto points = codePoints(request.message);
        std::string reversed = prefix_;
        for (auto it = points.rbegin(); it != points.rend(); ++it) reversed += *it;
        response.text(reversed);
    }

  private:
    std::string prefix_;
};

}  // namespace

AGENTHOST_PLUGIN(Reverse, "reverse", "0.1.0")
