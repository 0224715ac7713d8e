#include "conversation/HttpApi.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include "conversation/ConversationMarkdown.h"
#include "store/ListCursor.h"
#include "store/TurnStatus.h"

namespace agenthost::conversation {

namespace {

constexpr std::string_view kPrefix = "/api/conversations";
constexpr std::size_t kDefaultListLimit = 50;
constexpr std::size_t kMaxListLimit = 200;
constexpr std::size_t kMaxFramesLimit = 1000;

using http::PlainResponse;
using Poco::JSON::Object;

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

PlainResponse jsonResponse(int status, const Object& body) {
    return PlainResponse{status, "application/json", stringify(body), {}};
}

PlainResponse errorResponse(int status, const std::string& code, const std::string& message) {
    Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("error", code);
    body.set("message", message);
    return jsonResponse(status, body);
}

// The one answer for an unknown id and another key's: nothing to tell them apart.
PlainResponse notFound() {
    return errorResponse(404, "not_found", "no such conversation");
}

PlainResponse badRequest(const std::string& message) {
    return errorResponse(400, "invalid_request", message);
}

PlainResponse methodNotAllowed(const std::string& allowed) {
    PlainResponse response =
        errorResponse(405, "method_not_allowed", "this resource answers " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return response;
}

std::string iso8601(store::Millis millis) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(millis * 1000), "%Y-%m-%dT%H:%M:%S.%iZ");
}

Poco::Dynamic::Var isoOrNull(store::Millis millis) {
    return millis == 0 ? Poco::Dynamic::Var() : Poco::Dynamic::Var(iso8601(millis));
}

// The decoded value of `name` in a raw query string, or nothing when absent.
std::optional<std::string> queryValue(const std::string& query, const std::string& name) {
    std::size_t start = 0;
    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        const std::string pair = query.substr(start, end - start);
        const std::size_t equals = pair.find('=');
        std::string key, value;
        try {
            Poco::URI::decode(pair.substr(0, equals), key, true);
            if (equals != std::string::npos)
                Poco::URI::decode(pair.substr(equals + 1), value, true);
        } catch (const Poco::Exception&) {
            key.clear();
        }
        if (key == name) return value;
        start = end + 1;
    }
    return std::nullopt;
}

// A whole non-negative decimal integer, or nothing.
std::optional<std::int64_t> parseCount(const std::string& text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

// [A-Za-z0-9_-]{16,64}, the spec's conversation id.
bool isConversationId(const std::string& id) {
    if (id.size() < 16 || id.size() > 64) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

Object::Ptr turnJson(const store::TurnRecord& turn) {
    Object::Ptr json = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("turn", turn.turn);
    json->set("user", turn.user);
    json->set("assistant", turn.assistant);
    json->set("status", store::turnStatusName(turn.status));
    json->set("stop_reason",
              turn.stopReason.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(turn.stopReason));
    if (turn.usage) {
        Object::Ptr usage = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        usage->set("input_tokens", turn.usage->inputTokens);
        usage->set("output_tokens", turn.usage->outputTokens);
        if (turn.usage->hasCache) {
            usage->set("cache_creation_input_tokens", turn.usage->cacheCreationInputTokens);
            usage->set("cache_read_input_tokens", turn.usage->cacheReadInputTokens);
        }
        json->set("usage", usage);
    } else {
        json->set("usage", Poco::Dynamic::Var());
    }
    if (turn.errorCode.empty() && turn.errorMessage.empty()) {
        json->set("error", Poco::Dynamic::Var());
    } else {
        Object::Ptr error = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        error->set("code", turn.errorCode);
        error->set("message", turn.errorMessage);
        json->set("error", error);
    }
    json->set("started_at", isoOrNull(turn.startedAt));
    json->set("finished_at", isoOrNull(turn.finishedAt));
    return json;
}

}  // namespace

HttpApi::HttpApi(store::ConversationStore* store, KeyCheck checkKey, LiveConversations* live)
    : store_(store), checkKey_(std::move(checkKey)), live_(live) {}

bool HttpApi::handles(const std::string& path) {
    return path.rfind(kPrefix, 0) == 0 &&
           (path.size() == kPrefix.size() || path[kPrefix.size()] == '/');
}

PlainResponse HttpApi::handle(const http::PlainRequest& request) const {
    const std::string key = request.bearerKey();
    if (key.empty()) {
        PlainResponse response =
            errorResponse(401, "invalid_api_key", "use Authorization: Bearer <key>");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }
    const std::optional<std::string> keyName = checkKey_(key);
    if (!keyName) {
        PlainResponse response = errorResponse(401, "invalid_api_key", "the key is not valid");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
    }
    if (!store_)
        return errorResponse(503, "store_disabled",
                             "conversations are not stored on this server ([conversations] "
                             "store = none)");
    // Read what was written before the request: a conversation whose answer the client just
    // received is listed, with that turn, even if the store's writer has not committed it yet.
    store_->flush();

    // "", "/<id>" or "/<id>/frames".
    const std::string rest = request.path.substr(kPrefix.size());
    if (rest.empty()) {
        if (request.method != "GET") return methodNotAllowed("GET");
        return list(*keyName, request.query);
    }
    const std::size_t slash = rest.find('/', 1);
    const std::string id =
        rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
    if (tail != "" && tail != "/frames") return notFound();
    const bool isFrames = tail == "/frames";
    if (isFrames ? request.method != "GET" : request.method != "GET" && request.method != "DELETE")
        return methodNotAllowed(isFrames ? "GET" : "GET, DELETE");
    if (!isConversationId(id)) return notFound();
    const std::optional<store::ConversationInfo> info = store_->find(id);
    if (!info || info->keyName != *keyName) return notFound();
    if (isFrames) return frames(*info, request.query);
    if (request.method == "DELETE") return remove(*info);
    return get(*info, request.query);
}

PlainResponse HttpApi::list(const std::string& keyName, const std::string& query) const {
    store::ListQuery listQuery;
    listQuery.keyName = keyName;
    listQuery.route = queryValue(query, "route").value_or("");
    listQuery.limit = kDefaultListLimit;
    if (const auto limit = queryValue(query, "limit")) {
        const auto value = parseCount(*limit);
        if (!value || *value < 1)
            return badRequest("limit must be a whole number from 1 to " +
                              std::to_string(kMaxListLimit));
        listQuery.limit = std::min<std::size_t>(static_cast<std::size_t>(*value), kMaxListLimit);
    }
    if (const auto before = queryValue(query, "before")) {
        if (!store::decodeListCursor(*before))
            return badRequest("before must be the next cursor of a previous page");
        listQuery.cursor = *before;
    }
    const store::ListPage page = store_->list(listQuery);

    Poco::JSON::Array::Ptr conversations = new Poco::JSON::Array;
    for (const store::ConversationInfo& info : page.conversations) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("conversation_id", info.id);
        item->set("route", info.route);
        item->set("title", info.title);
        item->set("created_at", iso8601(info.createdAt));
        item->set("updated_at", iso8601(info.updatedAt));
        item->set("turns", info.turns);
        item->set("last_seq", info.lastSeq);
        item->set("running", running(info.id));
        conversations->add(item);
    }
    Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("conversations", conversations);
    body.set("next", page.next.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(page.next));
    return jsonResponse(200, body);
}

PlainResponse HttpApi::get(const store::ConversationInfo& info, const std::string& query) const {
    const std::string format = queryValue(query, "format").value_or("json");
    if (format != "json" && format != "markdown")
        return badRequest("format must be json or markdown");
    const std::vector<store::TurnRecord> turns = store_->turns(info.id);
    if (format == "markdown")
        return PlainResponse{
            200, "text/markdown; charset=utf-8", conversationMarkdown(info, turns), {}};

    Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("conversation_id", info.id);
    body.set("route", info.route);
    body.set("created_at", iso8601(info.createdAt));
    body.set("updated_at", iso8601(info.updatedAt));
    body.set("last_seq", info.lastSeq);
    body.set("running", running(info.id));
    Poco::JSON::Array::Ptr turnList = new Poco::JSON::Array;
    for (const store::TurnRecord& turn : turns) turnList->add(turnJson(turn));
    body.set("turns", turnList);
    return jsonResponse(200, body);
}

PlainResponse HttpApi::frames(const store::ConversationInfo& info, const std::string& query) const {
    std::int64_t afterSeq = 0;
    if (const auto text = queryValue(query, "after_seq")) {
        const auto value = parseCount(*text);
        if (!value) return badRequest("after_seq must be a whole number, 0 or more");
        afterSeq = *value;
    }
    std::size_t limit = kMaxFramesLimit;
    if (const auto text = queryValue(query, "limit")) {
        const auto value = parseCount(*text);
        if (!value || *value < 1)
            return badRequest("limit must be a whole number from 1 to " +
                              std::to_string(kMaxFramesLimit));
        limit = std::min<std::size_t>(static_cast<std::size_t>(*value), kMaxFramesLimit);
    }
    const auto stored = store_->frames(info.id, afterSeq, info.lastSeq, limit);
    // The stored frames go out as they were sent, without being parsed again.
    std::string body = "{\"frames\":[";
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (i > 0) body += ',';
        body += stored[i].json;
    }
    body += "],\"last_seq\":" + std::to_string(info.lastSeq) + "}";
    return PlainResponse{200, "application/json", std::move(body), {}};
}

PlainResponse HttpApi::remove(const store::ConversationInfo& info) const {
    store_->deleteConversation(info.id);
    if (live_) live_->deleted(info.id);
    // So that the answer means it: a read after the 204 no longer finds it.
    store_->flush();
    return PlainResponse{204, "", "", {}};
}

bool HttpApi::running(const std::string& conversationId) const {
    return live_ && live_->running(conversationId);
}

}  // namespace agenthost::conversation
