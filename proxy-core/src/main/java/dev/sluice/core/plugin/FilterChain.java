package dev.sluice.core.plugin;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.GuestFrameFilter;
import dev.sluice.api.GuestView;
import dev.sluice.api.HostView;
import dev.sluice.api.InstanceInfo;
import dev.sluice.api.PluginLogger;
import dev.sluice.api.PluginOptions;
import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.api.Verdict;
import dev.sluice.core.Counters;
import dev.sluice.core.flow.FlowProtocol;
import dev.sluice.core.flow.GateDecision;
import dev.sluice.core.flow.OutboundGate;
import dev.sluice.core.l2.FrameGate;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound gate made of the user's {@code --plugin} filters, asked in the
 * order given. The first filter with a final verdict decides: ACCEPT opens the
 * flow with the binding filters set on the {@link FlowAttempt}; REJECT and
 * DROP refuse it, are counted per plugin and written to the {@link AuditLog}.
 * When every filter continues, the flow is opened (counted as
 * {@code chain.undecided}).
 *
 * <p>Fail-closed: a filter that throws or returns null rejects the flow. The
 * first failure of each filter is logged with its stack trace; every failure
 * is counted ({@code plugin.LABEL.errors}) and audited like a reject.
 *
 * <p>{@link #decide} runs on the event loop and takes no locks. A plugin named
 * twice gets labels {@code name}, {@code name#2}, ... in counters and logs.
 *
 * <p>Frames: filters that also implement {@link GuestFrameFilter} are asked,
 * in chain order, about the source MAC of every guest frame through
 * {@link #frameGate()}, which the L2 dispatcher consults before anything else
 * ({@code Dispatcher.setFrameFilter}). The first hook that refuses drops the
 * frame, counted ({@code plugin.LABEL.frames-dropped}) and audited like a
 * dropped flow; a hook that throws drops it too (fail-closed, counted as an
 * error). When no filter implements the hook there is no gate at all, so
 * frames cost nothing.
 *
 * <p>Counters, per label: {@code plugin.LABEL.accepted}, {@code .rejected},
 * {@code .dropped}, {@code .errors}, and for frame hooks
 * {@code .frames-dropped}; and {@code chain.undecided},
 * {@code chain.audit-suppressed}.
 */
public final class FilterChain implements OutboundGate, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FilterChain.class);
    private static final Protocol[] PROTOCOLS = new Protocol[FlowProtocol.values().length];

    static {
        for (FlowProtocol p : FlowProtocol.values()) {
            PROTOCOLS[p.ordinal()] = Protocol.valueOf(p.name());
        }
    }

    /** One filter in the chain with its counters. */
    private static final class Stage {
        final String label;
        final FlowFilter filter;
        final ClassLoader loader;
        final Counters.Counter accepted;
        final Counters.Counter rejected;
        final Counters.Counter dropped;
        final Counters.Counter errors;
        /** This stage's plain accept, naming it as the decider (the flows listing shows it). */
        final GateDecision accept;
        boolean failureLogged;
        /** The filter as a frame hook, or null when it is not one. */
        final GuestFrameFilter frames;
        final Counters.Counter framesDropped;
        final LongFunction<String> frameReason;
        boolean frameFailureLogged;

        Stage(String label, FlowFilter filter, ClassLoader loader, Counters counters) {
            this.label = label;
            this.filter = filter;
            this.loader = loader;
            this.accepted = counters.get("plugin." + label + ".accepted");
            this.rejected = counters.get("plugin." + label + ".rejected");
            this.dropped = counters.get("plugin." + label + ".dropped");
            this.errors = counters.get("plugin." + label + ".errors");
            this.accept = new GateDecision(GateDecision.Action.ACCEPT, null, null, label, null);
            this.frames = filter instanceof GuestFrameFilter g ? g : null;
            this.framesDropped = frames != null ? counters.get("plugin." + label + ".frames-dropped") : null;
            this.frameReason = frames != null ? this::frameReason : null;
        }

        /** The plugin's reason for the audit line; runs inside the hook's context class loader. */
        private String frameReason(long mac) {
            try {
                String r = frames.sourceMacDropReason(mac);
                if (r != null && !r.isBlank()) {
                    return r;
                }
            } catch (RuntimeException | LinkageError e) {
                // the frame is dropped anyway: fall back to a neutral reason
            }
            return "source MAC " + CoreGuestView.format(mac) + " is not accepted";
        }
    }

    /** The context each filter is created with. */
    private record Context(PluginOptions options, HostView host, GuestView guest, InstanceInfo instance,
                           PluginLogger logger) implements FilterContext {
    }

    /** The SPI's view of this instance. */
    private record Instance(String id, List<PortForward> inboundForwards) implements InstanceInfo {
    }

    private final Stage[] stages;
    private final Stage[] frameStages;
    private final FrameGate frameGate;
    private final AuditLog audit;
    private final Counters.Counter undecided;
    private boolean closed;

    private FilterChain(Stage[] stages, AuditLog audit, Counters counters) {
        this.stages = stages;
        List<Stage> f = new ArrayList<>();
        for (Stage s : stages) {
            if (s.frames != null) {
                f.add(s);
            }
        }
        this.frameStages = f.toArray(Stage[]::new);
        this.frameGate = frameStages.length == 0 ? null : this::acceptFrame;
        this.audit = audit;
        this.undecided = counters.get("chain.undecided");
    }

    /**
     * Creates one filter per spec, in order.
     *
     * @param catalog the installed plugins
     * @param specs   the {@code --plugin} arguments, in the order given (may be empty: everything is accepted)
     * @param env     the views' sources and the counters
     * @throws PluginException for an unknown plugin name (listing the installed ones), options a plugin
     *                         refused ({@code plugin NAME: its message}), or a plugin that failed to start;
     *                         filters created before the failure are closed
     */
    public static FilterChain build(PluginCatalog catalog, List<PluginSpec> specs, PluginEnvironment env) {
        return build(catalog, specs, env, new AuditLog(env.counters()));
    }

    static FilterChain build(PluginCatalog catalog, List<PluginSpec> specs, PluginEnvironment env, AuditLog audit) {
        // Every name first, so a typo in the last --plugin is reported before any plugin starts.
        for (PluginSpec spec : specs) {
            if (catalog.entry(spec.name()) == null) {
                throw new PluginException(unknown(catalog, spec.name()));
            }
        }
        GuestView guest = new CoreGuestView(env.guest(), env.guestState());
        InstanceInfo instance = new Instance(env.instanceId(), env.forwards());
        Map<String, Integer> seen = new HashMap<>();
        List<Stage> stages = new ArrayList<>();
        try {
            for (PluginSpec spec : specs) {
                PluginCatalog.Entry entry = catalog.entry(spec.name());
                int n = seen.merge(spec.name(), 1, Integer::sum);
                String label = n == 1 ? spec.name() : spec.name() + "#" + n;
                Context ctx = new Context(PluginOptions.of(spec.options()), env.host(), guest, instance,
                        new Slf4jPluginLogger(label));
                FlowFilter filter = create(entry, label, ctx);
                stages.add(new Stage(label, filter, entry.loader(), env.counters()));
            }
        } catch (RuntimeException e) {
            for (int i = stages.size() - 1; i >= 0; i--) {
                closeQuietly(stages.get(i));
            }
            throw e;
        }
        FilterChain chain = new FilterChain(stages.toArray(Stage[]::new), audit, env.counters());
        if (!specs.isEmpty()) {
            log.info("plugin chain: {}", String.join(" -> ", specs.stream().map(PluginSpec::toString).toList()));
        }
        return chain;
    }

    private static String unknown(PluginCatalog catalog, String name) {
        if (catalog.names().isEmpty()) {
            return "unknown plugin \"" + name + "\": no plugins are installed (searched: "
                    + String.join(", ", catalog.searched()) + ")";
        }
        return "unknown plugin \"" + name + "\"; installed plugins: " + String.join(", ", catalog.names())
                + " (see --list-plugins)";
    }

    private static FlowFilter create(PluginCatalog.Entry entry, String label, Context ctx) {
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(entry.loader());
        try {
            FlowFilter f = entry.provider().create(ctx);
            if (f == null) {
                throw new PluginException("plugin " + label + " (" + entry.info().origin() + ") created no filter");
            }
            return f;
        } catch (PluginException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new PluginException("plugin " + label + ": " + e.getMessage(), e);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginException("plugin " + label + " (" + entry.info().origin() + ") failed to start: " + e, e);
        } finally {
            t.setContextClassLoader(saved);
        }
    }

    /** The labels of the filters, in chain order. */
    public List<String> labels() {
        List<String> out = new ArrayList<>(stages.length);
        for (Stage s : stages) {
            out.add(s.label);
        }
        return out;
    }

    @Override
    public GateDecision decide(FlowProtocol proto, InetSocketAddress guestSrc, InetSocketAddress dstAsSent,
                              InetSocketAddress dstMapped) {
        FlowAttempt attempt = new FlowAttempt(PROTOCOLS[proto.ordinal()], guestSrc, dstAsSent, dstMapped);
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        try {
            for (Stage s : stages) {
                Verdict v;
                try {
                    if (thread.getContextClassLoader() != s.loader) {
                        thread.setContextClassLoader(s.loader);
                    }
                    v = s.filter.decide(attempt);
                } catch (Throwable e) {
                    if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                        throw (VirtualMachineError) e;
                    }
                    return failed(s, proto, guestSrc, dstAsSent, dstMapped, e);
                }
                if (v == null) {
                    return failed(s, proto, guestSrc, dstAsSent, dstMapped, null);
                }
                switch (v.kind()) {
                    case CONTINUE:
                        break;
                    case ACCEPT:
                        s.accepted.inc();
                        return accept(attempt, s);
                    case REJECT:
                        s.rejected.inc();
                        audit.record("REJECT", proto, guestSrc, dstAsSent, dstMapped, s.label, v.reason());
                        return GateDecision.reject(s.label, v.reason());
                    case DROP:
                    default:
                        s.dropped.inc();
                        audit.record("DROP", proto, guestSrc, dstAsSent, dstMapped, s.label, v.reason());
                        return GateDecision.drop(s.label, v.reason());
                }
            }
        } finally {
            if (thread.getContextClassLoader() != saved) {
                thread.setContextClassLoader(saved);
            }
        }
        undecided.inc();
        return accept(attempt, null);
    }

    /**
     * The per-frame check of the filters that implement
     * {@link GuestFrameFilter}, for {@code Dispatcher.setFrameFilter}; null
     * when none does (then nothing needs checking per frame).
     */
    public FrameGate frameGate() {
        return frameGate;
    }

    /** Whether a guest frame from {@code mac} may enter: asks the frame hooks in chain order. Event loop only. */
    private boolean acceptFrame(long mac) {
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        try {
            for (Stage s : frameStages) {
                boolean ok;
                try {
                    if (thread.getContextClassLoader() != s.loader) {
                        thread.setContextClassLoader(s.loader);
                    }
                    ok = s.frames.acceptSourceMac(mac);
                } catch (Throwable e) {
                    if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                        throw (VirtualMachineError) e;
                    }
                    frameFailed(s, mac, e);
                    return false;
                }
                if (!ok) {
                    s.framesDropped.inc();
                    audit.recordFrame("DROP", s.label, mac, s.frameReason);
                    return false;
                }
            }
            return true;
        } finally {
            if (thread.getContextClassLoader() != saved) {
                thread.setContextClassLoader(saved);
            }
        }
    }

    private void frameFailed(Stage s, long mac, Throwable e) {
        s.errors.inc();
        String reason = "plugin failed: " + e.getClass().getSimpleName();
        if (!s.frameFailureLogged) {
            s.frameFailureLogged = true;
            log.error("plugin {} failed checking a guest frame from {}, which is dropped (fail-closed); later failures"
                    + " of this plugin are only counted (plugin.{}.errors) and audited", s.label,
                    CoreGuestView.format(mac), s.label, e);
        }
        audit.recordFrame("DROP", s.label, mac, m -> reason);
    }

    /** {@code by}: the stage that accepted, or null when every filter continued. */
    private static GateDecision accept(FlowAttempt a, Stage by) {
        if (a.bindInterface() == null && a.bindSource() == null) {
            return by == null ? GateDecision.ACCEPT : by.accept;
        }
        return new GateDecision(GateDecision.Action.ACCEPT, a.bindInterface(), a.bindSource(),
                by == null ? null : by.label, null);
    }

    private GateDecision failed(Stage s, FlowProtocol proto, InetSocketAddress src, InetSocketAddress dst,
                                InetSocketAddress mapped, Throwable e) {
        s.errors.inc();
        String reason = e == null ? "plugin returned no verdict" : "plugin failed: " + e.getClass().getSimpleName();
        if (!s.failureLogged) {
            s.failureLogged = true;
            String flow = AuditLog.format("flow", proto, src, dst, mapped, s.label, reason).toString();
            String msg = "plugin " + s.label + " failed deciding a new flow, which is rejected (fail-closed): " + flow
                    + "; later failures of this plugin are only counted (plugin." + s.label + ".errors) and audited";
            if (e == null) {
                log.error(msg);
            } else {
                log.error(msg, e);
            }
        }
        audit.record("REJECT", proto, src, dst, mapped, s.label, reason);
        return GateDecision.reject(s.label, reason);
    }

    /** One stage's counters; {@code framesDropped} is -1 for a filter without a frame hook. */
    public record StageStats(String label, long accepted, long rejected, long dropped, long errors,
                             long framesDropped) {
    }

    /** The stages' counters in chain order (for the control socket). Safe from any thread (values may lag). */
    public List<StageStats> stageStats() {
        List<StageStats> out = new ArrayList<>(stages.length);
        for (Stage s : stages) {
            out.add(new StageStats(s.label, s.accepted.value(), s.rejected.value(), s.dropped.value(),
                    s.errors.value(), s.framesDropped != null ? s.framesDropped.value() : -1));
        }
        return out;
    }

    /** Flows no filter decided ({@code chain.undecided}). */
    public long undecided() {
        return undecided.value();
    }

    /** Audit lines the rate limit held back so far. */
    public long auditSuppressed() {
        return audit.suppressedTotal();
    }

    /**
     * Also hands every audit line written to {@code l}, as data, on the event
     * loop (the control socket's audit stream and {@code --audit-log}).
     */
    public void setAuditListener(AuditEvent.Listener l) {
        audit.listener(l);
    }

    /**
     * One line for the exit report and {@code --stats-interval}, e.g.
     * {@code plugins: deny-port accepted=0 rejected=3 dropped=0 errors=0; undecided=12; audit lines suppressed=0}.
     * Safe from any thread (counters may lag slightly).
     */
    public String summary() {
        StringBuilder sb = new StringBuilder("plugins:");
        if (stages.length == 0) {
            sb.append(" none;");
        }
        for (Stage s : stages) {
            sb.append(' ').append(s.label)
                    .append(" accepted=").append(s.accepted.value())
                    .append(" rejected=").append(s.rejected.value())
                    .append(" dropped=").append(s.dropped.value())
                    .append(" errors=").append(s.errors.value());
            if (s.framesDropped != null) {
                sb.append(" frames-dropped=").append(s.framesDropped.value());
            }
            sb.append(';');
        }
        sb.append(" undecided=").append(undecided.value())
                .append("; audit lines suppressed=").append(audit.suppressedTotal());
        return sb.toString();
    }

    /**
     * Closes the filters (last first) and writes what the audit rate limit
     * still held back. Call once the event loop no longer calls {@link #decide}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = stages.length - 1; i >= 0; i--) {
            closeQuietly(stages[i]);
        }
        audit.flush();
    }

    private static void closeQuietly(Stage s) {
        Thread t = Thread.currentThread();
        ClassLoader saved = t.getContextClassLoader();
        t.setContextClassLoader(s.loader);
        try {
            s.filter.close();
        } catch (RuntimeException | LinkageError e) {
            log.warn("plugin {} failed to close: {}", s.label, e.toString());
        } finally {
            t.setContextClassLoader(saved);
        }
    }
}
