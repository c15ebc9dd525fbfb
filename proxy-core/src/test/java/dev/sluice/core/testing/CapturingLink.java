package dev.sluice.core.testing;

import dev.sluice.core.link.GuestLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.util.ArrayList;
import java.util.List;

/** A guest link for tests: keeps what is sent, counts flushes, can be marked down. */
public final class CapturingLink implements GuestLink {
    private final List<byte[]> frames = new ArrayList<>();
    private int flushes;
    private volatile boolean up = true;

    @Override
    public synchronized void send(ByteBuf frame) {
        try {
            frames.add(ByteBufUtil.getBytes(frame));
        } finally {
            frame.release();
        }
    }

    @Override
    public synchronized void flush() {
        flushes++;
    }

    @Override
    public boolean isUp() {
        return up;
    }

    public void setUp(boolean up) {
        this.up = up;
    }

    /** The frames sent since the last call, oldest first. */
    public synchronized List<byte[]> drain() {
        List<byte[]> out = new ArrayList<>(frames);
        frames.clear();
        return out;
    }

    /** The single frame sent since the last drain; fails when there are none or several. */
    public synchronized byte[] only() {
        List<byte[]> out = drain();
        if (out.size() != 1) {
            throw new AssertionError("expected exactly one frame to the guest, got " + out.size());
        }
        return out.get(0);
    }

    public synchronized int flushes() {
        return flushes;
    }
}
