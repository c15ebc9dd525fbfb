package dev.sluice.api;

import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host's addresses, kept current by Sluice while it runs: addresses
 * added or removed on any interface show up here without a restart. Both
 * families, every interface, loopback included.
 *
 * <p>Each call returns the current immutable snapshot, so a filter must not
 * cache the result for later flows; one that derives something costly from it
 * may cache it together with {@link #generation()} and rebuild when that
 * changes. All methods are safe to call from {@code decide}.
 */
public interface HostView {
    /** Every address on every interface, as of now. */
    List<HostAddress> addresses();

    /** The addresses of {@link #addresses()} as a set, for fast membership tests. */
    Set<InetAddress> localAddresses();

    /**
     * Whether the kernel considers {@code address} one of the host's own
     * right now: any address assigned to an interface (also one added a
     * moment ago), all of 127.0.0.0/8, {@code ::1}, the unspecified addresses,
     * and IPv4 broadcast addresses of the host's subnets (the kernel delivers
     * those locally too). Multicast and 255.255.255.255 are not local.
     *
     * <p>This is the check a filter protecting the host should use on
     * {@link FlowAttempt#mappedDestination()}: it may cost a system call, but
     * it does not block.
     */
    boolean isLocal(InetAddress address);

    /** A number that changes whenever the address set changes. */
    long generation();

    /** The addresses of one interface (empty when there is no such interface). */
    default List<HostAddress> addressesOf(String interfaceName) {
        return addresses().stream().filter(a -> a.interfaceName().equals(interfaceName)).toList();
    }

    /**
     * Whether the host has a network interface of this name right now, with
     * or without addresses, up or down: the check to make before binding a
     * flow to an interface ({@link FlowAttempt#bindInterface(String)}).
     * Sluice asks the kernel at the time of the call (a system call that does
     * not block), so an interface created or deleted a moment ago is already
     * seen as such, and a name that cannot be an interface's is simply
     * absent. This default, for views without a kernel behind them, answers
     * from {@link #interfaceNames()}.
     */
    default boolean hasInterface(String name) {
        return name != null && interfaceNames().contains(name);
    }

    /** The names of the interfaces that have at least one address. */
    default Set<String> interfaceNames() {
        Set<String> names = new LinkedHashSet<>();
        for (HostAddress a : addresses()) {
            names.add(a.interfaceName());
        }
        return names;
    }
}
