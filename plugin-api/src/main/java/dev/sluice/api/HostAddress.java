package dev.sluice.api;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One address assigned to one of the host's interfaces.
 *
 * @param interfaceName  the interface's name ({@code eth0}, {@code lo})
 * @param interfaceIndex its kernel index (0 when unknown)
 * @param address        the address (IPv6 link-local addresses carry their scope)
 * @param prefixLength   the on-link prefix length
 */
public record HostAddress(String interfaceName, int interfaceIndex, InetAddress address, int prefixLength) {
    public HostAddress {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(address, "address");
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength + " on " + interfaceName;
    }
}
