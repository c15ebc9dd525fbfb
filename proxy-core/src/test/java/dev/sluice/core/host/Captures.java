package dev.sluice.core.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Loads the netlink captures under src/test/resources/netlink (see capture.sh there). */
final class Captures {
    private Captures() {
    }

    static ByteBuffer load(String name) {
        try (InputStream in = Captures.class.getResourceAsStream("/netlink/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no capture " + name);
            }
            return wrap(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.limit()];
        b.get(0, out);
        return out;
    }
}
