package dev.sluice.plugins.rules;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.Protocol;
import dev.sluice.api.Verdict;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * Compiled rules: immutable, so a new set is published with one volatile write
 * and {@link #decide} needs no lock. One {@link PrefixTrie} per destination
 * kind (mapped, original), protocol (tcp, udp, icmp) and family; the first
 * match is the lowest rule index any of the flow's tries yields. Verdicts,
 * reasons included, are built here once, so deciding an IPv4 flow allocates
 * nothing (an IPv6 one the copy of its address the JDK makes).
 */
final class RuleSet {
    static final int TCP = 1;
    static final int UDP = 2;
    static final int ICMP = 4;

    private static final int PROTOCOLS = 3;

    /** [original ? 1 : 0][protocol 0..2][family 0 = IPv4, 1 = IPv6]; null when no rule lives there. */
    private final PrefixTrie[][][] tries = new PrefixTrie[2][PROTOCOLS][2];
    private final boolean anyOriginal;
    private final Verdict[] verdicts;
    private final Verdict defaultVerdict;
    private final Rule.Action defaultAction;
    private final int size;

    private RuleSet(List<Rule> rules, Rule.Action defaultAction) {
        this.size = rules.size();
        this.defaultAction = defaultAction;
        this.defaultVerdict = defaultAction.verdict("no rule matched: default " + name(defaultAction));
        this.verdicts = new Verdict[rules.size()];
        PrefixTrie.Builder[][][] builders = new PrefixTrie.Builder[2][PROTOCOLS][2];
        boolean original = false;
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            verdicts[i] = r.action().verdict(r.where() + ": " + r.text());
            original |= r.original();
            for (int p = 0; p < PROTOCOLS; p++) {
                if ((r.protocols() & (1 << p)) == 0 || (p == 2 && r.hasPorts())) {
                    continue;
                }
                for (int f = 0; f < 2; f++) {
                    if (r.prefix() != null && (r.prefix().length == 16) != (f == 1)) {
                        continue;
                    }
                    PrefixTrie.Builder[] slot = builders[r.original() ? 1 : 0][p];
                    if (slot[f] == null) {
                        slot[f] = new PrefixTrie.Builder(f == 0 ? 32 : 128);
                    }
                    slot[f].add(r.prefix(), r.length(), r.portLow(), r.portHigh(), i);
                }
            }
        }
        this.anyOriginal = original;
        for (int o = 0; o < 2; o++) {
            for (int p = 0; p < PROTOCOLS; p++) {
                for (int f = 0; f < 2; f++) {
                    if (builders[o][p][f] != null) {
                        tries[o][p][f] = builders[o][p][f].build();
                    }
                }
            }
        }
    }

    static RuleSet compile(List<Rule> rules, Rule.Action defaultAction) {
        return new RuleSet(rules, defaultAction);
    }

    /** On the event loop, once per new flow. */
    Verdict decide(FlowAttempt flow) {
        int p = switch (flow.protocol()) {
            case TCP -> 0;
            case UDP -> 1;
            case ICMP, ICMPV6 -> 2;
        };
        int best = lookup(tries[0][p], flow.mappedDestination(), flow.protocol());
        if (anyOriginal) {
            best = Math.min(best, lookup(tries[1][p], flow.destination(), flow.protocol()));
        }
        return best == PrefixTrie.NONE ? defaultVerdict : verdicts[best];
    }

    private static int lookup(PrefixTrie[] byFamily, InetSocketAddress dst, Protocol protocol) {
        InetAddress a = dst.getAddress();
        int port = protocol.isIcmp() ? 0 : dst.getPort();
        if (a instanceof Inet4Address) {
            PrefixTrie t = byFamily[0];
            return t == null ? PrefixTrie.NONE : t.lookup4(IPV4_HASH_IS_ADDRESS ? a.hashCode() : toInt(a.getAddress()), port);
        }
        PrefixTrie t = byFamily[1];
        // getAddress() clones 16 bytes (32 B with its header): the one allocation left, IPv6 only.
        return t == null ? PrefixTrie.NONE : t.lookup(a.getAddress(), port);
    }

    /**
     * Whether {@link Inet4Address#hashCode()} is the address itself, as it has
     * been in every OpenJDK: it reads the address without the array
     * {@code getAddress()} clones per call. Checked once, so another JDK only
     * costs that allocation.
     */
    static final boolean IPV4_HASH_IS_ADDRESS = hashIsAddress();

    private static boolean hashIsAddress() {
        try {
            byte[] probe = {(byte) 192, 0, 2, (byte) 129};
            return InetAddress.getByAddress(probe).hashCode() == toInt(probe)
                    && InetAddress.getByAddress(new byte[] {10, 1, 2, 3}).hashCode() == 0x0a010203;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    static int toInt(byte[] a) {
        return (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
    }

    int size() {
        return size;
    }

    Rule.Action defaultAction() {
        return defaultAction;
    }

    static String name(Rule.Action a) {
        return a.name().toLowerCase(Locale.ROOT);
    }
}
