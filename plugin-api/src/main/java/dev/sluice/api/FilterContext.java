package dev.sluice.api;

/**
 * Everything Sluice gives a filter when it is created: the user's options for
 * this plugin and live views of the host, the guest and this instance. The
 * views stay valid, and current, for the filter's whole life, so a filter
 * keeps the ones it needs in fields.
 */
public interface FilterContext {
    /** The options given with {@code --plugin NAME:KEY=VALUE,...}. */
    PluginOptions options();

    /** The host's addresses. */
    HostView host();

    /** The guest's addresses and MAC. */
    GuestView guest();

    /** This Sluice instance. */
    InstanceInfo instance();

    /** This plugin's logger. */
    PluginLogger logger();
}
