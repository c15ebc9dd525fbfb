package dev.sluice.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Minimal reader of classic libpcap files (what {@code tcpdump -w} writes):
 * the captured bytes of each record, nothing else. Named for the TCP tests so
 * it cannot clash with a general-purpose {@code Pcap} helper.
 */
public final class TcpPcap {
    private TcpPcap() {
    }

    /** Frames of a pcap file on the test class path (e.g. {@code /frames/tcp/linux-v4.pcap}). */
    public static List<byte[]> frames(String resource) {
        try (InputStream in = TcpPcap.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no such resource: " + resource);
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<byte[]> parse(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.BIG_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IllegalArgumentException("not a pcap file");
        }
        List<byte[]> out = new ArrayList<>();
        int p = 24;
        while (p + 16 <= file.length) {
            int incl = b.getInt(p + 8);
            p += 16;
            if (incl < 0 || p + incl > file.length) {
                throw new IllegalArgumentException("truncated pcap record");
            }
            byte[] f = new byte[incl];
            System.arraycopy(file, p, f, 0, incl);
            out.add(f);
            p += incl;
        }
        return out;
    }
}
