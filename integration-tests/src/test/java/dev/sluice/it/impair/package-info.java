/**
 * An impairing link for tests on a kernel without sch_netem: a relay between a
 * tap device in the guest namespace and Sluice's stream socket (acting as
 * QEMU's stream client) that loses, duplicates, reorders and delays frames
 * both ways from a seeded PRNG, with bounded queues. It does not shape
 * bandwidth and does not look inside frames.
 */
package dev.sluice.it.impair;
