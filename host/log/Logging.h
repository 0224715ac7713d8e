// Where the server's log lines go and how they look ([log] in docs/config.md): text or JSON,
// the lowest level written, and stderr (the journal, under systemd) or a file that SIGHUP
// reopens for logrotate. Every logger is "agenthost" or below it; they all write through the
// root channel set here.
#pragma once

#include <string>

#include "config/Config.h"

namespace agenthost::log {

// Text lines on stderr at level information: the setting before the config file is read.
void useDefaultLogging();

// Applies `settings` to every logger; "" on success, else why (the file cannot be opened), and
// the logging stays as it was.
std::string configureLogging(const config::LogSettings& settings);

// Reopens the log file by its path, if logging goes to one (after logrotate renamed it);
// "" on success or when logging goes to stderr, else why.
std::string reopenLogFile();

// Writes the lines that wait for the configured channel's writer ([log] flush_ms), now: before
// the process exits.
void flushLog();

}  // namespace agenthost::log
