/*
 * agenthost plugin ABI, version 1.
 *
 * This plain C header is the only boundary between the agenthost server ("the host") and an
 * agent plugin (a shared library, "<name>.so"). Nothing else crosses it: no C++ types, no
 * exceptions, no memory that one side allocates and the other frees.
 *
 * Naming follows who owns a thing:
 *   agenthost_*_host_ptr     opaque pointer owned by the host; the plugin only passes it back.
 *   agenthost_*_plugin_ptr   opaque pointer owned by the plugin; the host only passes it back.
 *   agenthost_str            a borrowed (pointer, length) view of UTF-8 text; valid only for the
 *                            duration of the call that passes it. Copy what you keep.
 *
 * Lifecycle:
 *   1. The host dlopen()s the library (RTLD_NOW | RTLD_LOCAL) and calls the one exported entry
 *      function AGENTHOST_PLUGIN_ENTRY_SYMBOL with its own ABI version and its callback table.
 *      The plugin returns its function table, or NULL to refuse the host. Static constructors
 *      should do no work; the entry function is where a plugin checks compatibility.
 *   2. The host accepts the table when table->abi_major == AGENTHOST_ABI_MAJOR and
 *      table->abi_minor <= the host's minor, and table->struct_size covers the version-1 fields.
 *      Tables and structs only ever grow at the end (minor bumps); a reader checks struct_size
 *      before touching a field added after version 1.0.
 *   3. instance_new() once per configured route ([plugin.NAME] section), instance_destroy() when
 *      the route is removed or the host stops. One library may serve several routes.
 *   4. request_start() once per client message; the plugin answers through the host callbacks
 *      and calls finish() exactly once. request_cancel() asks it to stop early.
 *
 * Threading:
 *   - instance_new, instance_destroy, instance_health, request_start and request_cancel are
 *     called from host threads. They must return promptly (microseconds to a few milliseconds):
 *     do slow work on threads the plugin owns. They may be called concurrently for different
 *     requests and instances.
 *   - The host callbacks (emit_text, report_usage, set_session_state, finish, log) are
 *     thread-safe and may be called from any thread, including from inside request_start and
 *     request_cancel. They never block on the network.
 *   - instance_destroy must cancel outstanding requests, call finish() for each of them, stop and
 *     join every thread the instance started, and only then return. The host calls it only
 *     after it stopped calling request_start for that instance.
 */
#ifndef AGENTHOST_PLUGIN_ABI_H
#define AGENTHOST_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGENTHOST_ABI_MAJOR 1
#define AGENTHOST_ABI_MINOR 0

/* The exported entry point's name, for hosts that look it up. */
#define AGENTHOST_PLUGIN_ENTRY_SYMBOL "agenthost_plugin_entry"

/* A borrowed UTF-8 view; `data` need not be NUL-terminated (the host's always are). */
typedef struct agenthost_str {
    const char* data;
    size_t size;
} agenthost_str;

typedef enum agenthost_health_status {
    AGENTHOST_HEALTH_OK = 0,
    AGENTHOST_HEALTH_DEGRADED = 1, /* works, but a user should act (e.g. no API key set) */
    AGENTHOST_HEALTH_ERROR = 2     /* cannot answer requests */
} agenthost_health_status;

typedef enum agenthost_log_level {
    AGENTHOST_LOG_DEBUG = 0,
    AGENTHOST_LOG_INFO = 1,
    AGENTHOST_LOG_WARNING = 2,
    AGENTHOST_LOG_ERROR = 3
} agenthost_log_level;

/* Host-owned handles. */
typedef struct agenthost_instance_host agenthost_instance_host;
typedef agenthost_instance_host* agenthost_instance_host_ptr;
typedef struct agenthost_request_host agenthost_request_host;
typedef agenthost_request_host* agenthost_request_host_ptr;

/* Plugin-owned handle for one configured instance. */
typedef void* agenthost_instance_plugin_ptr;

/* One `key = value` of the route's [plugin.NAME] section, with env:/file: already resolved.
 * The host's own keys (`library`, `enabled`) are not included. */
typedef struct agenthost_setting {
    agenthost_str key;
    agenthost_str value;
} agenthost_setting;

/* Borrowed by instance_new for the duration of the call. */
typedef struct agenthost_instance_config {
    size_t struct_size;
    agenthost_str route; /* the route name, e.g. "claude" for /api/claude/ws */
    const agenthost_setting* settings;
    size_t settings_count;
    agenthost_instance_host_ptr host; /* pass to log(); valid until instance_destroy returns */
} agenthost_instance_config;

/* One earlier turn of the conversation. role is "user" or "assistant". */
typedef struct agenthost_turn {
    agenthost_str role;
    agenthost_str content;
} agenthost_turn;

/* The struct itself is borrowed for the duration of request_start. The text it points to
 * (every agenthost_str, and the history array) stays valid until the plugin calls finish()
 * for the request, so a plugin may keep views instead of copies while it answers. */
typedef struct agenthost_request {
    size_t struct_size;
    uint64_t request_id;      /* unique within the host process */
    agenthost_str route;      /* the route the client connected to */
    agenthost_str session_id; /* stable for the life of the client's connection */
    agenthost_str key_name;   /* the [key.NAME] that authenticated the client, never the secret */
    agenthost_str message;    /* the new user message */
    const agenthost_turn* history; /* earlier completed turns, oldest first; excludes `message` */
    size_t history_count;
    agenthost_str session_state; /* what the plugin last stored for this session, or empty */
} agenthost_request;

/* The host's callbacks. The table itself lives as long as the loaded library. */
typedef struct agenthost_host_api {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Appends UTF-8 text to the response. The host copies it and sends it to the client at
     * once, split into frames of at most `chunk_chars` code points. A UTF-8 sequence split
     * across two calls is joined; invalid bytes become U+FFFD. */
    void (*emit_text)(agenthost_request_host_ptr request, const char* data, size_t size);

    /* Token usage for the `complete` frame; the last report wins. */
    void (*report_usage)(agenthost_request_host_ptr request, uint64_t input_tokens,
                         uint64_t output_tokens);

    /* Replaces the opaque per-session state handed back with the session's next request
     * (at most 64 KiB; e.g. a CLI agent's thread id). Kept only if the request succeeds. */
    void (*set_session_state)(agenthost_request_host_ptr request, const char* data, size_t size);

    /* Ends the request: exactly once per request_start that returned 0, from any thread.
     * error_code NULL means success; otherwise error_code is a short machine code
     * ("upstream_error", "timeout", ...) and error_message a human-readable sentence.
     * After finish returns, `request` is invalid: the plugin must not use it again. */
    void (*finish)(agenthost_request_host_ptr request, const char* error_code,
                   const char* error_message);

    /* Writes a line to the host's log under the instance's route. Never log secrets. */
    void (*log)(agenthost_instance_host_ptr instance, agenthost_log_level level,
                const char* message);
} agenthost_host_api;

/* The plugin's table, returned by the entry function. Static storage in the plugin. */
typedef struct agenthost_plugin_api {
    size_t struct_size;
    uint32_t abi_major;  /* AGENTHOST_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;  /* AGENTHOST_ABI_MINOR the plugin was built with */
    const char* name;    /* e.g. "echo"; static, NUL-terminated */
    const char* version; /* the plugin's own version, e.g. "1.0.0"; static, NUL-terminated */

    /* Creates an instance for one route. On failure returns NULL and writes a NUL-terminated
     * reason (no secrets) into error[0..error_size). */
    agenthost_instance_plugin_ptr (*instance_new)(const agenthost_instance_config* config,
                                                  char* error, size_t error_size);

    /* See "Threading" above: cancels, finishes and joins everything before returning. */
    void (*instance_destroy)(agenthost_instance_plugin_ptr instance);

    /* Current health; writes a NUL-terminated detail (may be empty) into detail[0..size). */
    agenthost_health_status (*instance_health)(agenthost_instance_plugin_ptr instance, char* detail,
                                               size_t detail_size);

    /* Starts answering `request`. Returns 0 when the plugin took it (and will call finish
     * exactly once), non-zero when it refused it at once (then it must not call finish, and
     * the host reports a generic plugin error). */
    int (*request_start)(agenthost_instance_plugin_ptr instance, const agenthost_request* request,
                         agenthost_request_host_ptr handle);

    /* Asks the plugin to stop the request early: abort its upstream work and still call
     * finish() once, promptly. May race with the plugin's own finish(): a cancel for a request
     * the plugin already finished must be ignored. Must not block. */
    void (*request_cancel)(agenthost_instance_plugin_ptr instance,
                           agenthost_request_host_ptr handle);
} agenthost_plugin_api;

/* The entry function every plugin exports under AGENTHOST_PLUGIN_ENTRY_SYMBOL. `host` lives as
 * long as the library stays loaded. Return NULL to refuse this host (e.g. its major differs). */
typedef const agenthost_plugin_api* (*agenthost_plugin_entry_fn)(uint32_t host_abi_major,
                                                                 uint32_t host_abi_minor,
                                                                 const agenthost_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* AGENTHOST_PLUGIN_ABI_H */
