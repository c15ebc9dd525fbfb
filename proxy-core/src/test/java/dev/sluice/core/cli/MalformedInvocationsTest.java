package dev.sluice.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Malformed invocations through the CLI entry point: each exits 2 with exactly
 * one line that names the option, and no stack trace. The ones that fail only
 * at run time (exit 1) are in the distribution's MalformedInvocationsIT.
 * {@code {tmp}} stands for a fresh directory holding a regular file {@code file}
 * and a directory {@code dir}.
 */
class MalformedInvocationsTest {
    @TempDir
    static Path tmp;

    static Stream<Arguments> invocations() {
        return Stream.of(
            // option files and unknown options
            row("@{tmp}/missing.args", "cannot read option file"),
            row("@{tmp}/dir", "cannot read option file"),
            row("--bogus", "--bogus"),
            row("-Z", "-Z"),
            row("extra-positional", "extra-positional"),
            // files Sluice would create or replace
            row("-s {tmp}/file", "is not a socket"),
            row("--socket {tmp}/dir", "is not a socket"),
            row("-s /nonexistent-dir-xyz/s.sock", "--socket"),
            row("-s /tmp/" + "x".repeat(110) + ".sock", "107 bytes"),
            row("-P /nonexistent-dir-xyz/pid", "--pid"),
            row("--pid {tmp}/dir", "--pid"),
            row("-l /nonexistent-dir-xyz/log", "--log-file"),
            row("--log-file {tmp}/dir", "--log-file"),
            row("-p /nonexistent-dir-xyz/x.pcap", "--pcap"),
            row("--plugin-dir {tmp}/file", "--plugin-dir"),
            row("--plugin-dir /nonexistent-dir-xyz", "--plugin-dir"),
            // values
            row("-m 575", "--mtu"),
            row("--mtu 65521", "--mtu"),
            row("-m 1e3", "--mtu"),
            row("-a 300.1.1.1", "--address"),
            row("-a 0.0.0.0", "--address"),
            row("-a ff02::1", "--address"),
            row("-a fe80::1", "--address"),
            row("-n 0.255.0.0", "--netmask"),
            row("-n -1", "--netmask"),
            row("-g not-an-ip", "--gateway"),
            row("-M 00:11:22:33:44", "--mac-addr"),
            row("-M ff:ff:ff:ff:ff:ff", "--mac-addr"),
            row("-D 10.0.0", "--dns"),
            row("-S -bad-", "--search"),
            row("-t 70000", "--tcp-ports"),
            // pasta's namespace-side forwards and --userns (sluice: tap mode needs --netns)
            row("-U 53", "--udp-ns"),
            row("--netns n -U 0", "--udp-ns"),
            row("--netns n --udp-ns auto,53", "--udp-ns"),
            row("--userns /proc/1/ns/user", "--userns"),
            row("-t 22:", "--tcp-ports"),
            row("-u abc", "--udp-ports"),
            row("-u 10-5", "--udp-ports"),
            row("--max-flows 0", "--max-flows"),
            row("--max-flows -5", "--max-flows"),
            row("--stats-interval x", "--stats-interval"),
            row("--map-host-loopback 999.1.1.1", "--map-host-loopback"),
            row("--map-guest-addr nope", "--map-guest-addr"),
            row("--dns-forward 1.2.3.4.5", "--dns-forward"),
            row("--plugin :x", "--plugin"),
            row("--runas no-such-user-xyz", "--runas"),
            row("--runas root:no-such-group-xyz", "--runas"),
            row("--runas 1:", "--runas"),
            row("-i bad/name", "--interface"),
            row("--outbound-if4 a:b", "--outbound-if4"),
            row("-o 10.0.0.1 -o 10.0.0.2", "--outbound"),
            // combinations and missing values
            row("-4 -6", "-4 and -6"),
            row("--netns x -1", "--netns"),
            row("--config-net", "--config-net"),
            row("--netns", "--netns"),
            row("-s", "--socket"),
            row("-a 10.0.0.1 -a 10.0.0.2", "--address"));
    }

    private static Arguments row(String args, String named) {
        return Arguments.of(args, named);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invocations")
    void exitsTwoWithOneLineNamingTheProblem(String args, String named) throws Exception {
        Files.writeString(tmp.resolve("file"), "the operator's data\n");
        Files.createDirectories(tmp.resolve("dir"));
        String[] argv = args.replace("{tmp}", tmp.toString()).split(" ");
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CommandLine cl = SluiceCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(out, true));
        int exit = SluiceCommand.execute(cl, argv);
        String msg = err.toString().trim();
        assertEquals(2, exit, args + ": " + msg);
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        assertTrue(msg.startsWith("sluice: ") && msg.contains(named), "names " + named + ": " + msg);
        assertFalse(msg.contains("Exception") || msg.contains("at dev.") || msg.contains("at picocli"), msg);
        assertEquals("", out.toString());
        // nothing of the operator's touched
        assertEquals("the operator's data\n", Files.readString(tmp.resolve("file")));
        assertTrue(Files.isDirectory(tmp.resolve("dir")));
    }
}
