package dev.sluice.core.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PcapTest {
    @Test
    void readsTcpdumpCaptures() {
        List<Pcap.Frame> arp = Pcap.read("frames/arp.pcap");
        assertEquals(5, arp.size());
        assertEquals(42, arp.get(0).data().length);
        assertEquals(0x0806, Frames.etherType(arp.get(0).data()));
        assertEquals(true, arp.get(1).timeNanos() >= arp.get(0).timeNanos());
    }

    @Test
    void bigEndianNanosecondFilesAndRoundTrip(@TempDir Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + 3).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        b.putInt(1).putInt(5).putInt(3).putInt(3).put(new byte[] {1, 2, 3});
        List<Pcap.Frame> f = Pcap.parse(b.array());
        assertEquals(1, f.size());
        assertEquals(1_000_000_005L, f.get(0).timeNanos());
        assertArrayEquals(new byte[] {1, 2, 3}, f.get(0).data());

        Path p = dir.resolve("x.pcap");
        Pcap.write(p, List.of(new byte[] {9, 8}, new byte[] {7}));
        List<Pcap.Frame> back = Pcap.parse(Files.readAllBytes(p));
        assertArrayEquals(new byte[] {9, 8}, back.get(0).data());
        assertArrayEquals(new byte[] {7}, back.get(1).data());
    }

    @Test
    void rejectsWhatItCannotRead() {
        assertThrows(IllegalArgumentException.class, () -> Pcap.parse(new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> Pcap.parse(new byte[24]));
        ByteBuffer b = ByteBuffer.allocate(24 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        b.putInt(0).putInt(0).putInt(100).putInt(100);
        assertThrows(IllegalArgumentException.class, () -> Pcap.parse(b.array()));
        assertThrows(IllegalArgumentException.class, () -> Pcap.read("frames/none.pcap"));
    }
}
