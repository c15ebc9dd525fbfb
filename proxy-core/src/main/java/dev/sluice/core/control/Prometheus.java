package dev.sluice.core.control;

import dev.sluice.core.plugin.FilterChain;
import java.util.Map;

/**
 * A {@link Snapshot} in the Prometheus text exposition format (version
 * 0.0.4): every family with its HELP and TYPE lines, then its samples.
 * Families: {@code sluice_info}, {@code sluice_uptime_seconds},
 * {@code sluice_link_up}, {@code sluice_flows{proto}},
 * {@code sluice_flow_budget_used}/{@code _max},
 * {@code sluice_plugin_flows_total{plugin,verdict}},
 * {@code sluice_plugin_errors_total{plugin}},
 * {@code sluice_plugin_frames_dropped_total{plugin}},
 * {@code sluice_chain_undecided_total}, {@code sluice_audit_suppressed_total},
 * and {@code sluice_events_total{counter}}: every other core counter
 * (docs/l2.md's drops, the flow layers' opened/refused/retransmits...).
 */
final class Prometheus {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private Prometheus() {
    }

    static String render(Snapshot.Facts f, Snapshot s) {
        StringBuilder b = new StringBuilder(4096);
        family(b, "sluice_info", "gauge", "Build and instance information (always 1).");
        b.append("sluice_info{version=\"").append(label(f.version())).append("\",pid=\"").append(f.pid())
                .append("\"} 1\n");
        family(b, "sluice_uptime_seconds", "gauge", "Seconds since the instance started.");
        b.append("sluice_uptime_seconds ").append((s.takenAtMillis() - f.startedAt()) / 1000.0).append('\n');
        family(b, "sluice_link_up", "gauge", "1 while a guest is attached to the link.");
        b.append("sluice_link_up ").append(s.linkUp() ? 1 : 0).append('\n');
        family(b, "sluice_flows", "gauge", "Live flows per protocol.");
        b.append("sluice_flows{proto=\"tcp\"} ").append(s.tcp()).append('\n');
        b.append("sluice_flows{proto=\"udp\"} ").append(s.udp()).append('\n');
        b.append("sluice_flows{proto=\"icmp\"} ").append(s.icmp()).append('\n');
        family(b, "sluice_flow_budget_used", "gauge", "Flows counted against the per-protocol budgets (sum).");
        b.append("sluice_flow_budget_used ").append(s.budgetUsed()).append('\n');
        family(b, "sluice_flow_budget_max", "gauge", "The sum of the per-protocol budgets (--max-flows, bounded by the fd limit).");
        b.append("sluice_flow_budget_max ").append(s.budgetMax()).append('\n');
        if (!s.stages().isEmpty()) {
            family(b, "sluice_plugin_flows_total", "counter", "New flows a plugin decided, by verdict.");
            for (FilterChain.StageStats st : s.stages()) {
                String p = label(st.label());
                sample(b, "sluice_plugin_flows_total", "plugin=\"" + p + "\",verdict=\"accepted\"", st.accepted());
                sample(b, "sluice_plugin_flows_total", "plugin=\"" + p + "\",verdict=\"rejected\"", st.rejected());
                sample(b, "sluice_plugin_flows_total", "plugin=\"" + p + "\",verdict=\"dropped\"", st.dropped());
            }
            family(b, "sluice_plugin_errors_total", "counter", "Times a plugin threw or gave no verdict (fail-closed).");
            for (FilterChain.StageStats st : s.stages()) {
                sample(b, "sluice_plugin_errors_total", "plugin=\"" + label(st.label()) + "\"", st.errors());
            }
            boolean frames = s.stages().stream().anyMatch(st -> st.framesDropped() >= 0);
            if (frames) {
                family(b, "sluice_plugin_frames_dropped_total", "counter", "Guest frames a plugin's frame hook dropped.");
                for (FilterChain.StageStats st : s.stages()) {
                    if (st.framesDropped() >= 0) {
                        sample(b, "sluice_plugin_frames_dropped_total", "plugin=\"" + label(st.label()) + "\"",
                                st.framesDropped());
                    }
                }
            }
            family(b, "sluice_chain_undecided_total", "counter", "New flows no plugin decided (opened).");
            b.append("sluice_chain_undecided_total ").append(s.undecided()).append('\n');
            family(b, "sluice_audit_suppressed_total", "counter", "Audit lines held back by the rate limit.");
            b.append("sluice_audit_suppressed_total ").append(s.auditSuppressed()).append('\n');
        }
        family(b, "sluice_events_total", "counter",
                "Core event counters by name: drops by reason (docs/l2.md), flows opened and refused, retransmits...");
        for (Map.Entry<String, Long> e : s.counters().entrySet()) {
            String g = Render.group(e.getKey());
            if (!g.equals("plugin") && !g.equals("chain")) {
                sample(b, "sluice_events_total", "counter=\"" + label(e.getKey()) + "\"", e.getValue());
            }
        }
        return b.toString();
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append('\n').append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, long v) {
        b.append(name).append('{').append(labels).append("} ").append(v).append('\n');
    }

    /** A label value: backslash, double quote and line feed escaped, as the format requires. */
    static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
