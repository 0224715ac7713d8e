#include "ConversationList.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "HttpSession.h"

namespace agenthost::client {
namespace {

constexpr int kShown = 20;

std::string describe(const Poco::JSON::Object& conversation, const std::string& current) {
    const std::string id = conversation.optValue<std::string>("conversation_id", "");
    const long long turns = conversation.optValue<long long>("turns", 0);
    std::string line = (id == current ? "* " : "  ") + id + "  " + std::to_string(turns) +
                       (turns == 1 ? " turn " : " turns") + "  " +
                       conversation.optValue<std::string>("updated_at", "") + "  " +
                       conversation.optValue<std::string>("title", "");
    if (conversation.optValue<bool>("running", false)) line += "  (running)";
    return line;
}

}  // namespace

ConversationLines listConversations(const Target& target, const std::string& current) {
    ConversationLines result;
    try {
        auto session = openSession(target);
        Poco::Net::HTTPRequest request(
            Poco::Net::HTTPRequest::HTTP_GET,
            "/api/conversations?route=" + target.route + "&limit=" + std::to_string(kShown),
            Poco::Net::HTTPRequest::HTTP_1_1);
        request.set("Authorization", "Bearer " + target.key);
        session->sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::string body;
        Poco::StreamCopier::copyToString(session->receiveResponse(response), body);
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
            result.error = "the server answered /api/conversations with HTTP " +
                           std::to_string(response.getStatus()) + ": " + body;
            return result;
        }
        const auto answer = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        const auto conversations = answer->getArray("conversations");
        for (std::size_t i = 0; conversations && i < conversations->size(); ++i)
            result.lines.push_back(describe(*conversations->getObject(i), current));
        if (result.lines.empty()) result.lines.push_back("(no conversations with a turn yet)");
    } catch (const Poco::Exception& e) {
        result.error = "cannot list the conversations: " + e.displayText();
    }
    return result;
}

}  // namespace agenthost::client
