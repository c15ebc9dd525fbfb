package dev.sluice.core.control;

import dev.sluice.api.AddressText;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.flow.FlowInfo;
import dev.sluice.core.plugin.AuditEvent;
import dev.sluice.core.plugin.FilterChain;
import dev.sluice.core.wire.Mac;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Text and JSON renderings of a {@link Snapshot} and of audit events: what
 * {@code sluice status}, {@code sluice flows} and {@code sluice audit} print.
 * Runs on the control loop, never on the packet loop.
 */
final class Render {
    /** The counter groups of docs/l2.md (L2/L3 services and the link), shown by {@code status}. */
    static final Set<String> L2_GROUPS = Set.of("eth", "arp", "ndp", "ip4", "ip6", "icmp6", "dhcp", "dhcpv6", "l4",
            "link");

    private Render() {
    }

    static String addr(InetSocketAddress a) {
        return AddressText.append(new StringBuilder(48), a).toString();
    }

    static String uptime(long millis) {
        long s = millis / 1000;
        long d = s / 86400;
        long h = s / 3600 % 24;
        long m = s / 60 % 60;
        return (d > 0 ? d + "d " : "") + (d > 0 || h > 0 ? h + "h " : "") + (d > 0 || h > 0 || m > 0 ? m + "m " : "")
                + s % 60 + "s";
    }

    // ---- status ----

    static String statusText(Snapshot.Facts f, Snapshot s) {
        StringBuilder b = new StringBuilder(1024);
        GuestConfig g = f.guest();
        b.append("sluice ").append(f.version()).append(", pid ").append(f.pid()).append(", up ")
                .append(uptime(s.takenAtMillis() - f.startedAt())).append('\n');
        b.append("link:    ").append(f.link()).append(s.linkUp() ? " (guest attached)" : " (no guest)").append('\n');
        b.append("guest:   MAC ").append(s.guestMac() == 0 ? "not seen yet" : Mac.format(s.guestMac()))
                .append(", ours ").append(Mac.format(g.ourMac())).append(", MTU ").append(g.mtu()).append('\n');
        if (g.ipv4()) {
            b.append("  IPv4   ").append(AddressText.toString(g.addr4())).append('/').append(g.prefix4())
                    .append(" gateway ").append(AddressText.toString(g.gw4()))
                    .append(g.dhcp() ? ", DHCP lease infinite, acks " + s.counters().getOrDefault("dhcp.ack", 0L)
                            : ", no DHCP").append('\n');
        }
        if (g.ipv6()) {
            b.append("  IPv6   ").append(AddressText.toString(g.addr6())).append('/').append(g.prefix6())
                    .append(" router ").append(AddressText.toString(g.routerLl6()))
                    .append(g.dhcpv6() ? ", DHCPv6 replies " + s.counters().getOrDefault("dhcpv6.reply", 0L) : "")
                    .append(g.ndp() ? ", RAs sent " + s.counters().getOrDefault("ndp.ra_sent", 0L) : "").append('\n');
        }
        b.append("  seen   ");
        if (s.seen().isEmpty()) {
            b.append("none yet");
        }
        for (int i = 0; i < s.seen().size(); i++) {
            b.append(i > 0 ? ", " : "").append(AddressText.toString(s.seen().get(i)));
        }
        b.append('\n');
        b.append("flows:   tcp ").append(s.tcp()).append(", udp ").append(s.udp()).append(", icmp ").append(s.icmp())
                .append(" (").append(s.budgetUsed()).append(" of --max-flows ").append(s.budgetMax()).append(")\n");
        b.append("plugins:");
        if (s.stages().isEmpty()) {
            b.append(" none\n");
        } else {
            b.append('\n');
            int w = 0;
            for (FilterChain.StageStats st : s.stages()) {
                w = Math.max(w, st.label().length());
            }
            for (FilterChain.StageStats st : s.stages()) {
                b.append("  ").append(pad(st.label(), w)).append("  accepted ").append(st.accepted())
                        .append("  rejected ").append(st.rejected()).append("  dropped ").append(st.dropped())
                        .append("  errors ").append(st.errors());
                if (st.framesDropped() >= 0) {
                    b.append("  frames-dropped ").append(st.framesDropped());
                }
                b.append('\n');
            }
            b.append("  (undecided ").append(s.undecided()).append(", audit lines suppressed ")
                    .append(s.auditSuppressed()).append(")\n");
        }
        b.append("L2/link counters (docs/l2.md, non-zero):");
        int n = 0;
        for (Map.Entry<String, Long> e : s.counters().entrySet()) {
            if (L2_GROUPS.contains(group(e.getKey()))) {
                b.append(n++ % 4 == 0 ? "\n  " : "  ").append(e.getKey()).append(' ').append(e.getValue());
            }
        }
        b.append(n == 0 ? " none\n" : "\n");
        b.append("control: ").append(f.controlPath()).append(" (all counters: sluice metrics)\n");
        return b.toString();
    }

    static String group(String counter) {
        int dot = counter.indexOf('.');
        return dot < 0 ? counter : counter.substring(0, dot);
    }

    static String statusJson(Snapshot.Facts f, Snapshot s) {
        GuestConfig g = f.guest();
        Json guest = Json.object().put("mac", s.guestMac() == 0 ? null : Mac.format(s.guestMac()))
                .put("ourMac", Mac.format(g.ourMac())).put("mtu", g.mtu());
        if (g.ipv4()) {
            guest.put("ipv4", g.addr4()).put("prefix4", g.prefix4()).put("gateway4", g.gw4()).put("dhcp", g.dhcp());
        }
        if (g.ipv6()) {
            guest.put("ipv6", g.addr6()).put("prefix6", g.prefix6()).put("router6", g.routerLl6())
                    .put("ndp", g.ndp()).put("dhcpv6", g.dhcpv6());
        }
        List<String> seen = new ArrayList<>();
        for (InetAddress a : s.seen()) {
            seen.add(Json.string(AddressText.toString(a)));
        }
        guest.raw("seen", Json.array(seen));
        List<String> plugins = new ArrayList<>();
        for (FilterChain.StageStats st : s.stages()) {
            Json p = Json.object().put("plugin", st.label()).put("accepted", st.accepted())
                    .put("rejected", st.rejected()).put("dropped", st.dropped()).put("errors", st.errors());
            if (st.framesDropped() >= 0) {
                p.put("framesDropped", st.framesDropped());
            }
            plugins.add(p.toString());
        }
        Json counters = Json.object();
        s.counters().forEach(counters::put);
        return Json.object().put("version", f.version()).put("pid", f.pid())
                .put("uptimeSeconds", (s.takenAtMillis() - f.startedAt()) / 1000)
                .put("link", f.link()).put("linkUp", s.linkUp()).raw("guest", guest.toString())
                .raw("flows", Json.object().put("tcp", s.tcp()).put("udp", s.udp()).put("icmp", s.icmp())
                        .put("budgetUsed", s.budgetUsed()).put("budgetMax", s.budgetMax()).toString())
                .raw("plugins", Json.array(plugins)).put("undecided", s.undecided())
                .put("auditSuppressed", s.auditSuppressed()).raw("counters", counters.toString())
                .toString() + "\n";
    }

    // ---- flows ----

    static boolean matches(FlowInfo f, String proto) {
        return proto == null || f.proto().startsWith(proto); // "icmp" covers icmpv6
    }

    static String flowJson(FlowInfo f) {
        return Json.object().put("proto", f.proto()).put("inbound", f.inbound()).put("guest", f.guest())
                .put("remote", f.remote()).put("mapped", f.mapped()).put("hostLocal", f.hostLocal())
                .put("hostRemote", f.hostRemote()).put("state", f.state()).put("bytesFromGuest", f.bytesFromGuest())
                .put("bytesToGuest", f.bytesToGuest()).put("ageMillis", f.ageMillis()).put("plugin", f.plugin())
                .put("verdict", f.verdict()).toString() + "\n";
    }

    static final String[] FLOW_HEADER = {"PROTO", "GUEST", "REMOTE", "MAPPED", "HOST SOCKET", "STATE", "FROM-GUEST",
        "TO-GUEST", "AGE", "DECIDED-BY", "VERDICT"};

    static String[] flowColumns(FlowInfo f) {
        String host = f.hostLocal() == null ? "-"
                : addr(f.hostLocal()) + (f.hostRemote() == null ? "" : ">" + addr(f.hostRemote()));
        return new String[] {f.proto(), addr(f.guest()), (f.inbound() ? "<" : "") + addr(f.remote()),
            f.mapped() == null ? "-" : addr(f.mapped()), host, f.state().replace(' ', ','),
            Long.toString(f.bytesFromGuest()), Long.toString(f.bytesToGuest()), age(f.ageMillis()),
            f.plugin() == null ? "-" : f.plugin(), f.verdict()};
    }

    static String age(long ms) {
        return ms < 10_000 ? String.format("%.1fs", ms / 1000.0) : uptime(ms).replace(" ", "");
    }

    /** The table {@code sluice flows} prints: a header, then one aligned line per flow. */
    static String flowsText(List<FlowInfo> flows, boolean truncated) {
        List<String[]> rows = new ArrayList<>(flows.size() + 1);
        rows.add(FLOW_HEADER);
        for (FlowInfo f : flows) {
            rows.add(flowColumns(f));
        }
        int[] w = new int[FLOW_HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder(rows.size() * 120);
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                b.append(i == r.length - 1 ? r[i] : pad(r[i], w[i] + 2));
            }
            b.append('\n');
        }
        if (truncated) {
            b.append("(only the first ").append(Snapshot.MAX_FLOWS).append(" flows are shown)\n");
        }
        return b.toString();
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    // ---- audit ----

    static String auditJson(AuditEvent e) {
        Json j = Json.object().put("time", Instant.ofEpochMilli(e.timeMillis()).toString()).put("action", e.action())
                .put("proto", e.proto());
        if (e.src() != null) {
            j.put("src", e.src()).put("dst", e.dst()).put("mapped", e.mapped());
        } else {
            j.put("srcMac", Mac.format(e.sourceMac()));
        }
        return j.put("plugin", e.plugin()).put("reason", e.reason()).put("suppressed", e.suppressed())
                .toString() + "\n";
    }

    static String auditText(AuditEvent e) {
        StringBuilder b = new StringBuilder(160).append(Instant.ofEpochMilli(e.timeMillis())).append(' ')
                .append(e.action()).append(" proto=").append(e.proto());
        if (e.src() != null) {
            b.append(" src=").append(addr(e.src())).append(" dst=").append(addr(e.dst())).append(" mapped=")
                    .append(addr(e.mapped()));
        } else {
            b.append(" src=").append(Mac.format(e.sourceMac()));
        }
        b.append(" plugin=").append(e.plugin()).append(" reason=");
        Json.quote(b, e.reason());
        if (e.suppressed() > 0) {
            b.append(" suppressed=").append(e.suppressed());
        }
        return b.append('\n').toString();
    }
}
