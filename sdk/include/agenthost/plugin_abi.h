/*
 * agenthost plugin ABI, version 2.1 (2.1 added backpressure: AGENTHOST_EMIT_SLOW_DOWN,
 * AGENTHOST_PLUGIN_HONORS_SLOW_DOWN and wait_writable).
 *
 * This plain C header is the only boundary between the agenthost server ("the host") and an
 * agent plugin (a shared library, "<name>.so"). Nothing else crosses it: no C++ types, no
 * exceptions, no memory that one side allocates and the other frees. It stands alone: a plugin
 * may be written in C against this file only (sdk/include/agenthost/plugin.hpp is an optional
 * C++ layer on top of it).
 *
 * Stability (see sdk/README.md): within major version 2 the structs and tables below only grow
 * at the end, and nothing is ever removed or changes meaning. A new minor version adds fields
 * or callbacks at the end; a reader checks `struct_size` before it touches a field that was
 * added after 2.0.
 *
 * Conventions:
 *   - Every string that crosses is an agenthost_str: a (pointer, length) view of UTF-8 text,
 *     not NUL-terminated, borrowed for the duration of the call that passes it (copy what you
 *     keep). The host's strings happen to be NUL-terminated; a plugin must not rely on it.
 *   - Text flowing back into the caller's memory goes through an agenthost_buffer (the callee
 *     writes at most `capacity` bytes and sets `size`).
 *   - Every integer is a fixed-width type; byte lengths are size_t. Enumerations are #defines
 *     of uint32_t values, never C enum types, so their size cannot differ between compilers.
 *   - Names say who owns a thing:
 *       agenthost_*_host_ptr     opaque, owned by the host; the plugin only passes it back.
 *       agenthost_*_plugin_ptr   opaque, owned by the plugin; the host only passes it back.
 *
 * Loading and the version handshake:
 *   1. The host dlopen()s the library (RTLD_NOW | RTLD_LOCAL) and calls the one exported entry
 *      function AGENTHOST_PLUGIN_INIT_SYMBOL with its callback table, which names the host's
 *      ABI major and minor. The plugin returns its function table, or NULL to refuse the host.
 *      Static constructors should do no work.
 *   2. The host accepts the table when
 *        table->abi_major == the host's major,
 *        table->min_host_minor <= the host's minor (the plugin states the oldest host it needs,
 *          which may be older than the SDK it was built with: a plugin rebuilt against 2.3 that
 *          uses nothing added after 2.0 keeps min_host_minor 0 and loads on a 2.0 host), and
 *        table->struct_size covers every field of the 2.0 table.
 *      A plugin detects optional host features from host->abi_minor and host->struct_size.
 *   3. A library built for ABI 1 exports "agenthost_plugin_entry" instead; the host refuses it
 *      with a message that says to rebuild it against SDK 2.
 *
 * Lifecycle of an instance (one per configured route, [plugin.NAME]):
 *   instance_new -> any number of requests -> instance_destroy.
 *
 * Lifecycle of a request (one per user message):
 *   1. request_start(instance, request, handle, &context, refusal). Returning
 *      AGENTHOST_START_ACCEPTED, the plugin has taken the request: it will call finish(handle)
 *      exactly once, and *context is its own per-request pointer (may be NULL). Returning
 *      AGENTHOST_START_REFUSED, it must not call finish or any other request callback; it may
 *      write a short machine code and a sentence into `refusal`, which the client is shown.
 *   2. While the request runs the plugin calls the request callbacks (emit_text, emit_event,
 *      request_approval, report_usage, ...) with `handle`, from any thread, and the host may
 *      call request_cancel(instance, context, reason) and approval_decided(instance, context,
 *      ...).
 *   3. The plugin calls finish(handle, ...) once. `handle` is invalid when finish returns.
 *   4. After finish, and once no request_cancel or approval_decided call for the request is
 *      running, the host calls request_release(instance, context) exactly once, from a host
 *      thread and never from inside a host callback. Only then may the plugin free `context`:
 *      the host never passes a context to the plugin after request_release.
 *   A request still unreleased when instance_destroy is called is never released: the plugin
 *   frees its context in instance_destroy.
 *
 * Threading:
 *   - instance_new, instance_destroy, instance_health, request_cancel, request_release and
 *     approval_decided are called from host threads and must return promptly (microseconds to a
 *     few milliseconds): do slow work on threads the plugin owns. They may be called
 *     concurrently for different requests and instances.
 *   - request_start runs on a host worker thread, where it may take up to a few milliseconds
 *     (build a request body, start a thread). A plugin that sets AGENTHOST_PLUGIN_NONBLOCKING_START
 *     promises that request_start never blocks and returns within microseconds; the host may
 *     then call it on its event-loop thread, which every connection shares, to save a thread
 *     hand-off.
 *   - The host callbacks are thread-safe, may be called from any thread (also from inside
 *     request_start, request_cancel and approval_decided), and never block on the network,
 *     except wait_writable (2.1), whose job is to wait for a slow client.
 *   - instance_destroy must cancel outstanding requests, call finish for each of them, stop and
 *     join every thread the instance started, and only then return. The host calls it after it
 *     stopped calling into the instance, on a thread the plugin does not own, holding no lock.
 */
#ifndef AGENTHOST_PLUGIN_ABI_H
#define AGENTHOST_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGENTHOST_ABI_MAJOR 2
#define AGENTHOST_ABI_MINOR 1

/* The exported entry point's name (ABI 2 and later). */
#define AGENTHOST_PLUGIN_INIT_SYMBOL "agenthost_plugin_init"
/* What ABI 1 libraries exported instead; the host looks for it only to explain a refusal. */
#define AGENTHOST_PLUGIN_ENTRY_SYMBOL_ABI1 "agenthost_plugin_entry"

/* A borrowed UTF-8 view. */
typedef struct agenthost_str {
    const char* data;
    size_t size;
} agenthost_str;

/* An agenthost_str of a string literal. */
#define AGENTHOST_STR(literal) \
    { (literal), sizeof(literal) - 1 }

/* Memory the caller owns, which the callee fills: at most `capacity` bytes at `data`, then
 * `size` set to how many it wrote. Text longer than `capacity` is cut (at a UTF-8 boundary). */
typedef struct agenthost_buffer {
    char* data;
    size_t capacity;
    size_t size;
} agenthost_buffer;

/* Health of an instance. */
#define AGENTHOST_HEALTH_OK 0u
#define AGENTHOST_HEALTH_DEGRADED 1u /* works, but a user should act (e.g. no API key set) */
#define AGENTHOST_HEALTH_ERROR 2u    /* cannot answer requests */

/* Log levels. */
#define AGENTHOST_LOG_DEBUG 0u
#define AGENTHOST_LOG_INFO 1u
#define AGENTHOST_LOG_WARNING 2u
#define AGENTHOST_LOG_ERROR 3u

/* What a request callback returns. Whatever it returns, the plugin still calls finish once. */
#define AGENTHOST_EMIT_OK 0u
#define AGENTHOST_EMIT_CANCELLED 1u   /* the request was cancelled: stop working, then finish */
#define AGENTHOST_EMIT_CLIENT_GONE 2u /* a protocol 1 client left: nobody will read the answer */
#define AGENTHOST_EMIT_STOPPING 3u    /* the host is stopping or the route was removed */
#define AGENTHOST_EMIT_INVALID 4u     /* the arguments were refused (bad kind, data not JSON) */
#define AGENTHOST_EMIT_UNSUPPORTED 5u /* request_approval: nobody can answer; apply the policy */
/* (2.1) Accepted, but the client is behind (the response's unsent bytes passed the host's
 * max_response_buffer_bytes): call wait_writable before sending more. Returned by emit_text and
 * emit_event only to a plugin that sets AGENTHOST_PLUGIN_HONORS_SLOW_DOWN. */
#define AGENTHOST_EMIT_SLOW_DOWN 6u

/* Why the host cancels a request. */
#define AGENTHOST_CANCEL_CLIENT 0u     /* the client sent a cancel frame */
#define AGENTHOST_CANCEL_DISCONNECT 1u /* a protocol 1 client's connection closed */
#define AGENTHOST_CANCEL_SHUTDOWN 2u   /* the host is stopping */
#define AGENTHOST_CANCEL_DRAIN 3u      /* the route was removed by a reload, or it was drained */
#define AGENTHOST_CANCEL_TIMEOUT 4u    /* the request's deadline passed */
#define AGENTHOST_CANCEL_DELETED 5u    /* the conversation was deleted */

/* request_start's answer. */
#define AGENTHOST_START_ACCEPTED 0u
#define AGENTHOST_START_REFUSED 1u

/* A client's answer to an approval request. */
#define AGENTHOST_APPROVAL_ACCEPT 0u
#define AGENTHOST_APPROVAL_DECLINE 1u
/* No answer within the route's approval_timeout_s gives what its approval_policy says: DECLINE
 * unless the route says `accept`. */

/* Plugin-defined metrics. */
#define AGENTHOST_METRIC_COUNTER 0u   /* record adds (values >= 0) */
#define AGENTHOST_METRIC_HISTOGRAM 1u /* record observes one value (seconds, bytes, ...) */

/* agenthost_plugin_api.flags */
#define AGENTHOST_PLUGIN_NONBLOCKING_START 1u /* see "Threading" */
/* (2.1) The plugin understands AGENTHOST_EMIT_SLOW_DOWN and then calls wait_writable (when the
 * host has it: host->struct_size covers it). A 2.0 host ignores the flag. Without it, what the
 * plugin emits is buffered for a slow client up to the host's max_outbound_bytes, beyond which
 * the client is dropped. */
#define AGENTHOST_PLUGIN_HONORS_SLOW_DOWN 2u

/* agenthost_request.flags */
#define AGENTHOST_REQUEST_CAN_ASK_APPROVAL 1u /* a protocol 2 client can answer approvals */

/* Host-owned handles. */
typedef struct agenthost_instance_host agenthost_instance_host;
typedef agenthost_instance_host* agenthost_instance_host_ptr;
typedef struct agenthost_request_host agenthost_request_host;
typedef agenthost_request_host* agenthost_request_host_ptr;

/* Plugin-owned handles. */
typedef void* agenthost_instance_plugin_ptr;
typedef void* agenthost_request_plugin_ptr;

/* One `key = value` of the route's [plugin.NAME] section, with env:/file: already resolved.
 * The host's own keys (`library`, `enabled`, `approval_timeout_s`, `request_timeout_s`) are
 * not included. */
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
    agenthost_instance_host_ptr host; /* for log() and metrics; valid until instance_destroy */
} agenthost_instance_config;

/* One earlier turn of the conversation. role is "user" or "assistant". */
typedef struct agenthost_turn {
    agenthost_str role;
    agenthost_str content;
} agenthost_turn;

/* The struct itself is borrowed for the duration of request_start. The text it points to
 * (every agenthost_str, and the history array) stays valid until the plugin calls finish, so
 * a plugin may keep views instead of copies while it answers. */
typedef struct agenthost_request {
    size_t struct_size;
    uint64_t request_id; /* unique within the host process; also in the host's log lines */
    agenthost_str route; /* the route the client connected to */
    agenthost_str conversation_id; /* stable across reconnects and restarts of the host */
    uint32_t turn;                 /* the turn's number in the conversation, from 1 */
    uint32_t flags;                /* AGENTHOST_REQUEST_* */
    agenthost_str key_name; /* the [key.NAME] that authenticated the client, never the secret */
    agenthost_str message;  /* the new user message */
    const agenthost_turn* history; /* earlier turns, oldest first; excludes `message` */
    size_t history_count;
    agenthost_str session_state; /* what the plugin last stored for this conversation, or empty */
    /* Milliseconds from request_start until the host cancels the request with
     * AGENTHOST_CANCEL_TIMEOUT (the route's request_timeout_s); 0 when there is no deadline. */
    uint64_t timeout_ms;

    /* --- Added in 2.1: read only when struct_size covers it. --- */

    /* history_count opaque blobs, parallel to `history`: what the plugin stored with each
     * assistant turn through set_turn_data (empty for user turns and turns without any), e.g.
     * content blocks its upstream wants back verbatim. NULL when the host has none to give. */
    const agenthost_str* history_turn_data;
} agenthost_request;

/* The host's callbacks. The table lives as long as the library stays loaded. */
typedef struct agenthost_host_api {
    size_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;

    /* --- Request callbacks: `request` is the handle given to request_start. --- */

    /* Appends UTF-8 text to the answer. The host copies it and sends it at once, split into
     * frames of at most `chunk_chars` code points. A UTF-8 sequence split across two calls is
     * joined; invalid bytes become U+FFFD. */
    uint32_t (*emit_text)(agenthost_request_host_ptr request, agenthost_str text);

    /* Something the agent did besides writing text: an `event` frame for protocol 2 clients
     * (see the conversations spec), stored with the conversation. `kind` is one of thinking,
     * tool_call, tool_result, command, file_change, status; `content` one line a person can
     * read; `data` a JSON object (empty: {}). Kind "thinking" is streamed like emit_text:
     * `content` is the next piece of the reasoning text, joined and chunked the same way.
     * Protocol 1 clients never see events. approval_request is not sent this way. */
    uint32_t (*emit_event)(agenthost_request_host_ptr request, agenthost_str kind,
                           agenthost_str content, agenthost_str data);

    /* Asks the client whether the agent may act. `action` is "command" or "file_change",
     * `content` the question a person reads ("Run `make test`?"), `detail` a JSON object.
     * Returns AGENTHOST_EMIT_OK when the question went out: approval_decided(context, cookie,
     * decision) follows exactly once, with the client's answer or, after the route's
     * approval_timeout_s, with what its approval_policy says (DECLINE by default), or never,
     * when the request is cancelled first. Returns AGENTHOST_EMIT_UNSUPPORTED when no client
     * could answer (a protocol 1 request: the plugin applies its configured policy instead; the
     * route's approval_policy is among its settings). `cookie` is the
     * plugin's own value; several approvals may be open at once. */
    uint32_t (*request_approval)(agenthost_request_host_ptr request, uint64_t cookie,
                                 agenthost_str action, agenthost_str content, agenthost_str detail);

    /* Token usage for the `complete` frame and the key's quota; the last report wins. */
    void (*report_usage)(agenthost_request_host_ptr request, uint64_t input_tokens,
                         uint64_t output_tokens);

    /* Why the answer ended (end_turn, max_tokens, refusal, ...), for the `complete` frame. */
    void (*set_stop_reason)(agenthost_request_host_ptr request, agenthost_str stop_reason);

    /* Replaces the opaque per-conversation state handed back with the next request (at most
     * 64 KiB; e.g. a CLI agent's thread id). Kept only if the request succeeds. */
    void (*set_session_state)(agenthost_request_host_ptr request, agenthost_str state);

    /* A log line tied to the request (the host adds route, request id, conversation and turn).
     * Never log secrets; message text is logged only where the host's log_content allows. */
    void (*request_log)(agenthost_request_host_ptr request, uint32_t level, agenthost_str message);

    /* Ends the request: exactly once per accepted request_start, from any thread. An empty
     * error_code means success; otherwise error_code is a short machine code
     * ("upstream_error", "timeout", ...) and error_message a sentence a person can act on.
     * `request` is invalid when finish returns. */
    void (*finish)(agenthost_request_host_ptr request, agenthost_str error_code,
                   agenthost_str error_message);

    /* --- Instance callbacks: `instance` is agenthost_instance_config.host. --- */

    /* A line in the host's log under the instance's route. Never log secrets. */
    void (*log)(agenthost_instance_host_ptr instance, uint32_t level, agenthost_str message);

    /* Defines a metric of the instance: a counter or a histogram, shown in the host's
     * /metrics as agenthost_plugin_<name>{route="..."}. `name` is [a-z_][a-z0-9_]* (at most 64
     * bytes). Returns its id for metric_record, or 0 when refused (bad name, kind, or defined
     * twice with another kind). Defining the same name and kind again returns the same id. */
    uint32_t (*metric_define)(agenthost_instance_host_ptr instance, uint32_t kind,
                              agenthost_str name, agenthost_str help);
    /* Adds `value` to a counter or observes it in a histogram. Cheap: no lock, no allocation. */
    void (*metric_record)(agenthost_instance_host_ptr instance, uint32_t metric, double value);

    /* --- Added in 2.1: call only when abi_minor >= 1 (struct_size covers them). --- */

    /* Opaque data kept with the assistant turn this request produces and handed back with it
     * in later requests' history_turn_data (at most 1 MiB; never shown to clients nor in the
     * HTTP API). Kept only if the request succeeds; the last call wins. */
    void (*set_turn_data)(agenthost_request_host_ptr request, agenthost_str data);

    /* Prompt-cache token counts for the `complete` frame's usage, besides report_usage's
     * (whose input_tokens are the uncached ones): tokens written to the upstream's cache and
     * read from it. The last report wins. */
    void (*report_cache_usage)(agenthost_request_host_ptr request, uint64_t cache_creation_tokens,
                               uint64_t cache_read_tokens);

    /* After an emit returned AGENTHOST_EMIT_SLOW_DOWN: waits, on the plugin's own thread, until
     * the client has taken enough of the response (its unsent bytes are down to half the
     * bound), at most `timeout_ms` (0: no limit). Returns AGENTHOST_EMIT_OK when the plugin may
     * go on, AGENTHOST_EMIT_SLOW_DOWN when the timeout passed first, or what an emit would
     * return for a request that ended (CANCELLED, CLIENT_GONE, STOPPING): a cancel ends the
     * wait at once. Called on a host thread (inside request_start, request_cancel,
     * approval_decided), where waiting would hold up the host, it returns AGENTHOST_EMIT_OK at
     * once. This is how a plugin is slowed to the pace of its reader: a pipe or socket it reads
     * from while it waits pushes back on whatever produces the output. */
    uint32_t (*wait_writable)(agenthost_request_host_ptr request, uint64_t timeout_ms);
} agenthost_host_api;

/* The plugin's table, returned by the init function. Static storage in the plugin. */
typedef struct agenthost_plugin_api {
    size_t struct_size;
    uint32_t abi_major;      /* AGENTHOST_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;      /* AGENTHOST_ABI_MINOR the plugin was built with */
    uint32_t min_host_minor; /* the oldest host minor (same major) the plugin works with */
    uint32_t flags;          /* AGENTHOST_PLUGIN_* */
    agenthost_str name;      /* e.g. "echo"; static */
    agenthost_str version;   /* the plugin's own version, e.g. "1.0.0"; static */

    /* Creates an instance for one route. On failure returns NULL and writes the reason (no
     * secrets) into `error`. */
    agenthost_instance_plugin_ptr (*instance_new)(const agenthost_instance_config* config,
                                                  agenthost_buffer* error);

    /* See "Threading": cancels, finishes and joins everything, frees unreleased contexts. */
    void (*instance_destroy)(agenthost_instance_plugin_ptr instance);

    /* Current health (AGENTHOST_HEALTH_*), with a detail a person can act on (may be empty). */
    uint32_t (*instance_health)(agenthost_instance_plugin_ptr instance, agenthost_buffer* detail);

    /* Starts answering `request`; see "Lifecycle of a request". On refusal, `refusal_code`
     * (a short machine code, e.g. "busy") and `refusal_message` may be filled; left empty,
     * the client gets a generic plugin error. */
    uint32_t (*request_start)(agenthost_instance_plugin_ptr instance,
                              const agenthost_request* request, agenthost_request_host_ptr handle,
                              agenthost_request_plugin_ptr* context, agenthost_buffer* refusal_code,
                              agenthost_buffer* refusal_message);

    /* Asks the plugin to stop the request early (AGENTHOST_CANCEL_* says why): abort its
     * upstream work and still call finish once, promptly. Never called after request_release;
     * may come after the plugin's own finish (then it has nothing to do). Must not block. */
    void (*request_cancel)(agenthost_instance_plugin_ptr instance,
                           agenthost_request_plugin_ptr context, uint32_t reason);

    /* The host is done with the request: free `context`. See "Lifecycle of a request". */
    void (*request_release)(agenthost_instance_plugin_ptr instance,
                            agenthost_request_plugin_ptr context);

    /* The client's answer to request_approval(cookie): AGENTHOST_APPROVAL_*. NULL in a plugin
     * that never asks. Must not block. */
    void (*approval_decided)(agenthost_instance_plugin_ptr instance,
                             agenthost_request_plugin_ptr context, uint64_t cookie,
                             uint32_t decision);
} agenthost_plugin_api;

/* The init function every plugin exports under AGENTHOST_PLUGIN_INIT_SYMBOL. `host` lives as
 * long as the library stays loaded. Return NULL to refuse this host (e.g. its major differs,
 * or its minor is older than the plugin needs). */
typedef const agenthost_plugin_api* (*agenthost_plugin_init_fn)(const agenthost_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* AGENTHOST_PLUGIN_ABI_H */
