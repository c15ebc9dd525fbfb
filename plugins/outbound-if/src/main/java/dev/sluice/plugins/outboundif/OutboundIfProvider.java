package dev.sluice.plugins.outboundif;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.HostAddress;
import dev.sluice.api.HostView;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import dev.sluice.api.Verdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --plugin outbound-if:10.99.0.0/24=dum0,fd99::/64=dum0@fd66::1,default4=eth0}:
 * chooses the host interface ({@code SO_BINDTODEVICE}) and/or source address
 * of each new guest flow from its mapped destination, the longest matching
 * prefix winning. Rules come as options (an address or prefix is the key)
 * and/or from {@code file=PATH}. Everything is checked at startup: a rule's
 * interface must exist and its source must be the host's, or Sluice does not
 * start. When one vanishes later, its flows are refused with a reason
 * ({@code fallback=reject}, the default), dropped, or sent the normal way
 * ({@code fallback=route}).
 */
public final class OutboundIfProvider implements FlowFilterProvider {
    static final String FILE = "file";
    static final String FALLBACK = "fallback";
    private static final int LOGGED_RULES = 10;

    /** What flows of a rule get when its interface or source is gone. */
    enum Fallback {
        /** Refused (TCP RST, ICMP unreachable) and audited with the reason. */
        REJECT,
        /** Silently discarded, audited with the reason. */
        DROP,
        /** Left unbound: the host's routing table decides. */
        ROUTE;

        Verdict verdict(String reason) {
            return switch (this) {
                case REJECT -> Verdict.reject(reason);
                case DROP -> Verdict.drop(reason);
                case ROUTE -> Verdict.CONTINUE;
            };
        }

        String consequence() {
            return switch (this) {
                case REJECT -> "are rejected";
                case DROP -> "are dropped";
                case ROUTE -> "take the normal route";
            };
        }
    }

    @Override
    public String name() {
        return "outbound-if";
    }

    @Override
    public String description() {
        return "Chooses the host interface and source address of guest flows by destination prefix (longest prefix wins)";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(
                new OptionInfo("PREFIX", "IFACE[@SOURCE]|@SOURCE|-",
                        "a rule: flows whose mapped destination is in PREFIX (10.99.0.0/24, fd99::/64, or an address)"
                                + " leave through IFACE (SO_BINDTODEVICE) and/or from SOURCE; - keeps the normal route"),
                new OptionInfo(Rule.DEFAULT4, "IFACE[@SOURCE]|@SOURCE|-", "the rule for 0.0.0.0/0: IPv4 flows that no other rule matches"),
                new OptionInfo(Rule.DEFAULT6, "IFACE[@SOURCE]|@SOURCE|-", "the rule for ::/0: IPv6 flows that no other rule matches"),
                new OptionInfo(FILE, "PATH", "more rules, one PREFIX=TARGET (or default4=/default6=) a line; # starts a comment"),
                new OptionInfo(FALLBACK, "reject|drop|route",
                        "when a rule's interface or source has gone away: refuse its flows (reject, the default),"
                                + " drop them, or let them take the normal route"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options();
        List<Rule> rules = new ArrayList<>();
        for (Map.Entry<String, String> o : options.asMap().entrySet()) {
            String key = o.getKey();
            if (key.equals(FILE) || key.equals(FALLBACK)) {
                continue;
            }
            if (!Rule.isRuleKey(key)) {
                throw new IllegalArgumentException("unknown option \"" + key + "\" (known options: " + Rule.DEFAULT4 + ", "
                        + Rule.DEFAULT6 + ", " + FALLBACK + ", " + FILE + "; rules are PREFIX=IFACE, e.g. 10.99.0.0/24=eth1)");
            }
            rules.add(Rule.parse(key, o.getValue(), "option \"" + key + "\""));
        }
        Fallback fallback = options.getEnum(FALLBACK, Fallback.class, Fallback.REJECT);
        String file = options.get(FILE).orElse(null);
        if (file != null) {
            if (file.isBlank()) {
                throw new IllegalArgumentException("option \"file\" needs a path");
            }
            rules.addAll(Rule.readFile(Path.of(file)));
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("no rules: give PREFIX=IFACE options (10.99.0.0/24=eth1), default4=IFACE,"
                    + " default6=IFACE, or file=PATH");
        }
        checkDuplicates(rules);
        checkHost(rules, context.host());

        Map<String, OutboundIfFilter.Link> links = new HashMap<>();
        List<PrefixTable.Entry<OutboundIfFilter.Target>> v4 = new ArrayList<>();
        List<PrefixTable.Entry<OutboundIfFilter.Target>> v6 = new ArrayList<>();
        for (Rule r : rules) {
            OutboundIfFilter.Link link = r.iface() == null ? null : links.computeIfAbsent(r.iface(), OutboundIfFilter.Link::new);
            (r.prefix().v6() ? v6 : v4).add(new PrefixTable.Entry<>(r.prefix(), new OutboundIfFilter.Target(r, link, fallback)));
        }
        context.logger().info(describe(rules, fallback));
        for (String odd : oddSources(rules, context.host())) {
            context.logger().warn(odd + ": its packets leave with another interface's address");
        }
        return new OutboundIfFilter(context.host(), PrefixTable.build(false, v4), PrefixTable.build(true, v6),
                fallback, context.logger());
    }

    private static void checkDuplicates(List<Rule> rules) {
        Map<Prefix, Rule> seen = new HashMap<>();
        for (Rule r : rules) {
            Rule before = seen.putIfAbsent(r.prefix(), r);
            if (before != null) {
                throw new IllegalArgumentException("two rules for " + r.text().substring(0, r.text().indexOf('=')) + ": "
                        + before.origin() + " and " + r.origin());
            }
        }
    }

    /** Interfaces must exist and sources be the host's now: a typo should stop Sluice, not blackhole flows. */
    private void checkHost(List<Rule> rules, HostView host) {
        for (Rule r : rules) {
            if (r.iface() != null && !host.hasInterface(r.iface())) {
                throw new IllegalArgumentException("interface " + r.iface() + " does not exist (rule " + r.text()
                        + ", " + r.origin() + ")");
            }
            if (r.source() != null && !host.isLocal(r.source())) {
                throw new IllegalArgumentException("source " + Prefix.text(r.source()) + " is not an address of this host"
                        + " (rule " + r.text() + ", " + r.origin() + ")");
            }
        }
    }

    /** {@code 3 rules: 10.99.0.0/24=dum0, fd99::/64=dum0, default4=eth0; gone interface or source: reject}. */
    static String describe(List<Rule> rules, Fallback fallback) {
        StringBuilder sb = new StringBuilder();
        sb.append(rules.size()).append(rules.size() == 1 ? " rule: " : " rules: ");
        for (int i = 0; i < Math.min(rules.size(), LOGGED_RULES); i++) {
            sb.append(i == 0 ? "" : ", ").append(rules.get(i).text());
        }
        if (rules.size() > LOGGED_RULES) {
            sb.append(", ... (").append(rules.size() - LOGGED_RULES).append(" more)");
        }
        return sb.append("; gone interface or source: ").append(fallback.name().toLowerCase(Locale.ROOT)).toString();
    }

    /** Warns about a source that is not on its rule's interface: the kernel allows it, but it is rarely meant. */
    static List<String> oddSources(List<Rule> rules, HostView host) {
        List<String> out = new ArrayList<>();
        Map<String, List<HostAddress>> byIface = new LinkedHashMap<>();
        for (Rule r : rules) {
            if (r.iface() == null || r.source() == null) {
                continue;
            }
            List<HostAddress> on = byIface.computeIfAbsent(r.iface(), host::addressesOf);
            if (on.stream().noneMatch(a -> a.address().equals(r.source()))) {
                out.add("source " + Prefix.text(r.source()) + " is not on " + r.iface() + " (rule " + r.text() + ")");
            }
        }
        return out;
    }
}
