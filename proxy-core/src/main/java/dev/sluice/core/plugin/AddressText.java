package dev.sluice.core.plugin;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The core's name for {@link dev.sluice.api.AddressText}: one formatter for core and plugins. */
public final class AddressText {
    private AddressText() {
    }

    static StringBuilder append(StringBuilder sb, InetSocketAddress a) {
        return dev.sluice.api.AddressText.append(sb, a);
    }

    static StringBuilder append(StringBuilder sb, InetAddress ip) {
        return dev.sluice.api.AddressText.append(sb, ip);
    }

    public static String toString(InetAddress ip) {
        return dev.sluice.api.AddressText.toString(ip);
    }
}
