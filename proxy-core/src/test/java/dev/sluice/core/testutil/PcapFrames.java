package dev.sluice.core.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the frames of a classic libpcap file (as written by {@code tcpdump -w})
 * from the test class path. Ethernet link type only; either byte order;
 * microsecond or nanosecond magic.
 */
public final class PcapFrames {
    private static final int LINKTYPE_ETHERNET = 1;

    private PcapFrames() {
    }

    /** Every frame of {@code resource} (a class-path path such as {@code /frames/icmp/echo4.pcap}), in order. */
    public static List<byte[]> read(String resource) {
        try (InputStream in = PcapFrames.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no such resource: " + resource);
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<byte[]> parse(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file);
        int magic = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
            b.order(ByteOrder.BIG_ENDIAN);
        } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.LITTLE_ENDIAN);
        } else {
            throw new IllegalArgumentException("not a pcap file");
        }
        int linkType = b.getInt(20);
        if (linkType != LINKTYPE_ETHERNET) {
            throw new IllegalArgumentException("link type " + linkType + " is not Ethernet");
        }
        List<byte[]> frames = new ArrayList<>();
        int p = 24;
        while (p + 16 <= file.length) {
            int caplen = b.getInt(p + 8);
            int origLen = b.getInt(p + 12);
            if (caplen != origLen) {
                throw new IllegalArgumentException("frame " + frames.size() + " was truncated by the capture");
            }
            p += 16;
            frames.add(Arrays.copyOfRange(file, p, p + caplen));
            p += caplen;
        }
        return frames;
    }
}
