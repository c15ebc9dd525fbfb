package dev.sluice.plugins.outboundif;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleTest {

    /** key | target | canonical text. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.99.0.0/24 | dum0              | 10.99.0.0/24=dum0",
        "10.99.0.0/24 | dum0@10.66.0.1    | 10.99.0.0/24=dum0@10.66.0.1",
        "10.99.0.0/24 | ' dum0 @ 10.66.0.1 ' | 10.99.0.0/24=dum0@10.66.0.1",
        "10.99.0.0/24 | @10.66.0.1        | 10.99.0.0/24=@10.66.0.1",
        "10.99.0.7    | -                 | 10.99.0.7/32=-",
        "fd99::/64    | dum0@fd66:0::1    | fd99::/64=dum0@fd66::1",
        "fd99::1      | eth0.100          | fd99::1/128=eth0.100",
        "default4     | eth0              | default4=eth0",
        "default6     | eth0@fd77::1      | default6=eth0@fd77::1",
        "default6     | -                 | default6=-",
    })
    void parses(String key, String target, String text) {
        Rule r = Rule.parse(key, target, "option \"" + key + "\"");
        assertEquals(text, r.text());
        assertEquals("option \"" + key + "\"", r.origin());
    }

    /** key | target | message after 'here: '. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "10.99.0.0/24 | ``                  | `\"10.99.0.0/24=\" needs IFACE, IFACE@SOURCE, @SOURCE or -`",
        "10.99.0.0/24 | dum0@               | no source address after '@'",
        "10.99.0.0/24 | dum0@fd66::1        | source fd66::1 is not of the family of 10.99.0.0/24",
        "default6     | eth0@10.77.0.1      | source 10.77.0.1 is not of the family of default6",
        "10.99.0.0/24 | dum0@224.0.0.1      | source 224.0.0.1 is not a usable source address",
        "10.99.0.0/24 | dum0@0.0.0.0        | source 0.0.0.0 is not a usable source address",
        "10.99.0.0/24 | dum0@255.255.255.255 | source 255.255.255.255 is not a usable source address",
        "10.99.0.0/24 | dum0@host.example   | `\"host.example\" is not an IP address`",
        "10.99.0.0/24 | dum0,eth1           | `\"dum0,eth1\" is not an interface name`",
        "10.99.0.0/24 | sixteen-bytes-xx   | `\"sixteen-bytes-xx\" is not an interface name`",
        "10.99.0.0/24 | a b                 | `\"a b\" is not an interface name`",
        "10.99.0.0/24 | eth0:1              | `\"eth0:1\" is not an interface name`",
        "10.99.0.0/24 | ..                  | `\"..\" is not an interface name`",
        "10.99.0.1/24 | dum0                | `\"10.99.0.1/24\" has host bits set (the network is 10.99.0.0/24)`",
    })
    void rejects(String key, String target, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rule.parse(key, target, "here"));
        assertEquals("here: " + message, e.getMessage());
    }

    @Test
    void ruleKeysAreAddressesPrefixesAndDefaults() {
        for (String k : new String[] {"10.99.0.0/24", "10.99.0.1", "fd99::/64", "::1", "default4", "default6", "10"}) {
            assertTrue(Rule.isRuleKey(k), k);
        }
        for (String k : new String[] {"file", "fallback", "default", "eth0", "dev"}) {
            assertFalse(Rule.isRuleKey(k), k);
        }
    }

    @Test
    void readsAFileWithCommentsAndBlankLines(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rules.txt");
        Files.writeString(f, String.join("\n",
                "# uplinks for the lab",
                "",
                "10.99.0.0/24=dum0        # via the second uplink",
                "  fd99::/64 = dum0@fd66::1",
                "\t10.99.0.7 = -",
                "default4=eth0#no space before the comment",
                "   # indented comment",
                ""), StandardCharsets.UTF_8);
        List<Rule> rules = Rule.readFile(f);
        assertEquals(List.of("10.99.0.0/24=dum0", "fd99::/64=dum0@fd66::1", "10.99.0.7/32=-", "default4=eth0"),
                rules.stream().map(Rule::text).toList());
        assertEquals(f + " line 3", rules.get(0).origin());
        assertEquals(f + " line 6", rules.get(3).origin());
    }

    @Test
    void fileErrorsNameTheLine(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("rules.txt");
        Files.writeString(f, "# ok\n10.99.0.0/24=dum0\n10.99.0.0/33=dum0\n");
        assertEquals(f + " line 3: \"10.99.0.0/33\": prefix length 33 is not between 0 and 32",
                assertThrows(IllegalArgumentException.class, () -> Rule.readFile(f)).getMessage());
        Files.writeString(f, "10.99.0.0/24 dum0\n");
        assertEquals(f + " line 1: expected PREFIX=TARGET, got \"10.99.0.0/24 dum0\"",
                assertThrows(IllegalArgumentException.class, () -> Rule.readFile(f)).getMessage());
        Files.writeString(f, "fallback=route\n");
        assertEquals(f + " line 1: \"fallback\" is not a prefix, address, default4 or default6",
                assertThrows(IllegalArgumentException.class, () -> Rule.readFile(f)).getMessage());
        Path missing = dir.resolve("nope.txt");
        assertEquals("option \"file\": cannot read " + missing + ": no such file",
                assertThrows(IllegalArgumentException.class, () -> Rule.readFile(missing)).getMessage());
        Files.write(f, new byte[] {'1', '0', '.', (byte) 0xff, '\n'});
        assertEquals("option \"file\": " + f + " is not UTF-8 text",
                assertThrows(IllegalArgumentException.class, () -> Rule.readFile(f)).getMessage());
    }
}
