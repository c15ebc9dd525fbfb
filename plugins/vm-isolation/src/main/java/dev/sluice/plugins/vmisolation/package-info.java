/**
 * The {@code vm-isolation} plugin: guests of different Sluice instances on
 * one host may not reach each other through the host ports the instances
 * forward into them. Each instance publishes its forwards in a registry
 * directory (one atomically written file per instance); a thread keeps an
 * immutable index of the live instances' forwards that the event-loop
 * decision reads. Owns the registry format and its liveness rule (pid plus
 * process start time); deliberately does not decide ports no instance
 * forwards (other host services are {@code no-map-host}'s business).
 * Depends on {@code dev.sluice.api} alone.
 */
package dev.sluice.plugins.vmisolation;
