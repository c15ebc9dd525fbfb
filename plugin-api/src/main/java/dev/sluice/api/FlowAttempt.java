package dev.sluice.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A new outbound flow the guest is trying to open, handed to each filter of
 * the chain in turn before any host socket exists.
 *
 * <p>The four facts are fixed: the {@link #protocol()}, the guest's
 * {@link #source()}, the {@link #destination()} exactly as the guest sent it,
 * and the {@link #mappedDestination()} after Sluice's built-in translation
 * (the guest's gateway address becomes the host's loopback,
 * {@code --map-guest-addr} becomes the host's own address, and so on): the
 * mapped destination is where the host socket will really go, so a filter
 * that protects host services looks at it, while a filter about what the guest
 * meant looks at the original.
 *
 * <p>For {@link Protocol#ICMP} and {@link Protocol#ICMPV6} the source "port"
 * is the echo identifier and destination ports are 0.
 *
 * <p>The <em>outbound binding</em> is mutable: a filter may choose the host
 * interface ({@code SO_BINDTODEVICE}) and the source address of the host
 * socket. Later filters see and may change what earlier ones set; the binding
 * in force when the flow is accepted (by {@link Verdict#ACCEPT} or because
 * every filter continued) is the one used. A source address that is not one
 * of the host's own ({@link HostView#localAddresses()}) makes the host refuse
 * the bind and the flow fails.
 *
 * <p>An attempt is only valid during the {@code decide} call it is passed to;
 * do not keep it. Not thread-safe (it never needs to be).
 */
public final class FlowAttempt {
    /** Linux's IFNAMSIZ less the terminating NUL. */
    private static final int MAX_INTERFACE_NAME = 15;

    private final Protocol protocol;
    private final InetSocketAddress source;
    private final InetSocketAddress destination;
    private final InetSocketAddress mappedDestination;
    private String bindInterface;
    private InetAddress bindSource;

    /**
     * Sluice builds these; plugin tests may too.
     *
     * @param protocol          the flow's protocol
     * @param source            the guest's address and port (ICMP: echo identifier)
     * @param destination       the destination as the guest sent it
     * @param mappedDestination the destination after built-in mapping (equal to {@code destination} when nothing was mapped)
     * @throws IllegalArgumentException if an address is unresolved
     */
    public FlowAttempt(Protocol protocol, InetSocketAddress source, InetSocketAddress destination,
                       InetSocketAddress mappedDestination) {
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.source = resolved(source, "source");
        this.destination = resolved(destination, "destination");
        this.mappedDestination = resolved(mappedDestination, "mappedDestination");
    }

    private static InetSocketAddress resolved(InetSocketAddress a, String what) {
        Objects.requireNonNull(a, what);
        if (a.isUnresolved()) {
            throw new IllegalArgumentException(what + " must be a resolved address: " + a);
        }
        return a;
    }

    public Protocol protocol() {
        return protocol;
    }

    /** The guest's source address and port (for ICMP, the echo identifier). */
    public InetSocketAddress source() {
        return source;
    }

    /** The destination exactly as the guest sent it. */
    public InetSocketAddress destination() {
        return destination;
    }

    /** Where the host socket will go: the destination after Sluice's built-in mapping. */
    public InetSocketAddress mappedDestination() {
        return mappedDestination;
    }

    /** Whether the built-in mapping changed the destination (for example gateway to loopback). */
    public boolean isMapped() {
        return !destination.equals(mappedDestination);
    }

    /** Whether the host side of this flow is IPv6 (the family of the mapped destination). */
    public boolean isIpv6() {
        return mappedDestination.getAddress() instanceof Inet6Address;
    }

    /** The host interface the host socket will be bound to, or null for the routing table's choice. */
    public String bindInterface() {
        return bindInterface;
    }

    /** The source address the host socket will be bound to, or null for the kernel's choice. */
    public InetAddress bindSource() {
        return bindSource;
    }

    /**
     * Binds the host socket to an interface ({@code SO_BINDTODEVICE}), or
     * clears that binding with null.
     *
     * @throws IllegalArgumentException if the name cannot be a Linux interface name
     */
    public void bindInterface(String name) {
        if (name != null && !isInterfaceName(name)) {
            throw new IllegalArgumentException("not a valid interface name: \"" + name + "\"");
        }
        this.bindInterface = name;
    }

    /** A plain loop, not a stream: filters call {@link #bindInterface} on the event loop for every flow. */
    private static boolean isInterfaceName(String name) {
        int n = name.length();
        if (n == 0 || n > MAX_INTERFACE_NAME || name.equals(".") || name.equals("..")) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c == '/' || c <= ' ' || c == ':') {
                return false;
            }
        }
        return true;
    }

    /**
     * Binds the host socket to a source address, or clears that binding with null.
     *
     * @throws IllegalArgumentException if the address's family differs from the mapped destination's,
     *                                  or it is a multicast or wildcard address
     */
    public void bindSource(InetAddress address) {
        if (address != null) {
            boolean v6 = address instanceof Inet6Address;
            if (v6 != isIpv6()) {
                throw new IllegalArgumentException("source " + address.getHostAddress() + " is not of the family of "
                        + mappedDestination.getAddress().getHostAddress());
            }
            if (address.isMulticastAddress() || address.isAnyLocalAddress()
                    || (address instanceof Inet4Address && address.equals(BROADCAST))) {
                throw new IllegalArgumentException("not a usable source address: " + address.getHostAddress());
            }
        }
        this.bindSource = address;
    }

    private static final InetAddress BROADCAST = ipv4(255, 255, 255, 255);

    private static InetAddress ipv4(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(96);
        sb.append(protocol.name().toLowerCase(java.util.Locale.ROOT)).append(' ');
        appendAddress(sb, source).append(" -> ");
        appendAddress(sb, destination);
        if (isMapped()) {
            appendAddress(sb.append(" (mapped "), mappedDestination).append(')');
        }
        if (bindInterface != null) {
            sb.append(" dev ").append(bindInterface);
        }
        if (bindSource != null) {
            sb.append(" from ").append(bindSource.getHostAddress());
        }
        return sb.toString();
    }

    /** Appends {@code addr:port} or {@code [addr6]:port} (RFC 5952 text), never resolving names. */
    static StringBuilder appendAddress(StringBuilder sb, InetSocketAddress a) {
        return AddressText.append(sb, a);
    }
}
