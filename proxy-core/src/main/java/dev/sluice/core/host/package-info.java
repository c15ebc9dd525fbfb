/**
 * The host side's native calls and network view. {@link dev.sluice.core.host.HostView}
 * (interfaces, addresses, default routes over rtnetlink),
 * {@link dev.sluice.core.host.NetlinkMonitor} (their changes),
 * {@link dev.sluice.core.host.RouteLookup} (the kernel's route for one destination, asked
 * per call: is it the host itself, and on which interface),
 * {@link dev.sluice.core.host.ResolvConf}, and one small class per native
 * concern: {@link dev.sluice.core.host.Netns} (setns on a throw-away thread),
 * {@link dev.sluice.core.host.Tun} and {@link dev.sluice.core.host.TapOffload} (its virtio-net header and offloads), {@link dev.sluice.core.host.LinkConfig}
 * (rtnetlink writes), {@link dev.sluice.core.host.SocketOptions},
 * {@link dev.sluice.core.host.PingSocket}, {@link dev.sluice.core.host.InterfaceIndex}
 * (does a link exist now), {@link dev.sluice.core.host.Privileges} (user switch on
 * every thread) and {@link dev.sluice.core.host.Seccomp} (the deny-list). All libc access goes through the
 * package-private {@code Native.LibC} (jnr-ffi, raw addresses of direct buffers, so
 * hot-path calls allocate nothing). This package decides nothing: which
 * address the guest gets, or which interface a flow uses, is for the callers.
 * It does not run an event loop either; fds it hands out are registered by
 * their owners. Linux x86_64 only.
 */
package dev.sluice.core.host;
