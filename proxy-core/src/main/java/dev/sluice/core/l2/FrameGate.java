package dev.sluice.core.l2;

/**
 * A check the {@link Dispatcher} makes on the source MAC of every guest frame
 * before anything else, MAC learning included: a frame it refuses is dropped
 * (counted {@code eth.filtered}). The plugin chain provides one when a plugin
 * asks for frame-level checks ({@code FilterChain.frameGate()}); without one,
 * the dispatcher does no per-frame work for it.
 *
 * <p>Event loop only; called at line rate, so implementations must not
 * allocate or block. An implementation counts and audits its own refusals.
 */
@FunctionalInterface
public interface FrameGate {
    /**
     * @param sourceMac the frame's source MAC (48 bits, first octet most significant), as the guest wrote it
     * @return false to drop the frame
     */
    boolean acceptSourceMac(long sourceMac);
}
