package dev.sluice.core.flow;

/**
 * {@code --flow-rate}: new flows per second the guest may open, per protocol;
 * 0 is no limit. Flows opened from the host side (forwarded ports) are not
 * rate-limited.
 */
public record FlowRates(int tcp, int udp, int icmp) {
    public static final FlowRates NONE = new FlowRates(0, 0, 0);

    public FlowRates {
        if (tcp < 0 || udp < 0 || icmp < 0) {
            throw new IllegalArgumentException("a rate cannot be negative");
        }
    }

    /** "tcp=N,udp=N,icmp=N", any subset, any order; unnamed protocols stay unlimited. */
    public static FlowRates parse(String spec) {
        int t = 0;
        int u = 0;
        int i = 0;
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty rate list (expected tcp=N,udp=N,icmp=N)");
        }
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + part + "' is not PROTO=N (expected tcp=N,udp=N,icmp=N)");
            }
            String k = part.substring(0, eq).trim();
            int n;
            try {
                n = Integer.parseInt(part.substring(eq + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + part + "': the rate must be a whole number of flows per second");
            }
            if (n < 0) {
                throw new IllegalArgumentException("'" + part + "': the rate cannot be negative");
            }
            switch (k) {
                case "tcp" -> t = n;
                case "udp" -> u = n;
                case "icmp" -> i = n;
                default -> throw new IllegalArgumentException("unknown protocol '" + k + "' (tcp, udp or icmp)");
            }
        }
        return new FlowRates(t, u, i);
    }
}
