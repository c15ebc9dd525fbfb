package dev.sluice.api;

import java.util.Objects;

/**
 * A filter's answer for one {@link FlowAttempt}. Immutable; the two reason-less
 * verdicts are constants, and a filter may keep reject/drop verdicts it hands
 * out often in fields rather than building them per flow.
 *
 * <ul>
 *   <li>{@link #CONTINUE}: no opinion; the next filter in the chain decides.
 *       When every filter continues, the flow is opened.</li>
 *   <li>{@link #ACCEPT}: open the flow now; later filters are not asked.</li>
 *   <li>{@link #reject(String)}: refuse it and tell the guest (a TCP RST, an
 *       ICMP/ICMPv6 destination unreachable for UDP and echo requests), so
 *       its applications fail fast.</li>
 *   <li>{@link #drop(String)}: refuse it silently; the guest times out, as
 *       behind a firewall that drops.</li>
 * </ul>
 * Rejects and drops end the chain, are counted per plugin and are written to
 * Sluice's audit log with the reason, which should therefore say what was
 * refused and why in a few words ("destination port 22 is denied").
 */
public final class Verdict {
    /** The four outcomes. */
    public enum Kind { CONTINUE, ACCEPT, REJECT, DROP }

    /** No opinion: ask the next filter. */
    public static final Verdict CONTINUE = new Verdict(Kind.CONTINUE, null);
    /** Open the flow without asking later filters. */
    public static final Verdict ACCEPT = new Verdict(Kind.ACCEPT, null);

    private final Kind kind;
    private final String reason;

    private Verdict(Kind kind, String reason) {
        this.kind = kind;
        this.reason = reason;
    }

    /**
     * Refuse the flow and tell the guest.
     *
     * @param reason why, for the audit log; not blank
     * @throws IllegalArgumentException if the reason is null or blank
     */
    public static Verdict reject(String reason) {
        return new Verdict(Kind.REJECT, requireReason(reason));
    }

    /**
     * Refuse the flow silently.
     *
     * @param reason why, for the audit log; not blank
     * @throws IllegalArgumentException if the reason is null or blank
     */
    public static Verdict drop(String reason) {
        return new Verdict(Kind.DROP, requireReason(reason));
    }

    private static String requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a reject or drop verdict needs a reason");
        }
        return reason;
    }

    public Kind kind() {
        return kind;
    }

    /** Why the flow was refused; null for {@link #CONTINUE} and {@link #ACCEPT}. */
    public String reason() {
        return reason;
    }

    /** Whether this verdict ends the chain (everything but {@link #CONTINUE}). */
    public boolean isFinal() {
        return kind != Kind.CONTINUE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Verdict v && v.kind == kind && Objects.equals(v.reason, reason);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Objects.hashCode(reason);
    }

    @Override
    public String toString() {
        return reason == null ? kind.name() : kind.name() + "(" + reason + ")";
    }
}
