package dev.sluice.plugins.rules;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rule grammar, shared by the inline options and the file.
 *
 * <pre>
 * RULE  = PROTO "/" DEST [":" PORTS] ["@original" | "@mapped"]
 * PROTO = tcp | udp | icmp | any
 * DEST  = any | any4 | any6 | IPV4 ["/" LEN] | IPV6 "/" LEN | "[" IPV6 "]" ["/" LEN]
 * PORTS = any | PORT | PORT "-" PORT
 * </pre>
 *
 * A file holds one statement per line, {@code #} starts a comment:
 * {@code ACTION RULE} ({@code allow tcp/10.0.0.0/8:443}), {@code default ACTION}
 * or {@code match mapped|original} (for the rules below it). Addresses are
 * literals only: nothing here resolves a name.
 */
final class RuleParser {
    /** A file's rules and default, before compilation. */
    record Parsed(List<Rule> rules, Rule.Action defaultAction) {
    }

    private RuleParser() {
    }

    static Rule.Action action(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "allow" -> Rule.Action.ALLOW;
            case "deny" -> Rule.Action.DENY;
            case "drop" -> Rule.Action.DROP;
            case "pass" -> Rule.Action.PASS;
            default -> throw new IllegalArgumentException("\"" + word + "\" is not one of allow, deny, drop, pass");
        };
    }

    static boolean matchOriginal(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "mapped" -> false;
            case "original" -> true;
            default -> throw new IllegalArgumentException("\"" + word + "\" is not one of mapped, original");
        };
    }

    /**
     * Parses a rules file.
     *
     * @param name            how messages name the file
     * @param defaultAction   the default until a {@code default} line says otherwise
     * @throws IllegalArgumentException as {@code NAME:LINE: what is wrong}
     */
    static Parsed parseFile(String name, String content, Rule.Action defaultAction) {
        List<Rule> rules = new ArrayList<>();
        boolean original = false;
        boolean sawDefault = false;
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            try {
                if (words.length != 2) {
                    throw new IllegalArgumentException("expected two words (ACTION RULE, default ACTION or match"
                            + " mapped|original), got " + words.length);
                }
                switch (words[0].toLowerCase(Locale.ROOT)) {
                    case "default" -> {
                        if (sawDefault) {
                            throw new IllegalArgumentException("a second default line");
                        }
                        defaultAction = action(words[1]);
                        sawDefault = true;
                    }
                    case "match" -> original = matchOriginal(words[1]);
                    default -> rules.add(rule(action(words[0]), words[1], original, "line " + (i + 1) + " of " + name));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return new Parsed(List.copyOf(rules), defaultAction);
    }

    /**
     * Parses one {@code RULE}.
     *
     * @param original whether a rule without {@code @original}/{@code @mapped} matches the original destination
     * @throws IllegalArgumentException naming the rule and what is wrong
     */
    static Rule rule(Rule.Action action, String text, boolean original, String where) {
        try {
            return parse(action, text, original, where);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rule \"" + text + "\": " + e.getMessage());
        }
    }

    private static Rule parse(Rule.Action action, String text, boolean original, String where) {
        String s = text;
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            original = matchOriginal(s.substring(at + 1));
            s = s.substring(0, at);
        }
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected PROTO/DEST[:PORTS], e.g. tcp/10.0.0.0/8:443");
        }
        int protocols = switch (s.substring(0, slash).toLowerCase(Locale.ROOT)) {
            case "tcp" -> RuleSet.TCP;
            case "udp" -> RuleSet.UDP;
            case "icmp" -> RuleSet.ICMP;
            case "any" -> RuleSet.TCP | RuleSet.UDP | RuleSet.ICMP;
            default -> throw new IllegalArgumentException("\"" + s.substring(0, slash)
                    + "\" is not a protocol (tcp, udp, icmp, any)");
        };
        String rest = s.substring(slash + 1);
        String dest;
        String ports = null;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'[' without ']'");
            }
            int end = close + 1;
            if (rest.startsWith("/", end)) {
                end = indexOf(rest, ':', end);
            }
            dest = rest.substring(0, end);
            ports = portsAfter(rest, end);
        } else if (rest.indexOf('/') >= 0) {
            int lenStart = rest.indexOf('/') + 1;
            int end = indexOf(rest, ':', lenStart);
            dest = rest.substring(0, end);
            ports = portsAfter(rest, end);
        } else {
            int colon = rest.indexOf(':');
            if (colon >= 0 && rest.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("write an IPv6 address with a prefix length or in brackets"
                        + " (fd00::1/128, [fd00::1]:53)");
            }
            int end = colon < 0 ? rest.length() : colon;
            dest = rest.substring(0, end);
            ports = portsAfter(rest, end);
        }
        byte[] prefix;
        int length;
        switch (dest.toLowerCase(Locale.ROOT)) {
            case "any" -> {
                prefix = null;
                length = 0;
            }
            case "any4" -> {
                prefix = new byte[4];
                length = 0;
            }
            case "any6" -> {
                prefix = new byte[16];
                length = 0;
            }
            default -> {
                int cut = dest.lastIndexOf('/');
                String addr = cut < 0 ? dest : dest.substring(0, cut);
                if (addr.startsWith("[") && addr.endsWith("]")) {
                    addr = addr.substring(1, addr.length() - 1);
                }
                prefix = address(addr);
                int max = prefix.length * 8;
                length = cut < 0 ? max : number(dest.substring(cut + 1), 0, max, "prefix length");
                if (!hostBitsClear(prefix, length)) {
                    throw new IllegalArgumentException(dest + " has bits set past its prefix length");
                }
            }
        }
        int low = 0;
        int high = 65535;
        if (ports != null && !ports.equalsIgnoreCase("any")) {
            int dash = ports.indexOf('-');
            low = number(dash < 0 ? ports : ports.substring(0, dash), 0, 65535, "port");
            high = dash < 0 ? low : number(ports.substring(dash + 1), 0, 65535, "port");
            if (high < low) {
                throw new IllegalArgumentException("empty port range " + ports);
            }
            if (protocols == RuleSet.ICMP) {
                throw new IllegalArgumentException("icmp has no ports");
            }
        }
        String canonical = action.name().toLowerCase(Locale.ROOT) + " " + text;
        return new Rule(action, protocols, prefix, length, low, high, original, canonical, where);
    }

    private static int indexOf(String s, char c, int from) {
        int i = s.indexOf(c, from);
        return i < 0 ? s.length() : i;
    }

    private static String portsAfter(String rest, int end) {
        if (end == rest.length()) {
            return null;
        }
        if (rest.charAt(end) != ':' || end + 1 == rest.length()) {
            throw new IllegalArgumentException("expected :PORTS after the destination, got \"" + rest.substring(end) + "\"");
        }
        return rest.substring(end + 1);
    }

    private static int number(String text, int min, int max, String what) {
        if (text.isEmpty() || text.length() > 6 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("\"" + text + "\" is not a " + what);
        }
        int n = Integer.parseInt(text);
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " " + n + " is not between " + min + " and " + max);
        }
        return n;
    }

    /** Literal IPv4 (four decimal octets) or IPv6; never a name. */
    static byte[] address(String text) {
        if (text.indexOf(':') < 0) {
            String[] parts = text.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 or IPv6 address");
            }
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(c -> c >= '0' && c <= '9')
                        || Integer.parseInt(parts[i]) > 255) {
                    throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
                }
                b[i] = (byte) Integer.parseInt(parts[i]);
            }
            return b;
        }
        if (!text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv6 address");
        }
        try {
            // A literal, so no lookup; ::ffff:a.b.c.d comes back as IPv4, as flows carry it.
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IPv6 address");
        }
    }

    private static boolean hostBitsClear(byte[] a, int length) {
        for (int i = length; i < a.length * 8; i++) {
            if ((a[i >>> 3] >>> (7 - (i & 7)) & 1) != 0) {
                return false;
            }
        }
        return true;
    }
}
