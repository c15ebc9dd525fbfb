package dev.sluice.core.pcap;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code -p/--pcap}: every frame in both directions, in the classic pcap
 * format (LINKTYPE_ETHERNET) that tcpdump and tshark read. Event loop only.
 * Frames are copied into one reused buffer and written when it fills or at
 * {@link #flush()}; capturing is a diagnostic, so an I/O error disables it
 * with one warning instead of stopping the guest's traffic.
 */
public final class PcapWriter implements AutoCloseable {
    private static final int SNAPLEN = 65535 + 14;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int RECORD_HEADER = 16;

    private final FileChannel out;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.nativeOrder());
    private boolean failed;

    private PcapWriter(FileChannel out) {
        this.out = out;
    }

    public static PcapWriter open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        PcapWriter w = new PcapWriter(ch);
        // Native byte order with the standard magic: readers detect the order from it.
        w.buf.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
        w.flush();
        return w;
    }

    /** Records the readable bytes of {@code frame}; does not touch its indexes or reference count. */
    public void write(ByteBuf frame) {
        if (failed) {
            return;
        }
        int len = frame.readableBytes();
        int caplen = Math.min(len, SNAPLEN);
        if (buf.remaining() < RECORD_HEADER + caplen) {
            flush();
            if (failed) {
                return;
            }
        }
        long nowMicros = System.currentTimeMillis() * 1000L; // millisecond stamps: enough to read a capture
        buf.putInt((int) (nowMicros / 1_000_000L)).putInt((int) (nowMicros % 1_000_000L)).putInt(caplen).putInt(len);
        int pos = buf.position();
        buf.limit(pos + caplen);
        frame.getBytes(frame.readerIndex(), buf);
        buf.limit(buf.capacity());
        buf.position(pos + caplen);
    }

    public void flush() {
        if (failed || buf.position() == 0) {
            return;
        }
        buf.flip();
        try {
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        } catch (IOException e) {
            failed = true;
            org.slf4j.LoggerFactory.getLogger(PcapWriter.class).warn("pcap capture stopped: {}", e.toString());
        }
        buf.clear();
    }

    @Override
    public void close() throws IOException {
        flush();
        out.close();
    }
}
