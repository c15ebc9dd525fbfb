/**
 * The vhost-user guest link (QEMU docs/interop/vhost-user.rst): Sluice as the
 * back-end of a virtio-net device whose front-end is QEMU. Owns the protocol
 * (message codec and the per-connection {@code Session}), the mapped guest
 * memory table, the split virtqueues with their descriptor chains and
 * notification suppression, and moving frames between guest buffers and the
 * {@code FrameHandler}. Does not parse frames, negotiate offloads (none: see
 * {@code Protocol.OFFERED_FEATURES}), multiqueue, packed rings, live migration
 * (dirty logging) or an IOMMU; those requests close the connection.
 */
package dev.sluice.core.link.vhost;
