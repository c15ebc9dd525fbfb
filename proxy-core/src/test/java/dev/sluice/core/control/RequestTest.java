package dev.sluice.core.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestTest {
    @Test
    void theFourRequests() {
        assertEquals(new Request(Request.Kind.STATUS, null, false), Request.parse("status"));
        assertEquals(new Request(Request.Kind.STATUS, null, true), Request.parse("status json"));
        assertEquals(new Request(Request.Kind.FLOWS, null, false), Request.parse("flows"));
        assertEquals(new Request(Request.Kind.FLOWS, "udp", true), Request.parse("flows udp json"));
        assertEquals(new Request(Request.Kind.FLOWS, "icmp", false), Request.parse("  flows   icmp "));
        assertEquals(new Request(Request.Kind.AUDIT, null, true), Request.parse("audit follow json"));
        assertEquals(new Request(Request.Kind.METRICS, null, false), Request.parse("metrics"));
    }

    @Test
    void lineIsTheInverseOfParse() {
        for (String l : new String[] {"status", "status json", "flows", "flows tcp", "flows tcp json",
            "audit follow", "audit follow json", "metrics"}) {
            assertEquals(l, Request.parse(l).line());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "STATUS", "status now", "flows sctp", "flows tcp udp", "audit", "audit json",
        "metrics json", "json", "status\u0000", "flows t\u00e9p", "GET /metrics HTTP/1.1"})
    void anythingElseIsOneErrorMessage(String line) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Request.parse(line));
        assertTrue(e.getMessage().contains(Request.USAGE), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
