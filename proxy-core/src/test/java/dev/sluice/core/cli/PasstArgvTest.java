package dev.sluice.core.cli;

import dev.sluice.core.RunConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command lines libvirt and Podman really build for passt and pasta are accepted with
 * passt's meaning; the passt options Sluice lacks are named, exit 1.
 */
class PasstArgvTest {
    @AfterEach
    void clear() {
        System.clearProperty("sluice.invokedAs");
    }

    /** name, then argv as the client builds it (paths moved under /tmp, which exists here). */
    static Stream<String> argvs() {
        return Stream.of(
            // containers/common libnetwork/pasta, default network
            "pasta --config-net --dns-forward 169.254.1.1 -t none -u none -T none -U none --no-map-gw --quiet "
                + "--map-guest-addr 169.254.1.2 --pid /tmp/pasta.pid --netns /run/user/1000/netns/netns-4f2a",
            // the same with -p 8080:80 and -d
            "pasta --config-net -t 8080-8080:80-80 --dns-forward 169.254.1.1 -u none -T none -U none --no-map-gw "
                + "--debug --map-guest-addr 169.254.1.2 --pid /tmp/pasta.pid --netns /run/netns/netns-1",
            // an older Podman: no --map-guest-addr, no --pid
            "pasta --config-net -t none -u none -T none -U none --no-map-gw --netns /run/netns/n2",
            // containers/common libnetwork/pasta before --dns-forward: -p 8080:80, "--dns none"
            "pasta --config-net -t 8080-8080:80-80 -u none -T none -U none --no-map-gw --dns none --quiet "
                + "--netns /run/netns/n3",
            // libvirt 9.0 qemu_passt.c exactly (LibvirtIT): no --pid, libvirt writes the pid file itself
            "passt --one-off --socket /tmp/passt-vm0.socket --mac-addr 52:54:00:5a:11:01 "
                + "--log-file /tmp/passt-vm0.log --tcp-ports 2222:22",
            // later libvirt: --pid
            "passt --one-off --socket /tmp/passt-vm1.socket --pid /tmp/passt-vm1.pid --mac-addr 52:54:00:12:34:56 "
                + "--mtu 1500 --interface eth0 --log-file /tmp/passt-vm1.log --address 10.77.0.5 --netmask 24 "
                + "--tcp-ports 2222:22 --udp-ports 5353",
            // libvirt's current qemu_passt.c adds the guest's names
            "passt --one-off --socket /tmp/passt-vm2.socket --pid /tmp/passt-vm2.pid --hostname vm2 "
                + "--fqdn vm2.example.test --address 10.77.0.6 --address fd77::6 --tcp-ports 80,443 -f",
            // libvirt with <interface type='vhostuser'><backend type='passt'/>
            "passt --vhost-user --one-off --socket /tmp/passt-vm3.socket --pid /tmp/passt-vm3.pid --mtu 65520",
            // the PID form
            "pasta --config-net -T 5432 4242",
            // rootless: a user and network namespace joined from outside, UDP forwards too
            "pasta --config-net -U 10053:53,5353 -T none --userns /proc/4343/ns/user --netns /proc/4343/ns/net",
            "pasta --config-net -u none -U 5353 4444");
    }

    @ParameterizedTest
    @MethodSource("argvs")
    void clientsArgvIsAccepted(String line) {
        String[] words = line.split(" ");
        System.setProperty("sluice.invokedAs", words[0]);
        CommandLine cl = SluiceCommand.commandLine();
        String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);
        cl.parseArgs(args);
        SluiceCommand c = cl.getCommand();
        RunConfig rc = c.validate();
        if (words[0].equals("pasta")) {
            assertTrue(rc.tapMode(), line);
            assertEquals(!line.contains(" -f"), rc.compat().background(), line);
        } else {
            assertFalse(rc.tapMode(), line);
            assertEquals(!line.endsWith(" -f"), rc.compat().background(), line);
        }
        if (line.contains("--hostname vm2")) {
            assertEquals("vm2", rc.compat().hostname());
            assertEquals("vm2.example.test", rc.compat().fqdn());
        }
        if (line.contains("--vhost-user")) {
            assertTrue(rc.vhostUser(), line);
        }
        if (line.endsWith(" 4242")) {
            assertEquals("/proc/4242/ns/net", rc.netns());
        }
        if (line.contains("--userns")) {
            assertEquals("/proc/4343/ns/user", rc.compat().userns());
            assertEquals(53, rc.compat().udpNsForwards().get(0).guestPort(10053));
        }
        if (line.endsWith(" 4444")) {
            assertEquals("/proc/4444/ns/net", rc.netns());
            assertEquals(5353, rc.compat().udpNsForwards().get(0).guestPort(5353));
        }
    }

    static Stream<String> unsupported() {
        return PasstOptions.UNSUPPORTED.stream().sorted();
    }

    @ParameterizedTest
    @MethodSource("unsupported")
    void passtOptionSluiceLacksIsNamedAndExitsOne(String option) {
        System.setProperty("sluice.invokedAs", "passt");
        StringWriter err = new StringWriter();
        CommandLine cl = SluiceCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cl.execute(option, "x");
        String msg = err.toString().trim();
        assertEquals(1, exit, msg);
        assertEquals(1, msg.lines().count(), msg);
        assertEquals("passt: passt option '" + option + "' is not supported by Sluice", msg);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--netns n 123", "--netns n -U auto,53", "--netns n -T 0"})
    void pastaFormsSluiceLacksAreUsageErrors(String line) {
        System.setProperty("sluice.invokedAs", "pasta");
        StringWriter err = new StringWriter();
        CommandLine cl = SluiceCommand.commandLine();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cl.execute(line.split(" "));
        String msg = err.toString().trim();
        assertEquals(2, exit, msg);
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.startsWith("pasta: "), msg);
    }
}
