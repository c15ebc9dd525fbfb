package dev.sluice.core.l2;

import dev.sluice.core.Counters.Counter;
import dev.sluice.core.SluiceContext;
import dev.sluice.core.wire.ArpPacket;
import dev.sluice.core.wire.EthernetFrame;
import io.netty.buffer.ByteBuf;

/**
 * Answers the guest's ARP requests with Sluice's MAC, the way passt does:
 * every address on the link is Sluice except the guest's own, so the guest
 * sends everything to us. Not answered: replies, announcements (sender address
 * equal to the target), and requests for the guest's own address, which would
 * make its duplicate-address probe fail. Probes from 0.0.0.0 for other
 * addresses are answered (passt's behaviour).
 */
public final class ArpResponder {
    private static final int FRAME_LEN = EthernetFrame.HEADER_LEN + ArpPacket.LEN;

    private final SluiceContext ctx;
    private final long ourMac;
    private final int guestIp;
    private final ArpPacket arp = new ArpPacket();
    private final Counter bad;
    private final Counter ignored;
    private final Counter replied;

    public ArpResponder(SluiceContext ctx) {
        this.ctx = ctx;
        this.ourMac = ctx.guest().ourMac();
        this.guestIp = Addrs.v4(ctx.guest().addr4());
        this.bad = ctx.counters().get("arp.bad");
        this.ignored = ctx.counters().get("arp.ignored");
        this.replied = ctx.counters().get("arp.replied");
    }

    /** One ARP frame from the guest ({@code eth} wraps it, ethertype ARP). */
    public void onArp(EthernetFrame eth) {
        if (!arp.wrap(eth.buffer(), eth.payloadOffset(), eth.payloadLength()) || !arp.isEthernetIpv4()) {
            bad.inc();
            return;
        }
        if (arp.operation() != ArpPacket.OP_REQUEST) {
            ignored.inc();
            return;
        }
        int sender = arp.senderIp();
        int target = arp.targetIp();
        if ((sender != 0 && sender == target) || target == 0 || (guestIp != 0 && target == guestIp)) {
            ignored.inc();
            return;
        }
        ByteBuf out = ctx.alloc().directBuffer(FRAME_LEN);
        EthernetFrame.emit(out, 0, eth.src(), ourMac, EthernetFrame.TYPE_ARP);
        ArpPacket.emitReply(out, EthernetFrame.HEADER_LEN, arp, ourMac);
        out.writerIndex(FRAME_LEN);
        ctx.link().send(out);
        replied.inc();
    }
}
