/**
 * Wire formats: one class per protocol, each a reusable <em>view</em> over a
 * netty {@code ByteBuf} at an offset (getters and setters at fixed offsets,
 * no copying, no allocation per packet) plus, where replies are built, static
 * {@code emit} helpers that write a header in place.
 *
 * <p>Conventions every view follows (smoltcp's {@code wire} is the model):
 * <ul>
 *   <li>field offsets are {@code static final int} constants relative to the
 *       start of the header;</li>
 *   <li>{@code wrap(buf, off, len)} points the view at {@code len} bytes from
 *       {@code off} and returns {@code false} when they cannot hold the
 *       header (truncated, bad length fields): the caller counts the drop.
 *       After a {@code true}, every getter is safe. Nothing here throws on bad
 *       input;</li>
 *   <li>absolute indexes ({@code getByte(i)} etc.) only: reader and writer
 *       indexes of the buffer are never touched;</li>
 *   <li>IPv4 addresses are {@code int}s, IPv6 addresses two {@code long}s
 *       (high, low) or 16 bytes copied into a caller's array;
 *       {@link java.net.InetAddress} only off the hot path.</li>
 * </ul>
 *
 * <p>Deliberately not here: I/O, buffer ownership (the caller owns every
 * buffer it passes), protocol state (see {@code l2} and {@code flow}).
 */
package dev.sluice.core.wire;
