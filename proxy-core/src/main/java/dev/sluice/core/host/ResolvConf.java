package dev.sluice.core.host;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The parts of resolv.conf(5) Sluice passes on to the guest. The parser is
 * tolerant: comments ('#' or ';', anywhere on a line), unknown keywords and
 * unparsable nameserver entries are skipped; as in glibc, the last 'domain'
 * or 'search' line wins. Nameserver addresses must be literals: nothing here
 * ever resolves a name.
 *
 * @param nameservers in file order, duplicates removed (all of them: glibc uses only three)
 * @param search      the search list
 */
public record ResolvConf(List<InetAddress> nameservers, List<String> search) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");

    public ResolvConf {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
    }

    public static ResolvConf read(Path path) throws IOException {
        return parse(Files.readString(path, StandardCharsets.ISO_8859_1));
    }

    static ResolvConf parse(String text) {
        List<InetAddress> servers = new ArrayList<>();
        List<String> search = List.of();
        for (String raw : text.split("\\R")) {
            String line = stripComment(raw).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\\s+");
            switch (f[0]) {
                case "nameserver" -> {
                    InetAddress a = f.length > 1 ? literal(f[1]) : null;
                    if (a != null && !servers.contains(a)) {
                        servers.add(a);
                    }
                }
                case "domain" -> search = f.length > 1 ? List.of(f[1]) : List.of();
                case "search" -> {
                    List<String> s = new ArrayList<>();
                    for (int i = 1; i < f.length; i++) {
                        if (!s.contains(f[i])) {
                            s.add(f[i]);
                        }
                    }
                    search = s;
                }
                default -> { }
            }
        }
        return new ResolvConf(servers, search);
    }

    private static String stripComment(String line) {
        int cut = line.length();
        int hash = line.indexOf('#');
        int semi = line.indexOf(';');
        if (hash >= 0) {
            cut = hash;
        }
        if (semi >= 0 && semi < cut) {
            cut = semi;
        }
        return line.substring(0, cut);
    }

    /**
     * An IPv4 or IPv6 literal, IPv6 optionally with %scope (a number or an interface name of
     * the current namespace; an unknown name leaves the address unscoped). Null if not a literal.
     */
    static InetAddress literal(String s) {
        try {
            if (IPV4.matcher(s).matches()) {
                for (String part : s.split("\\.")) {
                    if (Integer.parseInt(part) > 255) {
                        return null;
                    }
                }
                return InetAddress.getByName(s); // a dotted quad: parsed, never looked up
            }
            String addr = s;
            String scope = null;
            int pct = s.indexOf('%');
            if (pct >= 0) {
                addr = s.substring(0, pct);
                scope = s.substring(pct + 1);
            }
            if (addr.indexOf(':') < 0 || !IPV6.matcher(addr).matches()) {
                return null;
            }
            // With a ':' InetAddress parses an IPv6 literal and never does a lookup.
            InetAddress a = InetAddress.getByName(addr);
            if (!(a instanceof Inet6Address) || scope == null || scope.isEmpty()) {
                return a; // "::ffff:1.2.3.4" comes back as IPv4, which is what it means
            }
            return scoped((Inet6Address) a, scope);
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }

    private static InetAddress scoped(Inet6Address a, String scope) {
        try {
            if (scope.chars().allMatch(Character::isDigit) && scope.length() < 10) {
                return Inet6Address.getByAddress(null, a.getAddress(), Integer.parseInt(scope));
            }
            // By index: getByAddress(.., NetworkInterface) insists the interface has a link-local address.
            NetworkInterface ni = NetworkInterface.getByName(scope);
            return ni == null ? a : Inet6Address.getByAddress(null, a.getAddress(), ni.getIndex());
        } catch (UnknownHostException | SocketException | RuntimeException e) {
            return a;
        }
    }
}
