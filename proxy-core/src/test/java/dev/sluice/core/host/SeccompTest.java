package dev.sluice.core.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The filter's decisions, run through a small classic-BPF interpreter (the
 * subset the filter uses). Installing it is shown by PrivilegesIT on a running
 * instance: a test JVM that installed it could not build namespaces any more.
 */
class SeccompTest {
    private static final int ALLOW = Seccomp.RET_ALLOW;
    private static final int EPERM = Seccomp.RET_ERRNO | Seccomp.EPERM;

    @Test
    void everyDeniedCallIsRefusedWithEperm() {
        for (int nr : Seccomp.DENIED) {
            assertEquals(EPERM, run(Seccomp.AUDIT_ARCH_X86_64, nr, 0), "syscall " + nr);
        }
    }

    @Test
    void ordinaryCallsPass() {
        // read, write, openat, socket, connect, accept4, epoll_wait, futex, mmap, exit_group, sendmsg
        for (int nr : new int[] {0, 1, 257, 41, 42, 288, 232, 202, 9, 231, 46}) {
            assertEquals(ALLOW, run(Seccomp.AUDIT_ARCH_X86_64, nr, 0), "syscall " + nr);
        }
    }

    @Test
    void cloneForThreadsPassesCloneIntoNamespacesDoesNot() {
        int thread = 0x003d0f00; // glibc's pthread_create flags
        assertEquals(ALLOW, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.SYS_CLONE, thread));
        assertEquals(ALLOW, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.SYS_CLONE, 0x4111)); // vfork-style spawn
        assertEquals(EPERM, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.SYS_CLONE, 0x10000000 | 17)); // NEWUSER
        assertEquals(EPERM, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.SYS_CLONE, 0x40000000 | 17)); // NEWNET
        assertEquals(Seccomp.RET_ERRNO | Seccomp.ENOSYS, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.SYS_CLONE3, 0));
    }

    @Test
    void otherArchitecturesAndX32AreRefused() {
        assertEquals(Seccomp.RET_KILL_PROCESS, run(0x40000003, 1, 0)); // i386
        assertEquals(EPERM, run(Seccomp.AUDIT_ARCH_X86_64, Seccomp.X32_SYSCALL_BIT | 1, 0));
    }

    /** Runs the program over a struct seccomp_data {nr, arch, ip, args[6]}. */
    private static int run(int arch, int nr, long arg0) {
        ByteBuffer data = ByteBuffer.allocate(64).order(java.nio.ByteOrder.nativeOrder());
        data.putInt(0, nr).putInt(4, arch).putLong(16, arg0);
        ByteBuffer p = Seccomp.program();
        int pc = 0;
        int a = 0;
        for (int steps = 0; steps < 1000; steps++) {
            int off = pc * 8;
            int code = p.getShort(off) & 0xffff;
            int jt = p.get(off + 2) & 0xff;
            int jf = p.get(off + 3) & 0xff;
            int k = p.getInt(off + 4);
            switch (code) {
                case 0x20 -> {
                    a = data.getInt(k);
                    pc++;
                }
                case 0x15 -> pc += 1 + (a == k ? jt : jf);
                case 0x35 -> pc += 1 + (Integer.compareUnsigned(a, k) >= 0 ? jt : jf);
                case 0x45 -> pc += 1 + ((a & k) != 0 ? jt : jf);
                case 0x06 -> {
                    return k;
                }
                default -> throw new AssertionError("opcode " + code + " at " + pc);
            }
            if (pc * 8 >= p.limit()) {
                throw new AssertionError("fell off the program");
            }
        }
        throw new AssertionError("no return");
    }
}
