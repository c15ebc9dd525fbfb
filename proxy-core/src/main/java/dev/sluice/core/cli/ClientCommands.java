package dev.sluice.core.cli;

import dev.sluice.core.control.ControlClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The client subcommands of {@code sluice}: they ask a running instance over
 * its control socket (docs/operations.md) and print the answer. Without
 * {@code --control} the instance is found in the default directory
 * ({@code /run/sluice} for root, else {@code $XDG_RUNTIME_DIR/sluice}).
 */
final class ClientCommands {
    private ClientCommands() {
    }

    /** Adds the subcommands; call before any setting that should reach them. */
    static void addTo(CommandLine cl) {
        cl.addSubcommand(new Status());
        cl.addSubcommand(new Flows());
        cl.addSubcommand(new Audit());
        cl.addSubcommand(new Metrics());
    }

    /** What every client subcommand takes. */
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--control", paramLabel = "PATH",
                description = "The instance's control socket (default: the only one running in /run/sluice, "
                        + "or $XDG_RUNTIME_DIR/sluice for other users)")
        Path control;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
        boolean help;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract String request();

        @Override
        public Integer call() {
            PrintStream out = System.out;
            return ControlClient.run(control, request(), out, spec.commandLine().getErr());
        }
    }

    @Command(name = "status", sortOptions = false,
            description = "Show a running instance: version, uptime, link, the guest's MAC and addresses, "
                    + "flow counts, the plugin chain's counters and the L2 drop counters.")
    static final class Status extends Base {
        @Option(names = "--json", description = "One JSON object instead of text")
        boolean json;

        @Override
        String request() {
            return "status" + (json ? " json" : "");
        }
    }

    /** The protocols {@code --proto} takes. */
    enum Proto { tcp, udp, icmp }

    @Command(name = "flows", sortOptions = false,
            description = "List a running instance's live flows: guest side, destination, mapped destination, "
                    + "host socket, state, bytes each way, age, the plugin that decided and the verdict.")
    static final class Flows extends Base {
        @Option(names = "--proto", paramLabel = "tcp|udp|icmp", description = "Only this protocol (icmp includes ICMPv6)")
        Proto proto;

        @Option(names = "--json", description = "One JSON object per flow and line instead of a table")
        boolean json;

        @Override
        String request() {
            return "flows" + (proto != null ? " " + proto : "") + (json ? " json" : "");
        }
    }

    @Command(name = "audit", sortOptions = false,
            description = "Follow a running instance's audit stream: every refused flow or frame "
                    + "(time, action, protocol, addresses, plugin, reason), as the sluice.audit log writes it.")
    static final class Audit extends Base {
        @Option(names = {"-f", "--follow"}, required = true,
                description = "Print events as they happen, until the instance stops or SIGINT "
                        + "(required: the control socket keeps no history; see --audit-log)")
        boolean follow;

        @Option(names = "--json", description = "JSON lines, as --audit-log writes them")
        boolean json;

        @Override
        String request() {
            return "audit follow" + (json ? " json" : "");
        }
    }

    @Command(name = "metrics", sortOptions = false,
            description = "Print a running instance's counters in the Prometheus text exposition format.")
    static final class Metrics extends Base {
        @Override
        String request() {
            return "metrics";
        }
    }
}
