// A real Prometheus (Debian's `prometheus`) on loopback scrapes the host's /metrics with the
// admin key as its bearer token, and a series the test produced is read back through the
// Prometheus HTTP API.
#include <Poco/URI.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "MetricsText.h"
#include "support/Wait.h"
#include "support/WsClient.h"

extern char** environ;

namespace agenthost::test {
namespace {

// A prometheus process, stopped (SIGTERM, then waited for) when this goes away.
class Prometheus {
  public:
    Prometheus(const std::string& dir, std::uint16_t port, std::uint16_t target) : port_(port) {
        const std::string config = dir + "/prometheus.yml";
        std::ofstream(config) << "global:\n"
                                 "  scrape_interval: 1s\n"
                                 "  scrape_timeout: 1s\n"
                                 "scrape_configs:\n"
                                 "  - job_name: agenthost\n"
                                 "    metrics_path: /metrics\n"
                                 "    authorization:\n"
                                 "      type: Bearer\n"
                                 "      credentials: "
                              << kAdminKey
                              << "\n"
                                 "    static_configs:\n"
                                 "      - targets: ['127.0.0.1:"
                              << target << "']\n";
        logPath_ = dir + "/prometheus.log";
        std::vector<std::string> args = {
            "prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir + "/tsdb",
            "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, logPath_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        const int error =
            posix_spawnp(&pid_, "prometheus", &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (error != 0) pid_ = -1;
    }
    ~Prometheus() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        if (!waitUntil([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 20s)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
    }

    bool started() const { return pid_ > 0; }
    std::string log() const {
        std::ifstream in(logPath_);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }
    // GET /api/v1/query?query=<expression>: the JSON answer, or "" while it does not answer.
    std::string query(const std::string& expression) const {
        std::string encoded;
        Poco::URI::encode(expression, "&=+{}\"[]", encoded);
        try {
            const auto response = httpRequest(port_, "GET", "/api/v1/query?query=" + encoded);
            return response.status == 200 ? response.body : "";
        } catch (const std::exception&) {
            return "";
        }
    }

  private:
    std::uint16_t port_;
    pid_t pid_ = -1;
    std::string logPath_;
};

// The value of the first series in an instant-vector answer, or "" when there is none.
std::string firstValue(const std::string& json) {
    if (json.empty()) return "";
    auto result = parseJson(json)->getObject("data")->getArray("result");
    if (result->size() == 0) return "";
    return result->getObject(0)->getArray("value")->getElement<std::string>(1);
}

TEST(Prometheus, ScrapesTheHostAndAnswersAQuery) {
    if (std::system("command -v prometheus > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "prometheus is not installed (Debian: apt-get install prometheus)";
    HostProcess host(probeConfig());
    {
        WsClient client(host.port(), "/api/probe/ws");
        client.authenticate(kTestKey);
        for (int i = 0; i < 3; ++i) ASSERT_EQ(client.chat("hello").terminalType(), "complete");
        client.close();
    }
    // Prometheus cannot listen on port 0: a port that was free a moment ago.
    Prometheus prometheus(host.dir().path(), freePort(), host.port());
    ASSERT_TRUE(prometheus.started());
    const std::string expression =
        R"(agenthost_requests_total{job="agenthost",route="probe",key="test",outcome="complete"})";
    std::string value;
    const bool scraped = waitUntil(
        [&] {
            value = firstValue(prometheus.query(expression));
            return value == "3";
        },
        60s);
    EXPECT_TRUE(scraped) << "last value \"" << value << "\"; prometheus said:\n"
                         << prometheus.log();
    // The scrape itself succeeded with the bearer token (up is 1 only for a 200 answer).
    EXPECT_EQ(firstValue(prometheus.query(R"(up{job="agenthost"})")), "1");
}

}  // namespace
}  // namespace agenthost::test
