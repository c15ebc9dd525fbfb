package dev.sluice.bench;

import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-packet codec work on a pooled direct buffer, as the data path does
 * it: parse an IPv4 + TCP segment and verify its checksum (guest to host), and
 * build headers and checksum in place in front of a payload already in the
 * buffer (host to guest).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SegmentBench {
    private static final int SRC = 0x0a4d0032; // 10.77.0.50
    private static final int DST = 0x0a630001; // 10.99.0.1
    private static final int TCP_HEADER = TcpSegment.HEADER_LEN + TcpSegment.TIMESTAMP_OPT_LEN;

    /** TCP payload bytes: 65 483 fills a 64 KiB IPv4 packet (65 535 bytes); 1 448 is an MTU 1500 segment. */
    @Param({"65483", "1448"})
    int payload;

    private ByteBuf buf;
    private int packetLen;
    private final Ipv4Packet ip = new Ipv4Packet();
    private final TcpSegment tcp = new TcpSegment();
    private int seq;

    @Setup
    public void setup() {
        packetLen = Ipv4Packet.MIN_HEADER_LEN + TCP_HEADER + payload;
        buf = PooledByteBufAllocator.DEFAULT.directBuffer(packetLen, packetLen);
        byte[] data = new byte[payload];
        ThreadLocalRandom.current().nextBytes(data);
        buf.setBytes(Ipv4Packet.MIN_HEADER_LEN + TCP_HEADER, data);
        build();
        buf.writerIndex(packetLen);
        if (!parseAndVerify()) {
            throw new IllegalStateException("the segment built does not verify");
        }
    }

    @TearDown
    public void tearDown() {
        buf.release();
    }

    /** Guest to host: wrap both headers, check the TCP checksum over the whole segment. */
    @Benchmark
    public boolean parseAndVerify() {
        if (!ip.wrap(buf, 0, packetLen)) {
            throw new IllegalStateException("not an IPv4 packet");
        }
        if (!tcp.wrap(buf, ip.payloadOffset(), ip.payloadLength())) {
            throw new IllegalStateException("not a TCP segment");
        }
        return tcp.verifyChecksum(ip.pseudoHeaderSum());
    }

    /** Host to guest: IPv4 header, TCP header with timestamps and the checksum, written around the payload in place. */
    @Benchmark
    public int buildInPlace() {
        return build();
    }

    private int build() {
        int tcpLen = TCP_HEADER + payload;
        Ipv4Packet.emit(buf, 0, DST, SRC, Ipv4Packet.PROTO_TCP, tcpLen, 64, seq & 0xffff);
        int off = Ipv4Packet.MIN_HEADER_LEN;
        TcpSegment.emitHeader(buf, off, 80, 40000, seq += payload, 1, TCP_HEADER, TcpSegment.ACK_FLAG | TcpSegment.PSH,
                65535);
        TcpSegment.emitTimestamps(buf, off + TcpSegment.HEADER_LEN, seq, 7);
        long pseudo = dev.sluice.core.wire.Checksum.pseudoV4(DST, SRC, Ipv4Packet.PROTO_TCP, tcpLen);
        TcpSegment.fillChecksum(buf, off, tcpLen, pseudo);
        return buf.getUnsignedShort(off + TcpSegment.CHECKSUM);
    }
}
