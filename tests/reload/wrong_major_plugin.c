/* A plugin built for ABI 99.0: the host must refuse it and say why. */
#include <agenthost/plugin_abi.h>

static const agenthost_plugin_api api = {
    sizeof(agenthost_plugin_api), 99, 0, "wrong_major", "0.1.0", 0, 0, 0, 0, 0};

__attribute__((visibility("default"))) const agenthost_plugin_api* agenthost_plugin_entry(
    uint32_t host_abi_major, uint32_t host_abi_minor, const agenthost_host_api* host) {
    (void)host_abi_major;
    (void)host_abi_minor;
    (void)host;
    return &api;
}
