/**
 * Coverage-guided fuzzing of the guest receive path: stream framing, wire
 * codecs, L2 services and the flow tables, wired as Sluice wires them but to
 * an in-memory guest connection. Owns the harness, the input format, the
 * invariants checked after every input and the stored regression corpus;
 * does not fuzz the host side (sockets answer as the loopback does).
 */
package dev.sluice.core.fuzz;
