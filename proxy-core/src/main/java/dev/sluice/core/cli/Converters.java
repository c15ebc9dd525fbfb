package dev.sluice.core.cli;

import dev.sluice.core.wire.Mac;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Value converters. Each throws {@link TypeConversionException} with a short
 * reason; picocli prefixes it with the option's name, so every bad value
 * gives one line naming the option.
 */
final class Converters {
    private Converters() {
    }

    /** A numeric IPv4 or IPv6 address literal; never a host name (no resolver lookups at startup). */
    static InetAddress parseAddress(String s) {
        String v = s.trim();
        if (v.isEmpty()) {
            throw new TypeConversionException("empty address");
        }
        boolean v6 = v.indexOf(':') >= 0;
        if (!v6 && !v.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            throw new TypeConversionException("'" + s + "' is not an IPv4 or IPv6 address");
        }
        if (v6 && !v.matches("[0-9a-fA-F:.]+")) {
            throw new TypeConversionException("'" + s + "' is not an IPv4 or IPv6 address");
        }
        try {
            if (!v6) {
                for (String part : v.split("\\.")) {
                    if (Integer.parseInt(part) > 255) {
                        throw new TypeConversionException("'" + s + "' is not an IPv4 address");
                    }
                }
            }
            return InetAddress.getByName(v);
        } catch (UnknownHostException | IllegalArgumentException e) {
            throw new TypeConversionException("'" + s + "' is not an IPv4 or IPv6 address");
        }
    }

    static final class Address implements ITypeConverter<InetAddress> {
        @Override
        public InetAddress convert(String value) {
            return parseAddress(value);
        }
    }

    /** {@code -n}: dot-decimal netmask or a prefix length, as passt takes it. */
    static final class Netmask implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim();
            if (v.matches("[0-9]{1,2}")) {
                int p = Integer.parseInt(v);
                if (p < 0 || p > 32) {
                    throw new TypeConversionException("prefix length " + p + " is not between 0 and 32");
                }
                return p;
            }
            InetAddress a = parseAddress(v);
            if (!(a instanceof Inet4Address)) {
                throw new TypeConversionException("'" + value + "' is not an IPv4 netmask");
            }
            byte[] b = a.getAddress();
            int m = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            int prefix = Integer.bitCount(m);
            int expect = prefix == 0 ? 0 : -1 << (32 - prefix);
            if (m != expect) {
                throw new TypeConversionException("'" + value + "' is not a contiguous netmask");
            }
            return prefix;
        }
    }

    static final class MacAddress implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                long mac = Mac.parse(value.trim());
                if (Mac.isMulticast(mac) || mac == 0) {
                    throw new TypeConversionException("'" + value + "' is a multicast or zero MAC address");
                }
                return mac;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
            }
        }
    }

    /** {@code -m}: passt accepts up to 65520 (a 64 KiB IPv4 datagram plus headers). */
    static final class Mtu implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int m = parseInt(value);
            if (m < 576 || m > 65520) {
                throw new TypeConversionException("MTU " + value + " is not between 576 and 65520");
            }
            return m;
        }
    }

    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v = parseInt(value);
            if (v <= 0) {
                throw new TypeConversionException("'" + value + "' is not a positive number");
            }
            return v;
        }
    }

    /** {@code --flow-rate tcp=N,udp=N,icmp=N}. */
    static final class FlowRateList implements ITypeConverter<dev.sluice.core.flow.FlowRates> {
        @Override
        public dev.sluice.core.flow.FlowRates convert(String value) {
            try {
                return dev.sluice.core.flow.FlowRates.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static int parseInt(String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
    }

    /** {@code -t}/{@code -u} specs, in passt's grammar. */
    static final class Ports implements ITypeConverter<dev.sluice.core.flow.fwd.PortSpec> {
        @Override
        public dev.sluice.core.flow.fwd.PortSpec convert(String value) {
            try {
                return dev.sluice.core.flow.fwd.PortSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --runas UID|USER[:GID|GROUP]}, resolved through libc now so a typo fails at once. */
    static final class RunAs implements ITypeConverter<dev.sluice.core.host.Privileges.Ids> {
        @Override
        public dev.sluice.core.host.Privileges.Ids convert(String value) {
            try {
                return dev.sluice.core.host.Privileges.parseRunAs(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Host and domain names as DHCP carries them: LDH labels of 1-63, at most 253 in all. */
    static final class HostName implements ITypeConverter<String> {
        private static final String LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

        @Override
        public String convert(String value) {
            String v = value.endsWith(".") ? value.substring(0, value.length() - 1) : value;
            if (v.isEmpty() || v.length() > 253 || !v.matches(LABEL + "(\\." + LABEL + ")*")) {
                throw new TypeConversionException("'" + value + "' is not a host name (letters, digits, '-', "
                        + "dot-separated labels of at most 63, 253 in all)");
            }
            return v;
        }
    }

    /** Interface names: what the kernel accepts (1 to 15 bytes, no '/', ':' or white space). */
    static final class IfName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (value.isEmpty() || value.length() > 15 || value.matches(".*[/:\\s].*")) {
                throw new TypeConversionException("'" + value + "' is not a valid interface name");
            }
            return value;
        }
    }

    /** {@code ADDR:PORT} or {@code [ADDR6]:PORT}, a literal address (no name lookup), port 1-65535. */
    static final class HostPort implements ITypeConverter<java.net.InetSocketAddress> {
        @Override
        public java.net.InetSocketAddress convert(String v) {
            int colon = v.lastIndexOf(':');
            if (colon <= 0 || colon == v.length() - 1) {
                throw new TypeConversionException("'" + v + "' is not ADDR:PORT (e.g. 127.0.0.1:9464)");
            }
            String host = v.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new TypeConversionException("'" + v + "': write an IPv6 address as [ADDR]:PORT");
            }
            int port;
            try {
                port = Integer.parseInt(v.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new TypeConversionException("'" + v + "': the port must be 1 to 65535");
            }
            return new java.net.InetSocketAddress(parseAddress(host), port);
        }
    }
}
