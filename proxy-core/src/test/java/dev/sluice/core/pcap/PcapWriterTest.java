package dev.sluice.core.pcap;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PcapWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesGlobalHeaderAndRecordsInNativeOrder() throws Exception {
        Path f = dir.resolve("c.pcap");
        ByteBuf frame = Unpooled.buffer(64);
        for (int i = 0; i < 60; i++) {
            frame.writeByte(i);
        }
        frame.readerIndex(2); // only the readable bytes are recorded
        try (PcapWriter w = PcapWriter.open(f)) {
            w.write(frame);
            w.write(frame);
        }
        assertEquals(2, frame.readerIndex(), "indexes untouched");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.nativeOrder());
        assertEquals(24 + 2 * (16 + 58), b.remaining());
        assertEquals(0xa1b2c3d4, b.getInt());
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        b.position(20);
        assertEquals(1, b.getInt(), "LINKTYPE_ETHERNET");
        b.position(24 + 8);
        assertEquals(58, b.getInt());
        assertEquals(58, b.getInt());
        assertEquals(2, b.get());
    }
}
