package dev.sluice.api;

/**
 * Optional frame-level hook: a {@link FlowFilter} that also implements this
 * interface is asked about <em>every Ethernet frame the guest sends</em>,
 * before Sluice looks at anything else in it (ARP, NDP, DHCP, flows, MAC
 * learning). Filters that do not implement it cost nothing per frame: Sluice
 * installs the frame check only when at least one filter of the chain is a
 * {@code GuestFrameFilter}.
 *
 * <p>A provider that needs the hook only for some options returns a filter
 * class that implements it for those options and one that does not
 * otherwise, so users who do not ask for the check do not pay for it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #acceptSourceMac(long)} runs on the event loop for each frame,
 *       at line rate. It must be trivially cheap: compare a few numbers, read
 *       a field or a view ({@link GuestView#macAsLong()} is allocation-free).
 *       No allocation, no logging, no I/O, no locks.</li>
 *   <li>The filters' frame hooks are asked in chain order; the first that
 *       returns false drops the frame, and later ones are not asked. A
 *       dropped frame is counted ({@code plugin.NAME.frames-dropped}) and
 *       written to the audit log like a dropped flow, rate-limited per
 *       (plugin, source MAC):
 *       {@code DROP frame src=02:00:00:00:00:60 plugin=NAME reason="..."}.
 *       The reason comes from {@link #sourceMacDropReason(long)}, called only
 *       for lines that are actually written.</li>
 *   <li>Fail-closed: a hook that throws drops the frame; that is counted
 *       ({@code plugin.NAME.errors}), audited, and the first failure is
 *       logged with its stack trace.</li>
 *   <li>Frames a hook accepts go on as if there were no hook. The guest's MAC
 *       ({@link GuestView#mac()}) is learned from accepted frames only, so a
 *       hook that pins the first MAC keeps Sluice's idea of the guest's MAC
 *       pinned as well.</li>
 * </ul>
 */
public interface GuestFrameFilter {
    /**
     * Whether a frame from this source MAC may enter.
     *
     * @param sourceMac the frame's source MAC as a 48-bit number, first octet most significant
     *                  ({@code 52:54:00:12:34:56} is {@code 0x525400123456L}); any value the guest wrote,
     *                  including 0, multicast and broadcast
     * @return false to drop the frame
     */
    boolean acceptSourceMac(long sourceMac);

    /**
     * Why a frame from {@code sourceMac} was dropped, for the audit log: a few
     * words ("source MAC 02:00:00:00:00:60 is not the guest's"). Called only
     * when an audit line is written, so it may allocate.
     */
    default String sourceMacDropReason(long sourceMac) {
        return "source MAC " + GuestView.formatMac(sourceMac) + " is not accepted";
    }
}
