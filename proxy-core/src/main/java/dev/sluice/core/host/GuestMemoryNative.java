package dev.sluice.core.host;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.Type;
import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * memfd_create, mmap and munmap, for the vhost-user link's view of guest
 * memory: QEMU passes one fd per memory region and Sluice maps it shared.
 * A region is mapped whole, however large (no 2 GiB ByteBuffer limit): the
 * result is a raw address that callers read and write with Unsafe-backed
 * accessors (netty's PlatformDependent) after bounds checks of their own.
 *
 * <p>mmap takes six arguments and jnr-ffi's generated stubs corrupt the
 * sixth (jnr/jnr-ffi#181: seen here as EINVAL from mmap), so mmap is called
 * through jffi's plain {@link Invoker#invokeN6}, which passes six longs
 * correctly. The mapping starts at file offset 0 and is {@code offset + length}
 * long (the region's window starts {@code offset} bytes in) so that an offset
 * not page-aligned still works; the pages before it cost address space only.
 */
public final class GuestMemoryNative {
    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 1;
    static final int MFD_CLOEXEC = 1;
    private static final long MAP_FAILED = -1L;

    private static final MemLibC LIBC = LibraryLoader.create(MemLibC.class).load("c");
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final long MMAP = Library.getDefault().getSymbolAddress("mmap");
    private static final CallContext MMAP_CTX = CallContext.getCallContext(Type.POINTER,
            new Type[] {Type.POINTER, Type.UINT64, Type.SINT32, Type.SINT32, Type.SINT32, Type.SINT64},
            CallingConvention.DEFAULT, true);

    private GuestMemoryNative() {
    }

    /** A shared mapping of [offset, offset+length) of a file; {@link #address()} is the byte at offset. */
    public record Mapping(long base, long mappedLength, long offset) {
        public long address() {
            return base + offset;
        }

        public long length() {
            return mappedLength - offset;
        }
    }

    /** mmap(NULL, offset+length, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0). */
    public static Mapping map(int fd, long offset, long length) throws IOException {
        if (offset < 0 || length <= 0 || offset + length < 0) {
            throw new IOException("mmap of fd " + fd + ": bad offset " + offset + " or length " + length);
        }
        long total = offset + length;
        long addr = INVOKER.invokeN6(MMAP_CTX, MMAP, 0L, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        if (addr == MAP_FAILED || addr == 0) {
            throw Native.failure("mmap(fd " + fd + ", " + total + " bytes)", LastError.getInstance().get());
        }
        return new Mapping(addr, total, offset);
    }

    public static void unmap(Mapping m) throws IOException {
        if (LIBC.munmap(m.base(), m.mappedLength()) != 0) {
            throw Native.failure("munmap(" + Long.toHexString(m.base()) + ", " + m.mappedLength() + ")", errno());
        }
    }

    /** A new memfd of {@code size} bytes (tests use it as guest memory; QEMU makes its own). */
    public static int memfd(String name, long size) throws IOException {
        var nameBuf = Native.cString(name);
        int fd = LIBC.memfd_create(Native.address(nameBuf), MFD_CLOEXEC);
        if (fd < 0) {
            throw Native.failure("memfd_create(" + name + ")", errno());
        }
        if (LIBC.ftruncate(fd, size) != 0) {
            int e = errno();
            Native.closeQuietly(fd);
            throw Native.failure("ftruncate(memfd, " + size + ")", e);
        }
        return fd;
    }

    private static int errno() {
        return jnr.ffi.LastError.getLastError(jnr.ffi.Runtime.getRuntime(LIBC));
    }

    /** Public only so jnr-ffi's generated class may implement it. */
    public interface MemLibC {
        @SaveError int munmap(long addr, long length);

        @SaveError int memfd_create(long name, int flags);

        @SaveError int ftruncate(int fd, long length);
    }
}
