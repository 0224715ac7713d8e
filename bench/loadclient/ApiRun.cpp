#include "ApiRun.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "ProcStats.h"
#include "Stats.h"

namespace agenthost::bench {
namespace {

using Clock = std::chrono::steady_clock;

class ApiClient {
  public:
    explicit ApiClient(const Options& options)
        : session_(options.host, static_cast<Poco::UInt16>(options.port)),
          authorization_("Bearer " + options.key) {
        session_.setKeepAlive(true);
    }

    // GETs `pathAndQuery`; adds the time the request took to `millis`; returns the body.
    // Throws on anything but 200.
    std::string get(const std::string& pathAndQuery, std::vector<double>& millis) {
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, pathAndQuery,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", authorization_);
        const auto start = Clock::now();
        session_.sendRequest(request);
        Poco::Net::HTTPResponse response;
        std::istream& in = session_.receiveResponse(response);
        std::string body;
        Poco::StreamCopier::copyToString(in, body);
        millis.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
            throw std::runtime_error("GET " + pathAndQuery + ": " +
                                     std::to_string(response.getStatus()) + " " + body);
        return body;
    }

  private:
    Poco::Net::HTTPClientSession session_;
    std::string authorization_;
};

Poco::JSON::Object::Ptr parseObject(const std::string& body) {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}

// One page of the listing: appends its conversations' ids; returns the next cursor or "".
std::string listPage(ApiClient& client, const Options& options, const std::string& cursor,
                     std::vector<std::string>& ids, std::vector<double>& millis) {
    Poco::URI uri("/api/conversations");
    uri.addQueryParameter("limit", std::to_string(options.limit));
    if (!cursor.empty()) uri.addQueryParameter("before", cursor);
    const auto page = parseObject(client.get(uri.getPathAndQuery(), millis));
    const auto conversations = page->getArray("conversations");
    if (!conversations) throw std::runtime_error("a listing without \"conversations\"");
    for (std::size_t i = 0; i < conversations->size(); ++i)
        ids.push_back(conversations->getObject(static_cast<unsigned>(i))
                          ->getValue<std::string>("conversation_id"));
    if (!page->has("next") || page->isNull("next")) return "";
    return page->getValue<std::string>("next");
}

}  // namespace

int runApi(const Options& options) {
    std::vector<double> listMs, getMs;
    std::size_t listed = 0, turnsOfFirst = 0;
    try {
        ApiClient client(options);
        for (std::size_t pass = 0; pass < options.passes; ++pass) {
            std::vector<std::string> ids;
            std::string cursor;
            do {
                cursor = listPage(client, options, cursor, ids, listMs);
            } while (!cursor.empty());
            listed = ids.size();
            for (std::size_t i = 0; i < ids.size(); ++i) {
                const auto body = client.get("/api/conversations/" + ids[i], getMs);
                if (i == 0) {  // a sanity check: the conversation has its turns
                    const auto turns = parseObject(body)->getArray("turns");
                    turnsOfFirst = turns ? turns->size() : 0;
                }
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "loadclient: " << e.what() << "\n";
        return 1;
    }
    std::ostringstream out;
    out << "mode=api passes=" << options.passes << " limit=" << options.limit
        << " listed=" << listed << " turns_of_first=" << turnsOfFirst
        << " list_requests=" << listMs.size()
        << " list_p50_ms=" << fixed(percentile(listMs, 0.5), 2)
        << " list_p99_ms=" << fixed(percentile(listMs, 0.99), 2)
        << " list_max_ms=" << fixed(percentile(listMs, 1.0), 2) << " get_requests=" << getMs.size()
        << " get_p50_ms=" << fixed(percentile(getMs, 0.5), 2)
        << " get_p99_ms=" << fixed(percentile(getMs, 0.99), 2)
        << " get_max_ms=" << fixed(percentile(getMs, 1.0), 2);
    if (options.serverPid > 0) out << " rss_kb=" << sampleProcess(options.serverPid).rssKb;
    std::cout << out.str() << std::endl;
    return 0;
}

}  // namespace agenthost::bench
