// A store that fails is reported in /api/health as degraded, with a reason that names the
// store, and streaming goes on for the clients: the failure neither crashes the host nor loses
// the running turn's live frames. The tests run as root, for whom file modes are no obstacle,
// so the failures are real ones: a full filesystem (a small tmpfs mounted for the test, then
// filled), a read-only one, and a database another process holds locked.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "ConversationTest.h"
#include "SqliteFile.h"

namespace agenthost::test {
namespace {

// A tmpfs of `size` (roomy enough for SQLite's write-ahead log) mounted on a new folder for the
// test's lifetime.
class Tmpfs {
  public:
    Tmpfs(const std::string& path, const std::string& size, bool readOnly = false) : path_(path) {
        ::mkdir(path.c_str(), 0755);
        const std::string options = "size=" + size;
        mounted_ =
            ::mount("tmpfs", path.c_str(), "tmpfs", readOnly ? MS_RDONLY : 0, options.c_str()) == 0;
        if (!mounted_) error_ = std::strerror(errno);
    }
    ~Tmpfs() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;

    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    // Writes a file until the filesystem has no space left.
    void fill() const {
        std::ofstream filler(file("filler"), std::ios::binary);
        const std::string block(4096, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())))
            filler.flush();
    }

  private:
    std::string path_;
    bool mounted_ = false;
    std::string error_;
};

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string healthStatus(const HostProcess& host) {
    return parseJson(host.get("/api/health").body)->getValue<std::string>("status");
}

// Waits until /api/health says degraded and mentions the store; returns its body.
std::string waitForDegradedStore(const HostProcess& host) {
    std::string body;
    waitUntil(
        [&] {
            body = host.get("/api/health").body;
            return parseJson(body)->getValue<std::string>("status") == "degraded" &&
                   lowerCase(body).find("store") != std::string::npos;
        },
        20s);
    return body;
}

void expectDegradedStore(const HostProcess& host) {
    const std::string body = waitForDegradedStore(host);
    auto health = parseJson(body);
    EXPECT_EQ(health->getValue<std::string>("status"), "degraded") << body;
    EXPECT_NE(lowerCase(body).find("store"), std::string::npos)
        << "the reason must name the store: " << body;
}

// A whole response streamed on a new protocol 2 conversation: every seq once, all the text.
void expectStreamWorks(const HostProcess& host, const std::string& text, int pieces) {
    auto connection = startConversation(host, "slow");
    connection->sendMessage(text);
    auto frames = connection->readUntil(terminalOfTurn(1), 30s);
    const Transcript transcript = transcriptOf(frames);
    expectNoProblems(transcript);
    EXPECT_TRUE(transcript.text() == repeated(text, pieces))
        << transcript.text().size() << " characters of " << text.size() * pieces;
    EXPECT_EQ(typeOf(frames.back()), "complete") << canonical(frames.back());
}

void expectProtocol1Works(const HostProcess& host) {
    auto legacy = connectTo(host, "/api/echo/ws");
    legacy->sendMessage("still here");
    auto frames = legacy->readUntil(isType("complete"));
    EXPECT_EQ(describeFrames(frames).find("error"), std::string::npos) << describeFrames(frames);
}

#define REQUIRE_MOUNTED(fs)                                                                   \
    if (!(fs).mounted())                                                                      \
    GTEST_SKIP() << "mounting a tmpfs is not permitted here (" << (fs).error()                \
                 << "); root ignores file modes, so there is no other way to make the store " \
                    "fail"

TEST(StoreFailure, AFullDiskIsDegradedHealthAndStreamingGoesOn) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "16m");
    REQUIRE_MOUNTED(disk);
    HostProcess host(conversationConfig("repeat = 300\ninterval_ms = 5\n", "",
                                        "store = sqlite:" + disk.file("conversations.db") + "\n"));
    expectStreamWorks(host, "fine", 300);  // the store works, and has its file
    EXPECT_EQ(healthStatus(host), "ok") << host.get("/api/health").body;

    disk.fill();
    // 300 frames of 200 characters: far more than fits.
    expectStreamWorks(host, std::string(200, 'f'), 300);

    expectDegradedStore(host);
    EXPECT_TRUE(host.running());
    expectStreamWorks(host, "more", 300);
    expectProtocol1Works(host);
    EXPECT_TRUE(host.running());
}

TEST(StoreFailure, AFullDiskWhileAStreamRunsDoesNotDisturbIt) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "16m");
    REQUIRE_MOUNTED(disk);
    HostProcess host(conversationConfig("repeat = 400\ninterval_ms = 5\n", "",
                                        "store = sqlite:" + disk.file("conversations.db") + "\n"));
    const std::string text(200, 's');
    auto connection = startConversation(host, "slow");
    auto watcher = resumeByUrl(host, "slow", connection.conversationId(), 0);
    connection->sendMessage(text);
    auto frames = connection->readUntil(seqAtLeast(20));
    disk.fill();  // in the middle of the stream
    auto rest = connection->readUntil(terminalOfTurn(1), 30s);
    frames.insert(frames.end(), rest.begin(), rest.end());
    for (const Frames& seen : {frames, watcher->readUntil(terminalOfTurn(1), 30s)}) {
        const Transcript transcript = transcriptOf(seen);
        expectNoProblems(transcript);
        EXPECT_TRUE(transcript.text() == repeated(text, 400)) << "live frames were lost";
    }
    expectDegradedStore(host);
    EXPECT_TRUE(host.running());
}

TEST(StoreFailure, AReadOnlyFilesystemAtStartIsDegradedHealthAndChatWorks) {
    TempDir dir;
    Tmpfs disk(dir.file("disk"), "16m", true);
    REQUIRE_MOUNTED(disk);
    HostProcess host(conversationConfig("repeat = 20\ninterval_ms = 5\n", "",
                                        "store = sqlite:" + disk.file("conversations.db") + "\n"));
    expectDegradedStore(host);
    expectStreamWorks(host, "unstored", 20);
    expectProtocol1Works(host);
}

TEST(StoreFailure, ADatabaseLockedByAnotherProcessIsDegradedHealthAndStreamingGoesOn) {
    HostProcess host(conversationConfig("repeat = 200\ninterval_ms = 5\n"));
    expectStreamWorks(host, "first", 200);
    const std::string path = host.dir().file("state") + "/conversations.db";
    ASSERT_TRUE(waitUntil([&] { return ::access(path.c_str(), F_OK) == 0; })) << path;
    {
        SqliteFile holder(path);
        holder.exec("BEGIN EXCLUSIVE");  // every writer but this one now gets SQLITE_BUSY
        expectStreamWorks(host, "while locked", 200);
        expectDegradedStore(host);
        EXPECT_TRUE(host.running());
        holder.exec("ROLLBACK");
    }
    expectStreamWorks(host, "after the lock", 200);
    EXPECT_TRUE(host.running());
}

}  // namespace
}  // namespace agenthost::test
