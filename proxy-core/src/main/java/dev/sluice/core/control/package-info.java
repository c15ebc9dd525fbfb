/**
 * The operator's view of a running instance: the control socket (a UNIX
 * socket, mode 0600, owner or root only) answering {@code status},
 * {@code flows}, {@code metrics} and {@code audit follow}; the
 * {@code --audit-log} JSON-lines file; the {@code --metrics-listen} HTTP
 * endpoint; and the client side the {@code sluice status|flows|audit|metrics}
 * subcommands use. See docs/operations.md.
 *
 * <p>Threads: the server runs on an event loop of its own
 * ({@code sluice-control}); the packet loop only copies a bounded
 * {@link dev.sluice.core.control.Snapshot} when asked (coalesced: many
 * clients, one copy) and hands audit events over. Rendering (text, JSON,
 * Prometheus) and every write to a client happen off the packet loop, and a
 * client that does not read is dropped, never waited for.
 *
 * <p>Not here: the counters and flows themselves (owned by the packet loop's
 * classes), and any way to change the running instance: the socket is
 * read-only by design.
 */
package dev.sluice.core.control;
