package dev.sluice.core.flow.tcp;

import static dev.sluice.core.flow.tcp.TcpFlow.ge;
import static dev.sluice.core.flow.tcp.TcpFlow.gt;
import static dev.sluice.core.flow.tcp.TcpFlow.le;
import static dev.sluice.core.flow.tcp.TcpFlow.lt;

import dev.sluice.core.Counters;
import dev.sluice.core.wire.TcpSegment;

/**
 * The host-to-guest half of a flow: the unacknowledged host data
 * ({@link TcpSendQueue}), the guest's window, a Reno congestion window,
 * retransmission on RTO (RFC 6298, Karn) and after three duplicate ACKs
 * (NewReno partial ACKs), the FIN after a host EOF. Knows nothing of netty
 * or frames: segments go out through {@link Output}, time comes in as
 * {@code now} arguments, so it can be driven alone.
 */
final class TcpSender {
    static final long MAX_CWND = 1L << 30;

    /** Where segments go; the flow adds the ACK number and window. */
    interface Output {
        /**
         * Sends {@code len} bytes (possibly 0) starting {@code off} bytes after
         * SND.UNA in the queue, as sequence {@code seq}, with {@code flags}
         * (ACK always, FIN and PSH as given). Returns false when the link
         * cannot take it now (nothing was sent).
         */
        boolean data(int seq, int off, int len, int flags);

        /** False while the link pushes back: {@link #data} would refuse. */
        default boolean ready() {
            return true;
        }
    }

    private final Output out;
    private final TcpTimers timers;
    private final Counters.Counter cRetransmits;
    private final Counters.Counter cFastRetransmits;

    final TcpSendQueue queue = new TcpSendQueue();
    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;
    long sndWnd;
    long maxSndWnd;
    int sndWl1;
    int sndWl2;
    int sndWscale;
    int sndMss;
    /** The largest payload one segment may carry (the MSS unless the link segments for us). */
    int maxSegment;
    boolean hostEof;
    boolean finSent;
    int finSeq;
    boolean finAcked;
    long cwnd;
    long ssthresh;
    private int dupAcks;
    private boolean inRecovery;
    private int recover;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;
    /** The last {@link #trySend} stopped because the link pushed back. */
    boolean linkBlocked;

    TcpSender(Output out, TcpTimers timers, Counters.Counter retransmits, Counters.Counter fastRetransmits) {
        this.out = out;
        this.timers = timers;
        this.cRetransmits = retransmits;
        this.cFastRetransmits = fastRetransmits;
    }

    /** Our initial sequence number; {@code synSent}: our SYN is out already. */
    void start(int isn, boolean synSent) {
        iss = isn;
        sndUna = isn;
        sndNxt = synSent ? isn + 1 : isn;
        sndMax = sndNxt;
        sndWl2 = isn;
    }

    /** The guest's window and options from its SYN (or SYN-ACK). */
    void peerSyn(int seq, int ack, int window, int wscale, int mss) {
        sndWnd = window; // never scaled in a SYN
        maxSndWnd = sndWnd;
        sndWl1 = seq;
        sndWl2 = ack;
        sndWscale = wscale;
        sndMss = mss;
        if (maxSegment == 0) {
            maxSegment = mss;
        }
    }

    /** Our SYN was acknowledged. */
    void established() {
        sndUna = iss + 1;
        if (lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        sndMax = sndNxt;
        cwnd = 10L * sndMss;
        ssthresh = MAX_CWND;
    }

    /** Bytes read from the host and not yet sent. */
    int unsent() {
        return queue.readableBytes() - (sndNxt - sndUna);
    }

    boolean allAcked() {
        return sndUna == sndMax;
    }

    /** ACK result: dropped (acknowledges what we never sent), nothing new, or new data acknowledged. */
    static final int ACK_UNSENT = -1;
    static final int ACK_OLD = 0;
    static final int ACK_NEW = 1;

    /**
     * RFC 9293 §3.10.7.4 fifth step for a segment with {@code seq}, {@code ack}
     * and window field {@code window}; {@code dupCandidate} when it carries no
     * data and no FIN (it may be a duplicate ACK).
     */
    int onAck(int seq, int ack, int window, boolean dupCandidate, long now) {
        if (gt(ack, sndMax)) {
            return ACK_UNSENT;
        }
        if (lt(ack, sndUna)) {
            return ACK_OLD; // old duplicate: nothing to learn from its ACK or window
        }
        long newWnd = (long) window << sndWscale;
        if (lt(sndWl1, seq) || (sndWl1 == seq && le(sndWl2, ack))) {
            if (sndWnd == 0 && newWnd > 0) {
                timers.stopPersist();
            }
            sndWnd = newWnd;
            if (newWnd > maxSndWnd) {
                maxSndWnd = newWnd;
            }
            sndWl1 = seq;
            sndWl2 = ack;
        }
        int acked = ack - sndUna;
        if (acked <= 0) {
            if (dupCandidate && sndMax != sndUna) {
                // window updates are not told apart from duplicates: a spurious
                // fast retransmit costs one segment, a missed one an RTO
                if (++dupAcks == 3 && !inRecovery) {
                    cFastRetransmits.inc();
                    inRecovery = true;
                    recover = sndMax;
                    ssthresh = Math.max((long) (sndMax - sndUna) / 2, 2L * sndMss);
                    cwnd = ssthresh;
                    rttTiming = false;
                    retransmitFirst();
                }
            }
            return ACK_OLD;
        }
        int dataAcked = acked;
        if (finSent && gt(ack, finSeq)) {
            dataAcked--;
            finAcked = true;
        }
        if (dataAcked > 0) {
            queue.skip(dataAcked);
        }
        sndUna = ack;
        if (lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        if (rttTiming && ge(ack, rttSeq)) {
            rttTiming = false;
            timers.sample(now - rttStart);
        }
        timers.acked();
        if (inRecovery) {
            if (ge(ack, recover)) {
                inRecovery = false;
                cwnd = ssthresh;
            } else {
                retransmitFirst(); // NewReno partial ACK: the next hole
            }
        } else if (cwnd < ssthresh) {
            cwnd = Math.min(MAX_CWND, cwnd + Math.min(dataAcked, 2L * sndMss));
        } else {
            cwnd = Math.min(MAX_CWND, cwnd + Math.max(1, (long) sndMss * sndMss / cwnd));
        }
        dupAcks = 0;
        timers.rtoAt = sndUna == sndMax ? 0 : now + timers.rto();
        return ACK_NEW;
    }

    /** Sends what the guest's window and the congestion window allow; FIN after the last byte of a host EOF. */
    void trySend(long now) {
        int buffered = queue.readableBytes();
        boolean sent = false;
        boolean windowBlocked = false;
        linkBlocked = false;
        while (!(finSent && gt(sndNxt, finSeq))) {
            int off = sndNxt - sndUna;
            int unsent = buffered - off;
            if (unsent > 0) {
                long usable = Math.min(sndWnd, cwnd) - off;
                if (usable <= 0) {
                    windowBlocked = true;
                    break;
                }
                int len = (int) Math.min(Math.min(unsent, usable), maxSegment);
                if (len < sndMss && len < unsent && off > 0) {
                    break; // sender SWS avoidance: wait for a fuller window while data is in flight
                }
                boolean fin = hostEof && len == unsent;
                int flags = TcpSegment.ACK_FLAG | (fin ? TcpSegment.FIN : 0) | (len == unsent ? TcpSegment.PSH : 0);
                if (!out.data(sndNxt, off, len, flags)) {
                    linkBlocked = true;
                    break;
                }
                if (!rttTiming && ge(sndNxt, sndMax)) {
                    rttTiming = true;
                    rttSeq = sndNxt + len;
                    rttStart = now;
                }
                sndNxt += len;
                if (fin) {
                    finSent = true;
                    finSeq = sndNxt;
                    sndNxt++;
                }
            } else if (hostEof) {
                // a FIN alone may go at a zero window: receivers accept it at the right edge
                if (!out.data(sndNxt, off, 0, TcpSegment.ACK_FLAG | TcpSegment.FIN)) {
                    linkBlocked = true;
                    break;
                }
                finSent = true;
                finSeq = sndNxt;
                sndNxt++;
            } else {
                break;
            }
            if (gt(sndNxt, sndMax)) {
                sndMax = sndNxt;
            }
            sent = true;
        }
        if (sent) {
            timers.startRto(now);
        }
        if (windowBlocked && sndWnd == 0 && sndUna == sndMax) {
            timers.startPersist(now);
        }
    }

    /** Retransmits the first unacknowledged segment (or the FIN), whatever the windows say. */
    void retransmitFirst() {
        int dataEnd = finSent ? finSeq : sndMax;
        int len = Math.min(maxSegment, dataEnd - sndUna);
        if (len < 0) {
            len = 0;
        }
        boolean fin = finSent && !finAcked && sndUna + len == finSeq;
        if (len == 0 && !fin) {
            return;
        }
        int flags = TcpSegment.ACK_FLAG | (fin ? TcpSegment.FIN : 0)
                | (len > 0 && len == queue.readableBytes() ? TcpSegment.PSH : 0);
        if (!out.ready()) {
            return; // the link is full: the RTO (or the next partial ACK) tries again
        }
        cRetransmits.inc(); // before it goes: whoever sees the segment sees it counted
        out.data(sndUna, 0, len, flags);
        int end = sndUna + len + (fin ? 1 : 0);
        if (lt(sndNxt, end)) {
            sndNxt = end;
        }
    }

    /** The RTO fired with data outstanding: collapse the window and go back to SND.UNA. */
    void onRto(long now) {
        ssthresh = Math.max((long) (sndMax - sndUna) / 2, 2L * sndMss);
        cwnd = sndMss;
        inRecovery = false;
        dupAcks = 0;
        rttTiming = false;
        sndNxt = sndUna; // go back: later segments follow as ACKs open cwnd
        retransmitFirst();
        timers.backoff();
        timers.rtoAt = now + timers.rto();
    }

    /** True when a zero-window probe is due (the guest's window is shut with data waiting). */
    boolean needsProbe() {
        return sndWnd == 0 && unsent() > 0;
    }
}
