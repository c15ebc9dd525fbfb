package dev.sluice.plugins.outboundif;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.HostView;
import dev.sluice.api.PluginLogger;
import dev.sluice.api.Verdict;
import java.net.InetAddress;

/**
 * The outbound-if decision, on Sluice's event loop once per new flow: one
 * binary search for the longest matching prefix of the mapped destination,
 * then, for a rule with an interface, one question to the kernel whether it
 * still exists, and for one with a source, whether that is still the host's.
 * Verdicts and messages are built at startup; what a decision allocates is
 * the destination's address bytes.
 *
 * <p>A rule whose interface or source is gone never lets its flows slip out
 * through another uplink unnoticed: they get the rule's precomputed verdict
 * (reject or drop, audited by Sluice with the reason), or with
 * {@code fallback=route} the normal route, which is then a choice the user
 * made. Each disappearance and return is logged once.
 */
final class OutboundIfFilter implements FlowFilter {
    /** One interface named by rules; rules naming the same interface share it, so its loss is logged once. */
    static final class Link {
        final String name;
        private boolean missing; // event loop only

        Link(String name) {
            this.name = name;
        }
    }

    /** A rule, ready for decisions. */
    static final class Target {
        final String text;
        final Link link;
        final InetAddress source;
        final boolean route;
        final Verdict linkGone;
        final Verdict sourceGone;
        private boolean sourceMissing; // event loop only

        Target(Rule rule, Link link, OutboundIfProvider.Fallback fallback) {
            this.text = rule.text();
            this.link = link;
            this.source = rule.source();
            this.route = rule.isRoute();
            this.linkGone = link == null ? null : fallback.verdict("interface " + link.name + " of rule " + text
                    + " no longer exists");
            this.sourceGone = source == null ? null : fallback.verdict("source " + Prefix.text(source) + " of rule "
                    + text + " is no longer an address of the host");
        }
    }

    private final HostView host;
    private final PrefixTable<Target> v4;
    private final PrefixTable<Target> v6;
    private final OutboundIfProvider.Fallback fallback;
    private final PluginLogger log;

    OutboundIfFilter(HostView host, PrefixTable<Target> v4, PrefixTable<Target> v6,
                     OutboundIfProvider.Fallback fallback, PluginLogger log) {
        this.host = host;
        this.v4 = v4;
        this.v6 = v6;
        this.fallback = fallback;
        this.log = log;
    }

    /** The rule for a destination, or null (for tests, and {@link #decide}). */
    Target lookup(InetAddress destination) {
        byte[] b = destination.getAddress();
        return b.length == 4 ? v4.lookup(0, Prefix.word4(b)) : v6.lookup(Prefix.word(b, 0), Prefix.word(b, 8));
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        InetAddress dst = flow.mappedDestination().getAddress();
        if (dst.isLoopbackAddress()) {
            return Verdict.CONTINUE; // the gateway mapping to the host's loopback: no uplink can carry it
        }
        Target t = lookup(dst);
        if (t == null || t.route) {
            return Verdict.CONTINUE;
        }
        Link link = t.link;
        if (link != null) {
            if (!host.hasInterface(link.name)) {
                if (!link.missing) {
                    link.missing = true;
                    log.warn("interface " + link.name + " is gone: flows of its rules " + fallback.consequence()
                            + " until it is back");
                }
                return t.linkGone;
            }
            if (link.missing) {
                link.missing = false;
                log.info("interface " + link.name + " is back: flows of its rules leave through it again");
            }
        }
        InetAddress src = t.source;
        if (src != null) {
            if (!host.isLocal(src)) {
                if (!t.sourceMissing) {
                    t.sourceMissing = true;
                    log.warn("source " + Prefix.text(src) + " of rule " + t.text + " is no longer an address of the host:"
                            + " its flows " + fallback.consequence() + " until it is back");
                }
                return t.sourceGone;
            }
            if (t.sourceMissing) {
                t.sourceMissing = false;
                log.info("source " + Prefix.text(src) + " of rule " + t.text + " is back");
            }
        }
        if (link != null) {
            flow.bindInterface(link.name);
        }
        if (src != null) {
            flow.bindSource(src);
        }
        return Verdict.CONTINUE; // later filters may still refuse the flow; the binding stays
    }
}
