#pragma once

#include <string>

namespace agenthost::test {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    // Writes `content` to path()/name and returns the full path.
    std::string write(const std::string& name, const std::string& content,
                      bool executable = false) const;

  private:
    std::string path_;
};

// The whole content of the file at `path` ("" when it cannot be read).
std::string readFile(const std::string& path);

}  // namespace agenthost::test
