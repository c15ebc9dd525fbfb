package dev.sluice.plugins.outboundif;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One rule as the user wrote it, parsed: {@code PREFIX=TARGET}, where PREFIX
 * is {@code 10.99.0.0/24}, {@code fd99::/64}, a lone address, or
 * {@code default4}/{@code default6} (0.0.0.0/0, ::/0), and TARGET is
 * {@code IFACE}, {@code IFACE@SOURCE}, {@code @SOURCE}, or {@code -} (the
 * normal route: carves an exception out of a wider rule).
 *
 * @param prefix    the destinations it covers
 * @param iface     the interface to bind to, or null
 * @param source    the source address to bind to, or null
 * @param origin    where it was written: {@code option "10.99.0.0/24"} or {@code rules.txt line 3}
 */
record Rule(Prefix prefix, String iface, InetAddress source, String origin) {
    static final String DEFAULT4 = "default4";
    static final String DEFAULT6 = "default6";
    static final String ROUTE = "-";

    /** A {@code -} rule: matching flows keep the normal route. */
    boolean isRoute() {
        return iface == null && source == null;
    }

    /** The rule in canonical form: {@code 10.99.0.0/24=dum0@10.66.0.1}, {@code default4=eth0}. */
    String text() {
        String key = prefix.length() == 0 ? (prefix.v6() ? DEFAULT6 : DEFAULT4) : prefix.toString();
        if (isRoute()) {
            return key + "=" + ROUTE;
        }
        return key + "=" + (iface != null ? iface : "") + (source != null ? "@" + Prefix.text(source) : "");
    }

    /** Whether an option key names a rule rather than a setting: {@code default4/6} or an address or prefix. */
    static boolean isRuleKey(String key) {
        if (key.equals(DEFAULT4) || key.equals(DEFAULT6)) {
            return true;
        }
        return key.indexOf('/') >= 0 || key.indexOf(':') >= 0
                || (!key.isEmpty() && key.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')));
    }

    /**
     * Parses one rule.
     *
     * @param origin prefixed to error messages
     * @throws IllegalArgumentException naming the origin and the fault
     */
    static Rule parse(String key, String target, String origin) {
        try {
            Prefix prefix = key.equals(DEFAULT4) ? Prefix.ALL4 : key.equals(DEFAULT6) ? Prefix.ALL6 : Prefix.parse(key);
            String t = target.trim();
            if (t.equals(ROUTE)) {
                return new Rule(prefix, null, null, origin);
            }
            int at = t.indexOf('@');
            String iface = at < 0 ? t : t.substring(0, at).trim();
            InetAddress source = at < 0 ? null : parseSource(t.substring(at + 1).trim(), prefix);
            if (iface.isEmpty()) {
                if (source == null) {
                    throw new IllegalArgumentException("\"" + key + "=" + target + "\" needs IFACE, IFACE@SOURCE, @SOURCE or -");
                }
                iface = null;
            } else {
                checkInterfaceName(iface);
            }
            return new Rule(prefix, iface, source, origin);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage(), e);
        }
    }

    private static InetAddress parseSource(String text, Prefix prefix) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("no source address after '@'");
        }
        InetAddress a = Prefix.parseAddress(text);
        if ((a instanceof Inet4Address) == prefix.v6()) {
            throw new IllegalArgumentException("source " + text + " is not of the family of "
                    + (prefix.length() == 0 ? (prefix.v6() ? DEFAULT6 : DEFAULT4) : prefix.toString()));
        }
        if (a.isMulticastAddress() || a.isAnyLocalAddress() || text.equals("255.255.255.255")) {
            throw new IllegalArgumentException("source " + text + " is not a usable source address");
        }
        return a;
    }

    /**
     * What Linux (dev_valid_name) and {@code FlowAttempt.bindInterface} accept,
     * less {@code ,} {@code @} {@code #} {@code =}, which this syntax uses.
     */
    static void checkInterfaceName(String name) {
        boolean ok = !name.isEmpty() && name.getBytes(StandardCharsets.UTF_8).length <= 15
                && !name.equals(".") && !name.equals("..")
                && name.chars().noneMatch(c -> c <= ' ' || c == 0x7f || c == '/' || c == ':' || c == ','
                        || c == '@' || c == '#' || c == '=');
        if (!ok) {
            throw new IllegalArgumentException("\"" + name + "\" is not an interface name");
        }
    }

    /**
     * The rules of a file: one {@code PREFIX=TARGET} a line (spaces around
     * {@code =} allowed); {@code #} starts a comment; blank lines are skipped.
     *
     * @throws IllegalArgumentException if it cannot be read, or naming the first bad line
     */
    static List<Rule> readFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("option \"file\": " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("option \"file\": cannot read " + file + ": " + describe(e));
        }
        List<Rule> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String origin = file + " line " + (i + 1);
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException(origin + ": expected PREFIX=TARGET, got \"" + line + "\"");
            }
            String key = line.substring(0, eq).trim();
            if (!isRuleKey(key)) {
                throw new IllegalArgumentException(origin + ": \"" + key + "\" is not a prefix, address, "
                        + DEFAULT4 + " or " + DEFAULT6);
            }
            out.add(parse(key, line.substring(eq + 1), origin));
        }
        return out;
    }

    private static String describe(IOException e) {
        String kind = e.getClass().getSimpleName();
        return switch (kind) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            default -> e.getMessage() != null ? e.getMessage() : kind;
        };
    }
}
