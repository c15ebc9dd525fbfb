package dev.sluice.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Minimal reader (and writer) for classic libpcap files with Ethernet link
 * type, as tcpdump {@code -w} writes them: test captures live under
 * {@code src/test/resources/frames/}. Not pcapng.
 */
public final class Pcap {
    private static final int MAGIC_US = 0xa1b2c3d4;
    private static final int MAGIC_NS = 0xa1b23c4d;
    private static final int LINKTYPE_ETHERNET = 1;

    private Pcap() {
    }

    /** One captured frame: capture time in nanoseconds and the bytes on the wire (never truncated here). */
    public record Frame(long timeNanos, byte[] data) {
    }

    /** Reads a capture from the test class path, e.g. {@code read("frames/arp.pcap")}. */
    public static List<Frame> read(String resource) {
        try (InputStream in = Pcap.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no such test resource: " + resource);
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Only the frame bytes of a capture resource. */
    public static List<byte[]> frames(String resource) {
        List<byte[]> out = new ArrayList<>();
        for (Frame f : read(resource)) {
            out.add(f.data());
        }
        return out;
    }

    /** The first frame of a capture that matches, or an exception naming the capture. */
    public static byte[] first(String resource, Predicate<byte[]> match) {
        for (Frame f : read(resource)) {
            if (match.test(f.data())) {
                return f.data();
            }
        }
        throw new IllegalArgumentException("no matching frame in " + resource);
    }

    public static List<Frame> parse(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file);
        if (file.length < 24) {
            throw new IllegalArgumentException("pcap too short");
        }
        int magic = b.order(ByteOrder.BIG_ENDIAN).getInt(0);
        boolean nanos;
        if (magic == MAGIC_US || magic == MAGIC_NS) {
            b.order(ByteOrder.BIG_ENDIAN);
        } else if (Integer.reverseBytes(magic) == MAGIC_US || Integer.reverseBytes(magic) == MAGIC_NS) {
            b.order(ByteOrder.LITTLE_ENDIAN);
            magic = Integer.reverseBytes(magic);
        } else {
            throw new IllegalArgumentException("not a pcap file (magic " + Integer.toHexString(magic) + ")");
        }
        nanos = magic == MAGIC_NS;
        int linkType = b.getInt(20);
        if (linkType != LINKTYPE_ETHERNET) {
            throw new IllegalArgumentException("pcap link type " + linkType + " is not Ethernet");
        }
        List<Frame> out = new ArrayList<>();
        int p = 24;
        while (p + 16 <= file.length) {
            long sec = b.getInt(p) & 0xffffffffL;
            long frac = b.getInt(p + 4) & 0xffffffffL;
            int incl = b.getInt(p + 8);
            int orig = b.getInt(p + 12);
            if (incl < 0 || p + 16 + incl > file.length) {
                throw new IllegalArgumentException("truncated pcap record at " + p);
            }
            if (incl != orig) {
                throw new IllegalArgumentException("pcap record at " + p + " was cut by the snap length");
            }
            byte[] d = new byte[incl];
            System.arraycopy(file, p + 16, d, 0, incl);
            out.add(new Frame(sec * 1_000_000_000L + (nanos ? frac : frac * 1000), d));
            p += 16 + incl;
        }
        return out;
    }

    /** Writes frames as a microsecond pcap (to look at test output with tcpdump -r). */
    public static void write(Path path, List<byte[]> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC_US).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262144)
                .putInt(LINKTYPE_ETHERNET);
        out.writeBytes(h.array());
        int i = 0;
        for (byte[] f : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            r.putInt(i++).putInt(0).putInt(f.length).putInt(f.length);
            out.writeBytes(r.array());
            out.writeBytes(f);
        }
        try {
            Files.write(path, out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
