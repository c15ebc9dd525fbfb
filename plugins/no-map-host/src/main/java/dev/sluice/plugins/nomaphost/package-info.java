/**
 * The {@code no-map-host} plugin: refuses guest flows whose mapped
 * destination is the host itself (any address of any interface, loopback,
 * the unspecified address), as the kernel sees it when the flow is decided.
 * Depends on {@code dev.sluice.api} alone; the exactness comes from the host
 * view's {@code localInterface}, which asks the kernel per call.
 */
package dev.sluice.plugins.nomaphost;
