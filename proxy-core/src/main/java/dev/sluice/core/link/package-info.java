/**
 * Guest links: the QEMU stream socket (4-byte big-endian length before each
 * frame) and a tap device in another network namespace; the vhost-user
 * back-end lives in {@code link.vhost}. A link moves whole
 * Ethernet frames and owns their buffers; it does not parse them beyond the
 * framing, nor decide anything about their content.
 */
package dev.sluice.core.link;
