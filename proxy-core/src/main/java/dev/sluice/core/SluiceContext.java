package dev.sluice.core;

import dev.sluice.core.link.GuestLink;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;

/**
 * What every component of one running instance shares: the guest's address
 * plan, what was learned about the guest, counters, the one event loop that
 * owns all flow state, the guest link and the pooled allocator for frames.
 */
public record SluiceContext(
        GuestConfig guest,
        GuestState guestState,
        Counters counters,
        IoEventLoop loop,
        GuestLink link,
        ByteBufAllocator alloc) {
}
