package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** --runas parsing through libc's passwd/group lookups, and the /proc status check. The switch itself: PrivilegesIT. */
class PrivilegesTest {

    @Test
    void numericAndNamedUsers() {
        assertEquals(new Privileges.Ids(0, 0), Privileges.parseRunAs("root"));
        assertEquals(new Privileges.Ids(0, 0), Privileges.parseRunAs("0"));
        assertEquals(new Privileges.Ids(1234, 5678), Privileges.parseRunAs("1234:5678"));
        assertEquals(new Privileges.Ids(4321, 4321), Privileges.parseRunAs("4321")); // no passwd entry: gid = uid
        assertEquals(Privileges.parseRunAs("nobody"), Privileges.nobody());
        assertEquals(0, Privileges.parseRunAs("nobody:root").gid());
    }

    @Test
    void badSpecsNameTheProblem() {
        for (String bad : new String[] {"", ":", "root:", ":0", "no-such-user-xyz", "root:no-such-group-xyz",
            "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Privileges.parseRunAs(bad), bad);
            assertNotNull(e.getMessage());
        }
    }

    @Test
    void initialUserNamespaceIsTheIdentityMap() throws Exception {
        assertTrue(Privileges.isIdentityMap("         0          0 4294967295\n"));
        assertFalse(Privileges.isIdentityMap("         0       1000          1\n"));
        assertFalse(Privileges.isIdentityMap("0 0 4294967295\n1 1 1\n"));
        assertFalse(Privileges.isIdentityMap(""));
        assertTrue(Privileges.inInitialUserNamespace(), "the test JVM runs in the initial user namespace");
    }

    @Test
    void statusCheck() {
        Privileges.Ids nobody = new Privileges.Ids(65534, 65534);
        List<String> good = List.of("Uid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t65534\t65534\t65534",
                "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000");
        assertNull(Privileges.wrong(good, nobody));
        assertNotNull(Privileges.wrong(List.of("Uid:\t65534\t65534\t0\t65534"), nobody));
        assertNotNull(Privileges.wrong(List.of("Gid:\t0\t65534\t65534\t65534"), nobody));
        assertNotNull(Privileges.wrong(List.of("CapEff:\t000001fffeffffff"), nobody));
        assertNull(Privileges.wrong(List.of("Uid:\t0\t0\t0\t0", "CapEff:\t000001fffeffffff"), new Privileges.Ids(0, 0)));
    }
}
