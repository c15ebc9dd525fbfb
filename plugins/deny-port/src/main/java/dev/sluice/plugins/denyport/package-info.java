/**
 * The {@code deny-port} plugin, Sluice's example plugin: refuses guest flows
 * to listed destination ports. Depends on {@code dev.sluice.api} alone.
 */
package dev.sluice.plugins.denyport;
