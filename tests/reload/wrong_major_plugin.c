/* A plugin built for ABI 99.0: the host must refuse it and say why. */
#include <agenthost/plugin_abi.h>

static const agenthost_plugin_api api = {sizeof(agenthost_plugin_api),
                                         99,
                                         0,
                                         0,
                                         0,
                                         AGENTHOST_STR("wrong_major"),
                                         AGENTHOST_STR("0.1.0"),
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0,
                                         0};

__attribute__((visibility("default"))) const agenthost_plugin_api* agenthost_plugin_init(
    const agenthost_host_api* host) {
    (void)host;
    return &api;
}
