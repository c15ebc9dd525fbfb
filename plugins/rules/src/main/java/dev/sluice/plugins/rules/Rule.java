package dev.sluice.plugins.rules;

import dev.sluice.api.Verdict;

/**
 * One parsed rule. {@code prefix} is null for {@code any} (both families);
 * otherwise its length (4 or 16 bytes) gives the family. A rule with a port
 * range never matches ICMP (echo flows have no ports).
 *
 * @param action    what a match does
 * @param protocols bit set of {@link RuleSet#TCP}, {@link RuleSet#UDP}, {@link RuleSet#ICMP}
 * @param prefix    the destination address bytes, or null for any address
 * @param length    the prefix length in bits (0 for any)
 * @param portLow   first destination port matched (0 when no ports were given)
 * @param portHigh  last destination port matched (65535 when no ports were given)
 * @param original  match the destination as the guest sent it rather than the mapped one
 * @param text      the rule as written ({@code deny udp/any:53}), for reasons and logs
 * @param where     where it was written ({@code line 7 of /etc/sluice/rules}, {@code rule 2})
 */
record Rule(Action action, int protocols, byte[] prefix, int length, int portLow, int portHigh,
            boolean original, String text, String where) {
    /** What a matching rule does with the flow. */
    enum Action {
        /** Open the flow; later plugins are not asked ({@link Verdict#ACCEPT}). */
        ALLOW,
        /** Refuse and tell the guest ({@link Verdict#reject}). */
        DENY,
        /** Refuse silently ({@link Verdict#drop}). */
        DROP,
        /** Stop evaluating rules and let the next plugin decide ({@link Verdict#CONTINUE}). */
        PASS;

        Verdict verdict(String reason) {
            return switch (this) {
                case ALLOW -> Verdict.ACCEPT;
                case DENY -> Verdict.reject(reason);
                case DROP -> Verdict.drop(reason);
                case PASS -> Verdict.CONTINUE;
            };
        }
    }

    boolean hasPorts() {
        return portLow != 0 || portHigh != 65535;
    }
}
