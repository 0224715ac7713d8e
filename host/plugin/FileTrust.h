// Whether a plugin folder or library can be trusted with the server's privileges, the way
// sshd's StrictModes judges ~/.ssh: whoever can write a loaded .so (or the folder it is in,
// where a file can be swapped for another) runs code as agenthost, which may be root.
#pragma once

#include <string>

namespace agenthost::plugin {

// Why `path` could be changed by someone other than root or the user agenthost runs as (it is
// writable by group or others, or owned by another user), with the command that fixes it.
// Empty when it is safe, or when it does not exist (loading it then says so).
std::string untrustedReason(const std::string& path);

}  // namespace agenthost::plugin
