package dev.sluice.core;

import dev.sluice.core.host.Privileges;
import dev.sluice.core.host.Seccomp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/**
 * The last step of startup, as passt does it: once the tap, the sockets and
 * the listeners exist, leave root (for {@code --runas}, or nobody) on every
 * thread, then no_new_privs and the {@link Seccomp} deny-list on every thread.
 * A process that is not root keeps its user and is confined the same way.
 *
 * <p>Files Sluice made and removes at exit (socket, pid file) are handed to
 * the new user first, so that it may still remove them where the directory
 * lets it (sticky /tmp, a directory of that user's); in a directory only root
 * may write to, they stay, as passt's do.
 */
public final class Confinement {
    private static final Logger log = LoggerFactory.getLogger(Confinement.class);

    private Confinement() {
    }

    /** System property naming "uid:gid" that a root process will become: plugins that create files read it. */
    public static final String RUNAS_PROPERTY = "sluice.runas";

    /**
     * Before the plugins start: tell them, through {@link #RUNAS_PROPERTY}, which user will have to
     * remove what they create (vm-isolation's registry entry). Nothing is set when the user stays.
     */
    static void announce(Privileges.Ids runAs) throws IOException {
        Privileges.Ids target = target(Privileges.effectiveUid(), runAs);
        if (target != null && !target.root()) {
            System.setProperty(RUNAS_PROPERTY, Integer.toUnsignedString(target.uid()) + ":"
                    + Integer.toUnsignedString(target.gid()));
        }
    }

    /** Whom a process of {@code euid} becomes (null: it stays as it is). */
    private static Privileges.Ids target(int euid, Privileges.Ids runAs) throws IOException {
        if (euid != 0) {
            return null;
        }
        if (runAs != null) {
            return runAs;
        }
        // passt's rule: root in the initial user namespace becomes nobody; root of another one stays.
        return Privileges.inInitialUserNamespace() ? Privileges.nobody() : null;
    }

    /**
     * @param runAs  {@code --runas} (null: nobody when root, else unchanged)
     * @param owned  paths Sluice created and removes at exit (nulls ignored)
     * @throws Sluice.ConfigError when a non-root process is asked to become another user
     * @throws IOException        when the switch or the filter fails (Sluice must not run half confined)
     */
    static void apply(Privileges.Ids runAs, List<Path> owned) throws IOException, Sluice.ConfigError {
        int euid = Privileges.effectiveUid();
        Privileges.Ids target = target(euid, runAs);
        if (euid != 0 && runAs != null && runAs.uid() != euid) {
            throw new Sluice.ConfigError("option '--runas': only root can run as another user (this is uid "
                    + euid + ")", null);
        }
        if (target != null && !target.root()) {
            for (Path p : owned) {
                if (p != null && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setAttribute(p, "unix:uid", target.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", target.gid(), LinkOption.NOFOLLOW_LINKS);
                }
            }
            Privileges.switchTo(target);
            List<String> behind = Privileges.threadsNotAt(target);
            if (!behind.isEmpty()) {
                throw new IOException("threads kept their privileges after the switch to uid " + target.uid()
                        + ": " + behind);
            }
        } else if (target != null) {
            Privileges.switchTo(target); // --runas root: drop supplementary groups, set the gid asked for
        }
        Seccomp.install();
        log.info("running as uid {} gid {}{}; no_new_privs and the seccomp deny-list on every thread",
                target != null ? target.uid() : euid, target != null ? target.gid() : "(unchanged)",
                target != null && !target.root() ? ", no capabilities" : "");
    }
}
