package dev.sluice.core.host;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A seccomp deny-list for the whole process, installed once setup is done.
 *
 * <p>passt allows a short list of syscalls; a JVM cannot: its syscall set is
 * large, depends on the JDK version, the collector and the JIT, and a missed
 * one kills the VM at some later moment. So Sluice denies instead: the calls
 * that change the system or the process's confinement and that a network
 * proxy never needs once set up (mounts, namespaces, modules, kexec, ptrace
 * and cross-process memory, bpf, io_uring, keyrings, perf, clock and host
 * settings, uid/gid/capability changes), each answered EPERM, namespace
 * flags on {@code clone} likewise, and {@code clone3} ENOSYS (its flags sit
 * in memory a filter cannot read; glibc falls back to {@code clone}). Another
 * architecture's syscalls (i386, x32) kill the process. What stays allowed
 * is everything else: file and socket calls as the (unprivileged) user,
 * which is what confines those.
 *
 * <p>Installed with {@code SECCOMP_FILTER_FLAG_TSYNC}, so every thread the
 * JVM has gets it (and no_new_privs with it), and threads started later
 * inherit it.
 */
public final class Seccomp {
    static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    static final int X32_SYSCALL_BIT = 0x40000000;
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ERRNO = 0x00050000;
    static final int RET_ALLOW = 0x7fff0000;
    static final int EPERM = 1;
    static final int ENOSYS = 38;
    static final int SYS_CLONE = 56;
    static final int SYS_CLONE3 = 435;
    /** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
    static final int CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
            | 0x20000000 | 0x40000000;

    /** x86_64 numbers of the denied calls (see the class comment for the groups). */
    static final int[] DENIED = {
        101,                 // ptrace
        310, 311,            // process_vm_readv/writev
        165, 166, 155, 161,  // mount, umount2, pivot_root, chroot
        428, 429, 430, 431, 432, 433, 442, // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick, mount_setattr
        272, 308,            // unshare, setns
        175, 176, 313,       // init_module, delete_module, finit_module
        246, 320, 169,       // kexec_load, kexec_file_load, reboot
        321, 323, 298,       // bpf, userfaultfd, perf_event_open
        425, 426, 427,       // io_uring_setup/enter/register
        248, 249, 250,       // add_key, request_key, keyctl
        303, 304, 212,       // name_to_handle_at, open_by_handle_at, lookup_dcookie
        167, 168, 163, 179,  // swapon, swapoff, acct, quotactl
        164, 227, 159, 305,  // settimeofday, clock_settime, adjtimex, clock_adjtime
        170, 171, 172, 173,  // sethostname, setdomainname, iopl, ioperm
        105, 106, 113, 114, 116, 117, 119, 122, 123, 126, // setuid ... setfsgid, capset
    };

    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;
    private static final int SECCOMP_SET_MODE_FILTER = 1;
    private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    private static final int SYS_SECCOMP = 317;
    private static final int PR_SET_NO_NEW_PRIVS = 38;

    private Seccomp() {
    }

    /** The BPF program: struct sock_filter[] (8 bytes each), native order. Visible for tests. */
    static ByteBuffer program() {
        int n = 14 + 2 * DENIED.length;
        ByteBuffer b = Native.direct(8 * n);
        insn(b, LD_W_ABS, 0, 0, 4);                         // A = arch
        insn(b, JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
        insn(b, RET_K, 0, 0, RET_KILL_PROCESS);
        insn(b, LD_W_ABS, 0, 0, 0);                         // A = nr
        insn(b, JGE_K, 8 + 2 * DENIED.length, 0, X32_SYSCALL_BIT); // -> deny (EPERM)
        insn(b, JEQ_K, 0, 4, SYS_CLONE);
        insn(b, LD_W_ABS, 0, 0, 16);                        // A = low 32 bits of clone's flags
        insn(b, JSET_K, 0, 1, CLONE_NS_FLAGS);
        insn(b, RET_K, 0, 0, RET_ERRNO | EPERM);
        insn(b, RET_K, 0, 0, RET_ALLOW);
        insn(b, JEQ_K, 0, 1, SYS_CLONE3);
        insn(b, RET_K, 0, 0, RET_ERRNO | ENOSYS);
        for (int nr : DENIED) {
            insn(b, JEQ_K, 0, 1, nr);
            insn(b, RET_K, 0, 0, RET_ERRNO | EPERM);
        }
        insn(b, RET_K, 0, 0, RET_ALLOW);
        insn(b, RET_K, 0, 0, RET_ERRNO | EPERM);            // the x32 jump's target
        if (b.position() != b.capacity()) {
            throw new IllegalStateException("program length");
        }
        return b.flip();
    }

    private static void insn(ByteBuffer b, short code, int jt, int jf, int k) {
        if (jt > 255 || jf > 255) {
            throw new IllegalStateException("jump too far");
        }
        b.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
    }

    /** Sets no_new_privs and installs the filter on every thread. */
    public static void install() throws IOException {
        if (Native.LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            throw Native.failure("prctl(PR_SET_NO_NEW_PRIVS)");
        }
        ByteBuffer prog = program();
        ByteBuffer fprog = Native.direct(16); // struct sock_fprog { u16 len; pad; filter * }
        fprog.putShort(0, (short) (prog.capacity() / 8));
        fprog.putLong(8, Native.address(prog));
        long r = Native.LIBC.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                Native.address(fprog));
        int errno = Native.errno();
        // Keep both buffers reachable until the kernel has copied the program.
        if (prog.capacity() == 0 || fprog.capacity() == 0) {
            throw new IllegalStateException();
        }
        if (r != 0) {
            throw r > 0 ? new IOException("seccomp TSYNC: thread " + r + " cannot take the filter")
                    : Native.failure("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)", errno);
        }
    }
}
