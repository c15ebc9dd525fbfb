package dev.sluice.plugins.guestaddr;

import dev.sluice.api.GuestFrameFilter;
import dev.sluice.api.GuestView;

/**
 * {@code mac=enforce}: the flow check plus the frame hook. The guest's MAC is
 * Sluice's: {@code -M}'s, or else the source of the first frame Sluice
 * accepted from the guest (it learns the MAC only from frames every frame
 * hook let in). So while the MAC is still unknown, any unicast source is
 * accepted (the first becomes the guest's); once it is known, only it is.
 * Two numbers compared per frame, nothing allocated.
 */
final class MacEnforcingFilter extends GuestAddrFilter implements GuestFrameFilter {
    private static final long GROUP_BIT = 1L << 40;

    private final GuestView guest;

    MacEnforcingFilter(GuestView guest) {
        super(guest);
        this.guest = guest;
    }

    @Override
    public boolean acceptSourceMac(long sourceMac) {
        long known = guest.macAsLong();
        if (known != 0) {
            return sourceMac == known;
        }
        return sourceMac != 0 && (sourceMac & GROUP_BIT) == 0;
    }

    @Override
    public String sourceMacDropReason(long sourceMac) {
        long known = guest.macAsLong();
        String src = GuestView.formatMac(sourceMac);
        return known != 0 ? "source MAC " + src + " is not the guest's (" + GuestView.formatMac(known) + ")"
                : "source MAC " + src + " is not a unicast address";
    }
}
