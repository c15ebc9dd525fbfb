package dev.sluice.core.flow.fwd;

import dev.sluice.core.flow.InetLiterals;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * One {@code -t/--tcp-ports} or {@code -u/--udp-ports} value in passt's grammar:
 * <pre>
 *   none
 *   [ADDR[%IFACE]/ | %IFACE/] PORTS
 *   PORTS := ENTRY[,ENTRY]...
 *   ENTRY := all | FIRST[-LAST][:TOFIRST[-TOLAST]] | ~FIRST[-LAST]
 * </pre>
 * {@code 22} forwards host port 22 to guest port 22, {@code 2222:22} host 2222
 * to guest 22, {@code 1000-1100:2000-2100} a range onto a range of the same
 * size ({@code 1000-1100:2000} means the same), {@code ~PORTS} excludes host
 * ports and wins over includes. {@code all}, or excludes alone, forward every
 * non-ephemeral port not excluded, skipping ports that cannot be bound.
 * pasta's {@code auto} (alone) follows the other side's listening ports; passt's
 * target addresses ({@code :ADDR/PORT}) are not supported. Immutable.
 */
public final class PortSpec {
    /** Forwards nothing. */
    public static final PortSpec NONE = new PortSpec("none", true, false, null, null, List.of(), new BitSet());
    /** pasta's {@code auto}: follow the other side's listening ports ({@link AutoForwards}). */
    public static final PortSpec AUTO = new PortSpec("auto", false, false, null, null, List.of(), new BitSet());

    /** An include range: host ports {@code first..last} to guest ports from {@code toFirst}. */
    public record Range(int first, int last, int toFirst) {
        public boolean contains(int hostPort) {
            return hostPort >= first && hostPort <= last;
        }

        public int guestPort(int hostPort) {
            return toFirst + (hostPort - first);
        }
    }

    private final String text;
    private final boolean none;
    private final boolean all;
    private final InetAddress bindAddress;
    private final String bindInterface;
    private final List<Range> ranges;
    private final BitSet excluded;

    private PortSpec(String text, boolean none, boolean all, InetAddress bindAddress, String bindInterface,
                     List<Range> ranges, BitSet excluded) {
        this.text = text;
        this.none = none;
        this.all = all;
        this.bindAddress = bindAddress;
        this.bindInterface = bindInterface;
        this.ranges = List.copyOf(ranges);
        this.excluded = excluded;
    }

    /** Parses one option value; IllegalArgumentException with a one-line message naming the bad part. */
    public static PortSpec parse(String spec) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException("empty port specification");
        }
        if (spec.equals("none")) {
            return NONE;
        }
        if (spec.equals("auto")) {
            return AUTO; // alone, as pasta takes it
        }
        String ports = spec;
        InetAddress addr = null;
        String iface = null;
        int slash = spec.indexOf('/');
        if (slash >= 0) {
            String where = spec.substring(0, slash);
            ports = spec.substring(slash + 1);
            if (ports.indexOf('/') >= 0) {
                throw bad(spec, "target addresses are not supported", ports);
            }
            int pct = where.indexOf('%');
            String a = pct >= 0 ? where.substring(0, pct) : where;
            if (pct >= 0) {
                iface = where.substring(pct + 1);
                if (iface.isEmpty() || iface.length() > 15 || iface.contains("/") || iface.contains("%")
                        || iface.contains(" ")) {
                    throw bad(spec, "bad interface name", where.substring(pct));
                }
            }
            if (!a.isEmpty()) {
                try {
                    addr = InetLiterals.unmap(InetLiterals.parse(a));
                } catch (IllegalArgumentException e) {
                    throw bad(spec, "bad address", a);
                }
                if (addr.isMulticastAddress()) {
                    throw bad(spec, "multicast address", a);
                }
            } else if (iface == null) {
                throw bad(spec, "empty address", "/");
            }
            if (ports.isEmpty()) {
                throw bad(spec, "no ports after the address", where + "/");
            }
        }
        boolean all = false;
        boolean anyInclude = false;
        BitSet excluded = new BitSet(65536);
        BitSet included = new BitSet(65536);
        List<Range> ranges = new ArrayList<>();
        for (String entry : ports.split(",", -1)) {
            if (entry.isEmpty()) {
                throw bad(spec, "empty entry", ports);
            }
            if (entry.equals("all")) {
                if (all) {
                    throw bad(spec, "'all' given twice", entry);
                }
                all = true;
                continue;
            }
            if (entry.equals("none")) {
                throw bad(spec, "'none' must stand alone", entry);
            }
            if (entry.equals("auto")) {
                throw bad(spec, "'auto' must stand alone", entry);
            }
            if (entry.startsWith("~")) {
                int[] r = range(spec, entry.substring(1), entry);
                excluded.set(r[0], r[1] + 1);
                continue;
            }
            anyInclude = true;
            int colon = entry.indexOf(':');
            int[] host = range(spec, colon >= 0 ? entry.substring(0, colon) : entry, entry);
            int toFirst = host[0];
            if (colon >= 0) {
                int[] to = range(spec, entry.substring(colon + 1), entry);
                int size = host[1] - host[0];
                boolean single = entry.substring(colon + 1).indexOf('-') < 0;
                if (!single && to[1] - to[0] != size) {
                    throw bad(spec, "ranges of different sizes", entry);
                }
                if (to[0] + size > 65535) {
                    throw bad(spec, "target range runs past 65535", entry);
                }
                toFirst = to[0];
            }
            int clash = included.get(host[0], host[1] + 1).nextSetBit(0);
            if (clash >= 0) {
                throw bad(spec, "port " + (host[0] + clash) + " given twice", entry);
            }
            included.set(host[0], host[1] + 1);
            ranges.add(new Range(host[0], host[1], toFirst));
        }
        if (all && anyInclude) {
            throw bad(spec, "'all' cannot be combined with port ranges", ports);
        }
        if (!anyInclude) {
            all = true; // only excludes: everything else
        }
        ranges.sort((x, y) -> Integer.compare(x.first(), y.first()));
        return new PortSpec(spec, false, all, addr, iface, ranges, excluded);
    }

    private static int[] range(String spec, String s, String entry) {
        int dash = s.indexOf('-');
        int first = port(spec, dash >= 0 ? s.substring(0, dash) : s, entry);
        int last = dash >= 0 ? port(spec, s.substring(dash + 1), entry) : first;
        if (last < first) {
            throw bad(spec, "range ends before it starts", entry);
        }
        return new int[] {first, last};
    }

    private static int port(String spec, String s, String entry) {
        if (s.isEmpty() || s.length() > 5) {
            throw bad(spec, "bad port '" + s + "'", entry);
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw bad(spec, "bad port '" + s + "'", entry);
            }
            v = v * 10 + (c - '0');
        }
        if (v < 1 || v > 65535) {
            throw bad(spec, "port " + v + " out of range 1-65535", entry);
        }
        return v;
    }

    private static IllegalArgumentException bad(String spec, String why, String part) {
        return new IllegalArgumentException("bad port specification '" + spec + "': " + why + " in '" + part + "'");
    }

    public boolean isNone() {
        return none;
    }

    /** pasta's {@code auto}: no fixed ports, the forwards follow the other side's listeners. */
    public boolean isAuto() {
        return this == AUTO;
    }

    /** Every non-ephemeral, non-excluded port, unbindable ones skipped ({@code all} or excludes only). */
    public boolean isAll() {
        return all;
    }

    /** Listening address, or null for every address of both families. */
    public InetAddress bindAddress() {
        return bindAddress;
    }

    /** Interface the listeners are bound to ({@code %IFACE}), or null. */
    public String bindInterface() {
        return bindInterface;
    }

    /** Include ranges, sorted (empty in {@code all} mode). */
    public List<Range> ranges() {
        return ranges;
    }

    public boolean isExcluded(int hostPort) {
        return excluded.get(hostPort);
    }

    /** The guest port a host port forwards to, or -1 when it is not forwarded (ephemeral ports aside). */
    public int guestPort(int hostPort) {
        if (none || hostPort < 1 || hostPort > 65535 || excluded.get(hostPort)) {
            return -1;
        }
        if (all) {
            return hostPort;
        }
        for (Range r : ranges) {
            if (r.contains(hostPort)) {
                return r.guestPort(hostPort);
            }
        }
        return -1;
    }

    /** The host ports to listen on outside {@code all} mode, ascending, excludes removed. */
    public int[] hostPorts() {
        if (none || all) {
            return new int[0];
        }
        return ranges.stream().flatMapToInt(r -> java.util.stream.IntStream.rangeClosed(r.first(), r.last()))
                .filter(p -> !excluded.get(p)).toArray();
    }

    @Override
    public String toString() {
        return text;
    }
}
