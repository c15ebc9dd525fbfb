package dev.sluice.core.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bad option or value: exit status 2 and one line naming the option. */
class OptionErrorsTest {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "--mtu|70000|--mtu",
        "-m|abc|--mtu",
        "-m|100|--mtu",
        "--address|10.0.0.300|--address",
        "-a|not-an-address|--address",
        "-a|224.0.0.1|--address",
        "-a|::1|--address",
        "--netmask|33|--netmask",
        "-n|255.0.255.0|--netmask",
        "-n|fe80::1|--netmask",
        "--gateway|banana|--gateway",
        "-M|9a:55:9a:55:9a|--mac-addr",
        "-M|01:00:5e:00:00:01|--mac-addr",
        "-M|zz:55:9a:55:9a:55|--mac-addr",
        "--dns|1.2.3|--dns",
        "--search|bad..domain|--search",
        "-I|this-name-is-far-too-long|--ns-ifname",
        "-i|a/b|--interface",
        "--no-such-option|x|--no-such-option",
        "-p|/nonexistent-dir-xyz/cap.pcap|--pcap",
        "-s|/nonexistent-dir-xyz/s.socket|--socket",
        "--control|/nonexistent-dir-xyz/c.ctl|--control",
        "--audit-log|/nonexistent-dir-xyz/audit.jsonl|--audit-log",
        "--metrics-listen|localhost:9464|--metrics-listen",
        "--metrics-listen|127.0.0.1|--metrics-listen",
        "--metrics-listen|127.0.0.1:0|--metrics-listen",
        "--metrics-listen|::1:9464|--metrics-listen",
    })
    void badValueExitsTwoNamingTheOption(String option, String value, String named) {
        assertBad(named, option, value);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "-4 -6|-4 and -6",
        "-a 10.0.0.1 -a 10.0.0.2|--address",
        "-g 10.0.0.1 -g 10.0.0.2|--gateway",
        "--netns ns1 --socket /tmp/x.sock|--netns",
        "--vhost-user --netns ns1|--vhost-user",
        "--config-net|--config-net",
        "-I tap0|--ns-ifname",
        "--mtu|--mtu",
        "flows --proto sctp|--proto",
        "audit|--follow",
        "status --bogus|--bogus",
    })
    void badCombinationsExitTwo(String args, String named) {
        assertBad(named, args.split(" "));
    }

    private static void assertBad(String named, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = SluiceCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cl.execute(args);
        String msg = err.toString().trim();
        assertEquals(2, exit, "exit status for " + String.join(" ", args) + ": " + msg);
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        assertTrue(msg.startsWith("sluice: "), msg);
        assertTrue(msg.contains(named), "message names " + named + ": " + msg);
    }
}
