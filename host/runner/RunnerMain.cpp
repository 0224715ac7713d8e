#include "runner/RunnerMain.h"

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/HostApi.h"
#include "plugin/PluginLibrary.h"
#include "plugin/PluginMetrics.h"
#include "runner/Frames.h"
#include "runner/RunnerLink.h"
#include "runner/RunnerRequest.h"
#include "runner/Sandbox.h"

namespace agenthost::runner {
namespace {

// Every log line of the runner (the plugin's, and the loader's) goes to the host.
class LinkChannel : public Poco::Channel {
  public:
    explicit LinkChannel(RunnerLink& link) : link_(link) {}
    void log(const Poco::Message& message) override {
        FrameWriter frame(FrameType::Log);
        frame.u32(levelOf(message.getPriority())).str(message.getText());
        link_.send(frame);
    }

  private:
    static std::uint32_t levelOf(Poco::Message::Priority priority) {
        if (priority >= Poco::Message::PRIO_DEBUG) return AGENTHOST_LOG_DEBUG;
        if (priority >= Poco::Message::PRIO_INFORMATION) return AGENTHOST_LOG_INFO;
        if (priority >= Poco::Message::PRIO_WARNING) return AGENTHOST_LOG_WARNING;
        return AGENTHOST_LOG_ERROR;
    }
    RunnerLink& link_;
};

class MetricsToHost final : public plugin::MetricsForward {
  public:
    explicit MetricsToHost(RunnerLink& link) : link_(link) {}
    void defined(std::uint32_t id, std::uint32_t kind, std::string_view name,
                 std::string_view help) override {
        FrameWriter frame(FrameType::MetricDefine);
        frame.u32(id).u32(kind).str(name).str(help);
        link_.send(frame);
    }
    void recorded(std::uint32_t id, double value) override {
        FrameWriter frame(FrameType::MetricRecord);
        frame.u32(id).f64(value);
        link_.send(frame);
    }

  private:
    RunnerLink& link_;
};

class Runner {
  public:
    Runner(int fd, std::string library) : link_(fd), library_(std::move(library)) {}
    int run();
    RunnerLink& link() { return link_; }

  private:
    bool readFrame(FrameReader& into);
    [[noreturn]] void fail(const std::string& why);
    void init(FrameReader& frame);
    void start(FrameReader& frame);
    void health();
    void handle(FrameReader& frame);
    // Runs a call into the plugin with every held emit let through meanwhile: a plugin whose
    // call takes a lock that an emitting thread holds would otherwise wait for a Pace frame
    // that this thread, inside the call, can never read.
    template <class Call>
    auto callPlugin(Call call);

    RunnerLink link_;
    std::string library_;
    FrameBuffer in_;
    std::shared_ptr<plugin::PluginLibrary> loaded_;
    plugin::PluginMetrics metrics_;
    std::unique_ptr<MetricsToHost> forward_;
    agenthost_instance_host host_;
    agenthost_instance_plugin_ptr instance_ = nullptr;
    std::map<std::uint64_t, std::unique_ptr<RunnerRequest>> requests_;  // accepted, unreleased
};

bool Runner::readFrame(FrameReader& into) {
    for (;;) {
        if (auto frame = in_.next()) {
            into = *frame;
            return true;
        }
        if (in_.broken()) return false;
        char buffer[64 * 1024];
        const ssize_t n = ::read(link_.fd(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        in_.append(buffer, static_cast<std::size_t>(n));
    }
}

void Runner::fail(const std::string& why) {
    FrameWriter frame(FrameType::Failed);
    frame.str(why);
    link_.send(frame);
    std::_Exit(1);
}

void Runner::init(FrameReader& frame) {
    host_.route = std::string(frame.str());
    RunnerLimits limits;
    limits.cpuSeconds = frame.u64();
    limits.openFiles = frame.u64();
    std::vector<std::string> texts;
    const std::uint32_t count = frame.u32();
    for (std::uint32_t i = 0; i < 2 * count && frame.ok(); ++i) texts.emplace_back(frame.str());
    if (!frame.ok()) fail("malformed Init frame");
    if (auto why = applyLimits(limits); !why.empty()) fail(why);
    try {
        loaded_ = plugin::PluginLibrary::load(library_);
    } catch (const std::exception& e) {
        fail(e.what());
    }
    std::vector<std::pair<std::string, std::string>> settings;
    for (std::size_t i = 0; i + 1 < texts.size(); i += 2)
        settings.emplace_back(texts[i], texts[i + 1]);
    host_.logger = &Poco::Logger::get("plugin");
    host_.metrics = &metrics_;
    forward_ = std::make_unique<MetricsToHost>(link_);
    host_.forward = forward_.get();
    try {
        instance_ = loaded_->newInstance(host_, settings);
    } catch (const std::exception& e) {
        fail(e.what());
    }
    FrameWriter hello(FrameType::Hello);
    hello.str(loaded_->name()).str(loaded_->version());
    hello.u32(loaded_->api().abi_major).u32(loaded_->api().abi_minor).u32(loaded_->api().flags);
    link_.send(hello);
}

template <class Call>
auto Runner::callPlugin(Call call) {
    struct LetThrough {
        std::map<std::uint64_t, std::unique_ptr<RunnerRequest>>& requests;
        explicit LetThrough(decltype(requests) all) : requests(all) {
            for (auto& [id, request] : requests) request->letThrough(true);
        }
        ~LetThrough() {
            for (auto& [id, request] : requests) request->letThrough(false);
        }
    } letThrough(requests_);
    return call();
}

void Runner::start(FrameReader& frame) {
    const std::uint64_t id = frame.u64();
    auto request = std::make_unique<RunnerRequest>(link_, id, frame, loaded_->honorsSlowDown());
    char code[64];
    char message[1024];
    agenthost_buffer codeBuffer{code, sizeof code, 0};
    agenthost_buffer messageBuffer{message, sizeof message, 0};
    const std::uint32_t answer = callPlugin([&] {
        return loaded_->api().request_start(instance_, &request->raw(), request.get(),
                                            &request->context, &codeBuffer, &messageBuffer);
    });
    const bool accepted = answer == AGENTHOST_START_ACCEPTED;
    FrameWriter started(FrameType::Started);
    started.u64(id).u8(accepted ? 1 : 0);
    started.str(accepted ? "" : plugin::bufferText(codeBuffer));
    started.str(accepted ? "" : plugin::bufferText(messageBuffer));
    link_.send(started);
    if (accepted) requests_[id] = std::move(request);
}

void Runner::health() {
    char detail[1024];
    agenthost_buffer buffer{detail, sizeof detail, 0};
    const std::uint32_t status =
        callPlugin([&] { return loaded_->api().instance_health(instance_, &buffer); });
    FrameWriter answer(FrameType::HealthAnswer);
    answer.u32(status).str(plugin::bufferText(buffer));
    link_.send(answer);
}

void Runner::handle(FrameReader& frame) {
    const auto& api = loaded_->api();
    switch (frame.type()) {
        case FrameType::Start:
            return start(frame);
        case FrameType::Health:
            return health();
        default:
            break;
    }
    const std::uint64_t id = frame.u64();
    const auto it = requests_.find(id);
    if (it == requests_.end()) return;  // refused, or released already
    RunnerRequest& request = *it->second;
    switch (frame.type()) {
        case FrameType::Cancel: {
            const std::uint32_t reason = frame.u32();
            request.setStatus(plugin::emitStatusAfterCancel(reason));
            callPlugin([&] { api.request_cancel(instance_, request.context, reason); });
            break;
        }
        case FrameType::Release:
            callPlugin([&] { api.request_release(instance_, request.context); });
            request.retire();
            requests_.erase(it);
            break;
        case FrameType::Decision: {
            const std::uint64_t cookie = frame.u64();
            const std::uint32_t decision = frame.u32();
            if (api.approval_decided)
                callPlugin(
                    [&] { api.approval_decided(instance_, request.context, cookie, decision); });
            break;
        }
        case FrameType::Status:
            request.setStatus(frame.u32());
            break;
        case FrameType::Pace:
            request.setSlowed(frame.u8() != 0);
            break;
        default:
            break;
    }
}

int Runner::run() {
    // This thread makes every call into the plugin and reads the frames that end a wait in
    // wait_writable, so it must never wait there itself (RunnerRequest::onWaitWritable).
    plugin::HostCallScope hostThread;
    FrameReader frame(FrameType::Init, {});
    if (!readFrame(frame) || frame.type() != FrameType::Init) return 1;
    init(frame);
    while (readFrame(frame)) {
        if (frame.type() == FrameType::Stop) {
            // The plugin finishes what is still running (its Finish frames go out) and joins.
            callPlugin([&] { loaded_->api().instance_destroy(instance_); });
            return 0;
        }
        handle(frame);
    }
    return 0;  // the host is gone; the process ends without waiting for the plugin
}

}  // namespace

int runnerMain(int argc, char** argv) {
    if (argc != 4) return 2;
    const int fd = std::atoi(argv[2]);
    if (auto why = dropInheritance(fd); !why.empty()) return 3;
    Runner runner(fd, argv[3]);
    // Log lines go to the host over the socket from the start, from every logger there is.
    Poco::Logger::setChannel("", Poco::AutoPtr<Poco::Channel>(new LinkChannel(runner.link())));
    Poco::Logger::setLevel("", Poco::Message::PRIO_DEBUG);
    // Exit without running static destructors: the plugin's threads may still run.
    std::_Exit(runner.run());
}

}  // namespace agenthost::runner
