package dev.sluice.core.link;

/**
 * What a link does for frames towards the guest beyond carrying them, so the
 * flows can leave work to it (see {@link GuestLink#sendOffloaded}).
 *
 * @param checksum the link (or the guest's kernel behind it) fills in TCP and
 *                 UDP checksums of frames given to {@code sendOffloaded}
 * @param maxFrame the longest Ethernet frame (header included) that
 *                 {@code sendOffloaded} takes with a {@code gsoSize}: a TCP
 *                 super-frame the guest's side segments; 0 when the link
 *                 cannot segment
 */
public record Offloads(boolean checksum, int maxFrame) {
    /** A link that only carries complete frames of at most the guest's MTU. */
    public static final Offloads NONE = new Offloads(false, 0);
}
