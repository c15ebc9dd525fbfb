package dev.sluice.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PluginSpecTest {
    /** spec | name | options rendered as k=v;k=v ('-' for none). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "deny-port                              | deny-port   | -",
        "deny-port:ports=22                     | deny-port   | ports=22",
        "deny-port:ports=22,2222                | deny-port   | ports=22,2222",
        "deny-port:ports=22,2222,mode=drop      | deny-port   | ports=22,2222;mode=drop",
        "deny-port:mode=drop,ports=22,80,443    | deny-port   | mode=drop;ports=22,80,443",
        "outbound-if:source=fd00::1,dev=eth0    | outbound-if | source=fd00::1;dev=eth0",
        "x:key=                                 | x           | key=",
        "x:k=a=b,c                              | x           | k=a=b,c",
        "no-map-host                            | no-map-host | -",
        "a.b_c-9:K.e_y-1=v                      | a.b_c-9     | K.e_y-1=v",
        "outbound-if:10.99.0.0/24=dum0,default4=eth0          | outbound-if | 10.99.0.0/24=dum0;default4=eth0",
        "outbound-if:fd99::/64=dum0@fd66::1,10.9.0.1=e@10.6.0.1 | outbound-if | fd99::/64=dum0@fd66::1;10.9.0.1=e@10.6.0.1",
        "outbound-if:::1=lo                     | outbound-if | ::1=lo",
    })
    void parses(String spec, String name, String options) {
        PluginSpec p = PluginSpec.parse(spec);
        assertEquals(name, p.name());
        Map<String, String> expected = new LinkedHashMap<>();
        if (!options.equals("-")) {
            for (String kv : options.split(";")) {
                int eq = kv.indexOf('=');
                expected.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        assertEquals(expected, p.options());
        assertEquals(p, PluginSpec.parse(p.toString()));
    }

    /** spec | the message's tail after 'invalid --plugin "SPEC": '. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        ":ports=22                | the plugin name is missing before ':'",
        "Deny-Port                | \"Deny-Port\" is not a plugin name (lowercase letters, digits, '.', '_', '-')",
        "deny port                | \"deny port\" is not a plugin name (lowercase letters, digits, '.', '_', '-')",
        "deny-port:               | nothing after ':' (drop the ':' or give KEY=VALUE options)",
        "deny-port:22             | expected KEY=VALUE, got \"22\"",
        "deny-port:=22            | option without a name in \"=22\"",
        "deny-port:ports=22,,80   | empty option between commas",
        "deny-port:ports=22,      | empty option between commas",
        "deny-port:a=1,a=2        | option \"a\" is given twice",
        "deny-port:p o=1          | \"p o\" is not an option name (letters, digits, '.', '_', '-', ':', '/')",
        "deny-port:/24=x          | \"/24\" is not an option name (letters, digits, '.', '_', '-', ':', '/')",
    })
    void rejects(String spec, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PluginSpec.parse(spec));
        assertEquals("invalid --plugin \"" + spec + "\": " + why, e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void rejectsEmpty() {
        assertThrows(IllegalArgumentException.class, () -> PluginSpec.parse(""));
        assertThrows(IllegalArgumentException.class, () -> PluginSpec.parse(null));
    }
}
