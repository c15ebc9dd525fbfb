package dev.sluice.core.plugin;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.HostAddress;
import dev.sluice.api.PortForward;
import dev.sluice.api.Protocol;
import dev.sluice.api.Verdict;
import dev.sluice.core.Counters;
import dev.sluice.core.GuestConfig;
import dev.sluice.core.GuestState;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.Function;

/** Shared fixtures for the plugin tests. */
final class TestEnv {
    private TestEnv() {
    }

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress sa(String ip, int port) {
        return new InetSocketAddress(ip(ip), port);
    }

    static GuestConfig guestConfig() {
        return new GuestConfig(GuestConfig.DEFAULT_OUR_MAC, 0, GuestConfig.DEFAULT_MTU,
                true, (Inet4Address) ip("10.77.0.50"), 24, (Inet4Address) ip("10.77.0.254"), List.of(),
                true, (Inet6Address) ip("fd77::50"), 64, (Inet6Address) ip("fd77::fe"), (Inet6Address) ip("fe80::1"),
                List.of(), List.of(), true, true, true, true);
    }

    static PluginEnvironment env(Counters counters) {
        LiveHostView host = new LiveHostView(List.of(new HostAddress("eth0", 2, ip("10.77.0.1"), 24)), null);
        return new PluginEnvironment(host, guestConfig(), new GuestState(0x0a0b0c0d0e0fL), counters, "test-1",
                List.of(new PortForward(Protocol.TCP, null, 2222)));
    }

    /** A provider whose filters apply {@code decide} and record whether they were closed. */
    static final class Fixed implements FlowFilterProvider {
        final String name;
        final Function<FlowAttempt, Verdict> decide;
        int closed;
        FilterContext lastContext;

        Fixed(String name, Function<FlowAttempt, Verdict> decide) {
            this.name = name;
            this.decide = decide;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "test filter " + name;
        }

        @Override
        public FlowFilter create(FilterContext context) {
            lastContext = context;
            context.options().requireKnown("k");
            return new FlowFilter() {
                @Override
                public Verdict decide(FlowAttempt flow) {
                    return decide.apply(flow);
                }

                @Override
                public void close() {
                    closed++;
                }
            };
        }
    }

    /** A provider whose filters continue every flow and answer the frame hook with {@code accept}. */
    static final class Frames implements FlowFilterProvider {
        final String name;
        final java.util.function.LongPredicate accept;
        FilterContext lastContext;
        int calls;

        Frames(String name, java.util.function.LongPredicate accept) {
            this.name = name;
            this.accept = accept;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "test frame filter " + name;
        }

        /** The filter: a FlowFilter that is also a GuestFrameFilter. */
        final class Filter implements FlowFilter, dev.sluice.api.GuestFrameFilter {
            @Override
            public Verdict decide(FlowAttempt flow) {
                return Verdict.CONTINUE;
            }

            @Override
            public boolean acceptSourceMac(long sourceMac) {
                calls++;
                return accept.test(sourceMac);
            }

            @Override
            public String sourceMacDropReason(long sourceMac) {
                return name + " refuses " + dev.sluice.api.GuestView.formatMac(sourceMac);
            }
        }

        @Override
        public FlowFilter create(FilterContext context) {
            lastContext = context;
            return new Filter();
        }
    }
}
