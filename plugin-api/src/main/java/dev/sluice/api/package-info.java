/**
 * Sluice's outbound-flow interception SPI: the only classes a plugin sees.
 *
 * <p>Before Sluice opens a host socket for a flow the guest starts (a TCP
 * connection, a UDP flow, an ICMP echo), it runs the flow through the chain
 * of filters the user asked for with {@code --plugin NAME[:KEY=VALUE,...]},
 * in the order given. Each filter answers with a {@link dev.sluice.api.Verdict}:
 * continue to the next filter, accept, reject (the guest is told) or drop
 * (silence). Flows that every filter lets pass are opened. A filter may also
 * bind the flow's host socket to an interface or a source address.
 *
 * <h2>Writing a plugin</h2>
 * <ol>
 *   <li>Depend on {@code dev.sluice:sluice-plugin-api} (scope {@code provided}:
 *       Sluice supplies it; do not bundle it).</li>
 *   <li>Implement {@link dev.sluice.api.FlowFilterProvider} (name,
 *       description, options; {@code create} validates the options and
 *       returns a {@link dev.sluice.api.FlowFilter}).</li>
 *   <li>List the provider in
 *       {@code META-INF/services/dev.sluice.api.FlowFilterProvider}.</li>
 *   <li>Build a jar (a single jar: shade any dependencies into it, or install
 *       the plugin as a directory of jars) and put it in a plugins directory
 *       ({@code --plugin-dir}, or {@code plugins/} of the distribution).</li>
 * </ol>
 * Test it with {@code TestingFilterContext} (artifact {@code sluice-plugin-testkit},
 * scope test) and hand-built
 * {@link dev.sluice.api.FlowAttempt}s; Sluice's own {@code deny-port} plugin is
 * a complete example.
 *
 * <h2>Class loading</h2>
 * Each plugin jar (or directory) gets its own class loader, whose parent shows
 * only this package and the JDK: a plugin cannot see Sluice's classes or
 * libraries (netty, slf4j...) and brings whatever else it needs; two plugins
 * may use different versions of one library. Log through
 * {@link dev.sluice.api.PluginLogger}.
 *
 * <h2>Threading and failure</h2>
 * Providers and {@code create} run at startup on the main thread;
 * {@link dev.sluice.api.FlowFilter#decide} runs on the event loop and must be
 * fast and never block. A filter that throws or returns null rejects the flow
 * (fail-closed); that is logged and counted. See {@link dev.sluice.api.FlowFilter}.
 *
 * <h2>Frames</h2>
 * A filter may also implement {@link dev.sluice.api.GuestFrameFilter} to
 * see the source MAC of every frame the guest sends, and drop frames, before
 * Sluice handles them. It is optional and per frame, so it must be trivially
 * cheap; Sluice calls it only when some filter of the chain implements it.
 *
 * <p>This package depends on the JDK alone and is kept small: types are
 * immutable except the outbound binding of a {@link dev.sluice.api.FlowAttempt}.
 */
package dev.sluice.api;
