package dev.sluice.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginOptionsTest {
    enum Mode { REJECT, DROP }

    private static PluginOptions opts(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return PluginOptions.of(m);
    }

    @Test
    void unknownKeysAreNamedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> opts("prots", "22").requireKnown("ports", "mode"));
        assertEquals("unknown option \"prots\" (known options: mode, ports)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> opts("x", "1").requireKnown());
        assertEquals("unknown option \"x\": this plugin takes no options", e.getMessage());
        opts("ports", "22").requireKnown("ports", "mode");
    }

    @Test
    void typedGetters() {
        PluginOptions o = opts("n", "42", "b", "Yes", "mode", "Drop", "ports", "22, 2222", "bad", "x");
        assertEquals(42, o.getInt("n", 0, 0, 100));
        assertEquals(7, o.getInt("absent", 7, 0, 100));
        assertTrue(o.getBoolean("b", false));
        assertFalse(o.getBoolean("absent", false));
        assertEquals(Mode.DROP, o.getEnum("mode", Mode.class, Mode.REJECT));
        assertEquals(List.of("22", "2222"), o.getList("ports"));
        assertEquals(List.of(), o.getList("absent"));
        assertEquals("option \"bad\": \"x\" is not a number",
                assertThrows(IllegalArgumentException.class, () -> o.getInt("bad", 0, 0, 9)).getMessage());
        assertEquals("option \"n\": 42 is not between 0 and 9",
                assertThrows(IllegalArgumentException.class, () -> o.getInt("n", 0, 0, 9)).getMessage());
        assertEquals("option \"bad\": \"x\" is not one of drop, reject",
                assertThrows(IllegalArgumentException.class, () -> o.getEnum("bad", Mode.class, null)).getMessage());
        assertEquals("option \"bad\": \"x\" is not true or false",
                assertThrows(IllegalArgumentException.class, () -> o.getBoolean("bad", false)).getMessage());
        assertEquals("option \"absent\" is required",
                assertThrows(IllegalArgumentException.class, () -> o.require("absent")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> opts("l", "1,,2").getList("l"));
    }

    @Test
    void keepsOrderAndIsImmutable() {
        PluginOptions o = opts("b", "1", "a", "2");
        assertEquals(List.of("b", "a"), List.copyOf(o.asMap().keySet()));
        assertEquals("b=1,a=2", o.toString());
        assertThrows(UnsupportedOperationException.class, () -> o.asMap().put("c", "3"));
    }
}
