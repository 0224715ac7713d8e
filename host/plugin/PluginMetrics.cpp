#include "plugin/PluginMetrics.h"

#include <agenthost/plugin_abi.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace agenthost::plugin {
namespace {

bool isMetricName(std::string_view name) {
    if (name.empty() || name.size() > PluginMetrics::kMaxNameBytes) return false;
    if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    });
}

void add(std::atomic<double>& total, double value) noexcept {
    double now = total.load(std::memory_order_relaxed);
    while (!total.compare_exchange_weak(now, now + value, std::memory_order_relaxed)) {
    }
}

}  // namespace

std::uint32_t PluginMetrics::define(std::uint32_t kind, std::string_view name,
                                    std::string_view help) {
    if (kind != AGENTHOST_METRIC_COUNTER && kind != AGENTHOST_METRIC_HISTOGRAM) return 0;
    if (!isMetricName(name)) return 0;
    const std::string full = "agenthost_plugin_" + std::string(name);
    std::lock_guard<std::mutex> lock(defineMutex_);
    const std::uint32_t count = defined_.load(std::memory_order_relaxed);
    for (std::uint32_t i = 0; i < count; ++i)
        if (slots_[i].name == full) return slots_[i].kind == kind ? i + 1 : 0;
    if (count == kMaxMetrics) return 0;
    Slot& slot = slots_[count];
    slot.kind = kind;
    slot.name = full;
    slot.help = std::string(help.substr(0, 512));
    std::replace_if(  // one line in the exposition, whatever the plugin wrote
        slot.help.begin(), slot.help.end(), [](char c) { return c == '\n' || c == '\\'; }, ' ');
    defined_.store(count + 1, std::memory_order_release);  // publishes the slot
    return count + 1;
}

void PluginMetrics::record(std::uint32_t id, double value) noexcept {
    if (id == 0 || id > defined_.load(std::memory_order_acquire) || std::isnan(value)) return;
    Slot& slot = slots_[id - 1];
    if (slot.kind == AGENTHOST_METRIC_COUNTER) {
        if (value >= 0) add(slot.total, value);
        return;
    }
    const auto bound =
        std::lower_bound(metrics::kGenAiBuckets.begin(), metrics::kGenAiBuckets.end(), value);
    slot.buckets[static_cast<std::size_t>(bound - metrics::kGenAiBuckets.begin())].fetch_add(
        1, std::memory_order_relaxed);
    add(slot.total, value);
}

std::vector<PluginMetrics::Sample> PluginMetrics::samples() const {
    std::vector<Sample> out;
    const std::uint32_t count = defined_.load(std::memory_order_acquire);
    for (std::uint32_t i = 0; i < count; ++i) {
        const Slot& slot = slots_[i];
        Sample sample{
            slot.name, slot.help, slot.kind, slot.total.load(std::memory_order_relaxed), {}};
        std::uint64_t running = 0;
        for (std::size_t b = 0; b < slot.buckets.size(); ++b) {
            running += slot.buckets[b].load(std::memory_order_relaxed);
            sample.histogram.cumulative[b] = running;
        }
        sample.histogram.sumSeconds = sample.counter;
        out.push_back(std::move(sample));
    }
    return out;
}

void writePluginMetrics(metrics::Exposition& out, const std::vector<RouteMetrics>& routes) {
    // By name, so each family is written once with every route's sample under it. The first
    // definition's help and kind name the family; a route that defined the name with the other
    // kind is left out of it.
    struct Family {
        std::string help;
        std::uint32_t kind = 0;
        std::vector<std::pair<const std::string*, const PluginMetrics::Sample*>> samples;
    };
    std::map<std::string, Family> families;
    for (const auto& route : routes)
        for (const auto& sample : route.samples) {
            auto [it, added] = families.try_emplace(sample.name);
            if (added) {
                it->second.help = sample.help;
                it->second.kind = sample.kind;
            }
            if (it->second.kind == sample.kind)
                it->second.samples.push_back({&route.route, &sample});
        }
    for (const auto& [name, family] : families) {
        const bool counter = family.kind == AGENTHOST_METRIC_COUNTER;
        out.family(name, counter ? "counter" : "histogram",
                   family.help.empty() ? "Defined by a plugin." : family.help);
        for (const auto& [route, sample] : family.samples) {
            if (counter)
                out.sample(name, {{"route", *route}}, sample->counter);
            else
                out.histogram(name, {{"route", *route}}, sample->histogram);
        }
    }
}

}  // namespace agenthost::plugin
