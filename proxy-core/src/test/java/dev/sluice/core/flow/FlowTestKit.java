package dev.sluice.core.flow;

import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.link.GuestLink;
import dev.sluice.core.wire.Checksum;
import dev.sluice.core.wire.EthernetFrame;
import dev.sluice.core.wire.Icmpv4Message;
import dev.sluice.core.wire.Ipv4Packet;
import dev.sluice.core.wire.Ipv6Packet;
import dev.sluice.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Shared fixtures for flow tests: a real epoll loop, a guest link that collects frames, guest packet builders. */
public final class FlowTestKit {
    public static final long GUEST_MAC = 0x525400123456L;
    public static final Inet4Address GUEST4 = InetLiterals.parse4("10.0.2.15");
    public static final Inet4Address GW4 = InetLiterals.parse4("10.0.2.2");
    public static final Inet6Address GUEST6 = InetLiterals.parse6("fd00::15");
    public static final Inet6Address GW6 = InetLiterals.parse6("fd00::2");
    public static final Inet4Address LO4 = InetLiterals.parse4("127.0.0.1");
    public static final Inet6Address LO6 = InetLiterals.parse6("::1");

    private FlowTestKit() {
    }

    public static MultiThreadIoEventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    public static GuestConfig guestConfig() {
        return new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, GUEST_MAC, GuestConfig.DEFAULT_MTU, true, GUEST4, 24, GW4,
                List.of(GW4), true, GUEST6, 64, GW6, InetLiterals.parse6("fe80::1"), List.of(), List.of(), true, true,
                true, true);
    }

    public static SluiceContext context(IoEventLoop loop, CollectingLink link) {
        return new SluiceContext(guestConfig(), new GuestState(GUEST_MAC), new Counters(), loop, link,
                PooledByteBufAllocator.DEFAULT);
    }

    /** The passt default mapping for the test guest: gateway to loopback. */
    public static PasstAddressMapper mapper() {
        return new PasstAddressMapper(MappingConfig.builder().gateways(GW4, GW6).build());
    }

    /** Runs {@code c} on the loop and waits for it. */
    public static <T> T onLoop(IoEventLoop loop, Callable<T> c) {
        try {
            return loop.submit(c).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static void onLoop(IoEventLoop loop, Runnable r) {
        onLoop(loop, () -> {
            r.run();
            return null;
        });
    }

    /** Polls {@code cond} (on the calling thread) until true or the bound runs out. */
    public static boolean eventually(Duration max, BooleanSupplier cond) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) {
                return true;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return cond.getAsBoolean();
    }

    /** A guest link that copies every frame into a queue and releases the buffer, as a real link would. */
    public static final class CollectingLink implements GuestLink {
        private final LinkedBlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        public volatile int flushes;

        @Override
        public void send(ByteBuf frame) {
            try {
                frames.add(ByteBufUtil.getBytes(frame));
            } finally {
                frame.release();
            }
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public boolean isUp() {
            return true;
        }

        public byte[] poll(Duration d) {
            try {
                return frames.poll(d.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        public byte[] take() {
            byte[] f = poll(Duration.ofSeconds(5));
            if (f == null) {
                throw new AssertionError("no frame for the guest within 5 s");
            }
            return f;
        }

        public List<byte[]> drain() {
            List<byte[]> l = new ArrayList<>();
            frames.drainTo(l);
            return l;
        }
    }

    // ---- guest packets -------------------------------------------------------------------------------------

    /** A complete Ethernet + IPv4 + UDP frame from the guest, checksums valid. */
    public static ByteBuf udp4(InetAddress src, int sport, InetAddress dst, int dport, byte[] payload) {
        int l4 = UdpDatagram.HEADER_LEN + payload.length;
        ByteBuf b = Unpooled.buffer(GuestFrames.L4_V4 + l4);
        EthernetFrame.emit(b, 0, GuestConfig.DEFAULT_OUR_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV4);
        int s = InetLiterals.toInt((Inet4Address) src);
        int d = InetLiterals.toInt((Inet4Address) dst);
        Ipv4Packet.emit(b, 14, s, d, Ipv4Packet.PROTO_UDP, l4, 64, 0x1234);
        b.setBytes(GuestFrames.L4_V4 + 8, payload);
        UdpDatagram.emit(b, GuestFrames.L4_V4, sport, dport, payload.length,
                Checksum.pseudoV4(s, d, Ipv4Packet.PROTO_UDP, l4));
        return b.writerIndex(GuestFrames.L4_V4 + l4);
    }

    public static ByteBuf udp6(InetAddress src, int sport, InetAddress dst, int dport, byte[] payload) {
        int l4 = UdpDatagram.HEADER_LEN + payload.length;
        ByteBuf b = Unpooled.buffer(GuestFrames.L4_V6 + l4);
        EthernetFrame.emit(b, 0, GuestConfig.DEFAULT_OUR_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV6);
        Inet6Address s = (Inet6Address) src;
        Inet6Address d = (Inet6Address) dst;
        Ipv6Packet.emit(b, 14, s.getAddress(), d.getAddress(), Ipv6Packet.NH_UDP, l4, 64);
        b.setBytes(GuestFrames.L4_V6 + 8, payload);
        UdpDatagram.emit(b, GuestFrames.L4_V6, sport, dport, payload.length,
                Checksum.pseudoV6(InetLiterals.hi(s), InetLiterals.lo(s), InetLiterals.hi(d), InetLiterals.lo(d),
                        Ipv6Packet.NH_UDP, l4));
        return b.writerIndex(GuestFrames.L4_V6 + l4);
    }

    /** An ICMP echo request (IPv4) or ICMPv6 echo request frame from the guest. */
    public static ByteBuf echo(InetAddress src, InetAddress dst, int id, int seq, byte[] data) {
        boolean v6 = src instanceof Inet6Address;
        int l4 = 8 + data.length;
        int l4Off = v6 ? GuestFrames.L4_V6 : GuestFrames.L4_V4;
        ByteBuf b = Unpooled.buffer(l4Off + l4);
        b.setBytes(l4Off + 8, data);
        if (v6) {
            EthernetFrame.emit(b, 0, GuestConfig.DEFAULT_OUR_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV6);
            Ipv6Packet.emit(b, 14, src.getAddress(), dst.getAddress(), Ipv6Packet.NH_ICMPV6, l4, 64);
            b.setByte(l4Off, 128);
            b.setByte(l4Off + 1, 0);
            b.setShort(l4Off + 4, id);
            b.setShort(l4Off + 6, seq);
            Inet6Address s = (Inet6Address) src;
            Inet6Address d = (Inet6Address) dst;
            GuestFrames.icmpv6Checksum(b, l4Off, l4, InetLiterals.hi(s), InetLiterals.lo(s), InetLiterals.hi(d),
                    InetLiterals.lo(d));
        } else {
            EthernetFrame.emit(b, 0, GuestConfig.DEFAULT_OUR_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV4);
            Ipv4Packet.emit(b, 14, InetLiterals.toInt((Inet4Address) src), InetLiterals.toInt((Inet4Address) dst),
                    Ipv4Packet.PROTO_ICMP, l4, 64, 0x4321);
            Icmpv4Message.emitEcho(b, l4Off, Icmpv4Message.TYPE_ECHO_REQUEST, id, seq, data.length);
        }
        return b.writerIndex(l4Off + l4);
    }

    /** Hands a guest frame built above to a handler the way the dispatcher would (on the loop). */
    public static void deliver(IoEventLoop loop, L4Handler h, ByteBuf frame) {
        boolean v6 = frame.getUnsignedShort(EthernetFrame.ETHERTYPE) == EthernetFrame.TYPE_IPV6;
        int l4Off = v6 ? GuestFrames.L4_V6 : GuestFrames.L4_V4;
        onLoop(loop, () -> h.onPacket(frame, 14, v6, l4Off, frame.writerIndex() - l4Off));
    }

    // ---- checks on frames for the guest -------------------------------------------------------------------

    /** True when the IPv4 header checksum and the ICMP or UDP checksum of this frame hold. */
    public static boolean checksumsValid(byte[] frame) {
        ByteBuf b = Unpooled.wrappedBuffer(frame);
        if (b.getUnsignedShort(12) == EthernetFrame.TYPE_IPV4) {
            Ipv4Packet ip = new Ipv4Packet();
            if (!ip.wrap(b, 14, frame.length - 14) || !ip.verifyChecksum()) {
                return false;
            }
            if (ip.protocol() == Ipv4Packet.PROTO_ICMP) {
                return Checksum.verify(b, ip.payloadOffset(), ip.payloadLength());
            }
            return Checksum.finish(Checksum.add(ip.pseudoHeaderSum(), b, ip.payloadOffset(), ip.payloadLength())) == 0;
        }
        Ipv6Packet ip = new Ipv6Packet();
        if (!ip.wrap(b, 14, frame.length - 14)) {
            return false;
        }
        return Checksum.finish(Checksum.add(ip.pseudoHeaderSum(), b, ip.upperLayerOffset(), ip.upperLayerLength()))
                == 0;
    }

    /**
     * The soft open-file limit at which the next socket(2) fails with EMFILE:
     * the lowest descriptor number not in use (the kernel hands out the lowest).
     */
    public static long exhaustingFdLimit() {
        java.util.Set<Integer> used = new java.util.HashSet<>();
        try (java.nio.file.DirectoryStream<java.nio.file.Path> d =
                     java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/fd"))) {
            for (java.nio.file.Path p : d) {
                java.nio.file.Path target;
                try {
                    target = java.nio.file.Files.readSymbolicLink(p);
                } catch (java.io.IOException e) {
                    continue;
                }
                if (!target.toString().matches("/proc/[0-9]+/fd")) { // the listing's own descriptor is closed below
                    used.add(Integer.parseInt(p.getFileName().toString()));
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        int n = 0;
        while (used.contains(n)) {
            n++;
        }
        return n;
    }
}
