package dev.sluice.dist;

import dev.sluice.core.cli.SluiceCommand;
import dev.sluice.dist.ManPage.Item;
import dev.sluice.dist.ManPage.Section;
import picocli.AutoComplete;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the man page and the bash completion of {@code sluice} from the
 * picocli model ({@link SluiceCommand#commandLine()}) into a tree:
 * {@code share/man/man1/sluice.1} and
 * {@code share/bash-completion/completions/sluice}. Those are the places
 * {@code man} and bash-completion look at next to a {@code bin/} on the PATH,
 * so an unpacked tree needs no setup for either.
 * <pre>
 * java -cp ... dev.sluice.dist.GenerateDocs --version=0.1.0 --out=DIR
 * </pre>
 */
public final class GenerateDocs {
    static final String MAN_PAGE = "share/man/man1/sluice.1";
    static final String COMPLETION = "share/bash-completion/completions/sluice";

    private GenerateDocs() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> o = Args.parse(args, List.of("--version", "--out"), List.of());
        generate(SluiceCommand.commandLine(), o.get("--version"), Path.of(o.get("--out")));
    }

    static void generate(CommandLine cl, String version, Path out) throws IOException {
        Path man = out.resolve(MAN_PAGE);
        Files.createDirectories(man.getParent());
        Files.writeString(man, ManPage.render(cl.getCommandSpec(), version, sections()));
        Path completion = out.resolve(COMPLETION);
        Files.createDirectories(completion.getParent());
        Files.writeString(completion, AutoComplete.bash(cl.getCommandName(), cl));
        System.out.println("[sluice] wrote " + man + " and " + completion);
    }

    /** What the model cannot know: the distribution's layout and the launcher's environment. */
    static List<Section> sections() {
        return List.of(
                new Section("Files", List.of(
                        new Item("bin/sluice", "The launcher: finds Java 17 or newer and runs Sluice with lib/ on the class path."),
                        new Item("etc/sluice.args", "An example argument file with a default plugin chain, "
                                + "used as: sluice @etc/sluice.args [OPTION]..."),
                        new Item("lib/", "Sluice and the libraries it needs."),
                        new Item("plugins/", "The bundled plugins, and where to install more: "
                                + "every jar here is loaded unless --plugin-dir none is given (see --list-plugins)."),
                        new Item("$XDG_DATA_HOME/sluice/plugins/", "Plugins of the user, also loaded unless --plugin-dir "
                                + "none is given (default ~/.local/share/sluice/plugins/)."),
                        new Item("share/bash-completion/completions/sluice", "Completion of options for bash."),
                        new Item("/run/sluice/PID.ctl", "The control socket of a running instance (root; other users: "
                                + "$XDG_RUNTIME_DIR/sluice/PID.ctl, or /tmp/sluice-UID/PID.ctl), which sluice status, "
                                + "flows, audit and metrics find by themselves when only one instance runs."))),
                new Section("Environment", List.of(
                        new Item("JAVA_HOME", "The Java installation to run (17 or newer); without it, java on the PATH."),
                        new Item("SLUICE_JAVA_OPTS", "Options for the Java virtual machine, separated by spaces "
                                + "(for example -Xmx256m)."),
                        new Item("XDG_DATA_HOME", "Base of the user's plugin directory."),
                        new Item("XDG_RUNTIME_DIR", "Base of the control sockets' directory of a user other than root."))),
                new Section("See also", List.of(Item.para(
                        "passt(1), pasta(1), qemu-system-x86_64(1), ip-netns(8). "
                                + "Writing plugins: docs/plugins.md in Sluice's sources; the control socket: docs/operations.md."))));
    }
}
