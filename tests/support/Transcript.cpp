#include "support/Transcript.h"

namespace agenthost::test {

std::int64_t seqOf(const Poco::JSON::Object::Ptr& frame) {
    return frame->has("seq") ? frame->getValue<std::int64_t>("seq") : -1;
}

bool isReplay(const Poco::JSON::Object::Ptr& frame) {
    return frame->has("replay") && frame->getValue<bool>("replay");
}

void Transcript::beginConnection(std::int64_t afterSeq) {
    connectionLast_ = afterSeq;
}

bool Transcript::take(const Poco::JSON::Object::Ptr& frame) {
    const std::int64_t seq = seqOf(frame);
    if (seq < 0) return false;
    if (seq != connectionLast_ + 1)
        problems_.push_back("after seq " + std::to_string(connectionLast_) +
                            " this connection got seq " + std::to_string(seq));
    connectionLast_ = seq;
    if (seq <= highest_) return false;  // already rendered: the recipe drops it
    if (seq != highest_ + 1)
        problems_.push_back("gap: highest rendered seq " + std::to_string(highest_) +
                            ", next one seen " + std::to_string(seq));
    highest_ = seq;
    rendered_.push_back(frame);
    return true;
}

std::string Transcript::text() const {
    std::string text;
    for (const auto& frame : rendered_)
        if (frame->getValue<std::string>("type") == "message")
            text += frame->getValue<std::string>("content");
    return text;
}

Poco::JSON::Object::Ptr Transcript::frame(std::int64_t seq) const {
    for (const auto& frame : rendered_)
        if (seqOf(frame) == seq) return frame;
    return nullptr;
}

bool Transcript::rendered(const std::string& type, const std::string& code) const {
    for (const auto& frame : rendered_)
        if (frame->getValue<std::string>("type") == type &&
            (code.empty() || frame->optValue<std::string>("code", "") == code))
            return true;
    return false;
}

}  // namespace agenthost::test
