package dev.sluice.core.cli;

import java.util.Set;

/**
 * passt and pasta options (2025 sources and libvirt's/Podman's argv) that Sluice does not
 * implement. Given one, Sluice says so by name and exits 1 — not picocli's "Unknown
 * option", which reads like a typo, and with passt's status for an option it cannot use
 * (Podman, for one, looks at the status and the message to decide whether to retry
 * without an option).
 */
final class PasstOptions {
    private PasstOptions() {
    }

    static final Set<String> UNSUPPORTED = Set.of(
            "--log-size", "-F", "--fd", "--dhcp-dns", "--dhcp-search", "--no-dhcp-dns", "--no-dhcp-search",
            "--freebind", "--host-lo-to-ns-lo", "--netns-only", "--no-copy-routes",
            "--no-copy-addrs", "--ns-mac-addr", "--no-splice", "--splice-only", "--repair-path",
            "--migrate-exit", "--migrate-no-linger");

    /** The option named by a command-line word ("--log-size=1M" names --log-size), or null. */
    static String unsupported(String arg) {
        if (arg == null || !arg.startsWith("-")) {
            return null;
        }
        int eq = arg.indexOf('=');
        String name = eq > 0 ? arg.substring(0, eq) : arg;
        if (UNSUPPORTED.contains(name)) {
            return name;
        }
        // A short option with its value attached ("-F3").
        if (!name.startsWith("--") && name.length() > 2 && UNSUPPORTED.contains(name.substring(0, 2))) {
            return name.substring(0, 2);
        }
        return null;
    }
}
