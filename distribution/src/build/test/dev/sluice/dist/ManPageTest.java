package dev.sluice.dist;

import dev.sluice.core.cli.SluiceCommand;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManPageTest {
    static final Set<String> MACROS = Set.of(".TH", ".SH", ".SS", ".TP", ".PP", ".br", ".B", ".ad", ".nh", ".\\\"");

    @TempDir
    Path tmp;

    @Command(name = "edgy", description = {".starts with a dot", "", "'starts with a quote", "back\\slash 100%% sure%nnext line"},
            footer = "see -h")
    static final class Edgy {
        @Option(names = {"-x", "--exclude"}, paramLabel = "GLOB", description = "default ${DEFAULT-VALUE}")
        String exclude = "*.o";

        @Option(names = "-v", paramLabel = "LEVEL", arity = "0..1", description = "verbosity")
        String verbose;

        @Option(names = "--secret", hidden = true, description = "not shown")
        boolean secret;
    }

    private static void assertOnlyKnownRequests(String roff) {
        for (String line : roff.split("\n")) {
            if (line.startsWith(".") || line.startsWith("'")) {
                String request = line.split(" ", 2)[0];
                assertTrue(MACROS.contains(request), "unexpected roff request: " + line);
            }
        }
    }

    @Test
    void everyVisibleOptionOfSluiceIsDocumented() {
        CommandSpec spec = SluiceCommand.commandLine().getCommandSpec();
        String roff = ManPage.render(spec, "9.9", GenerateDocs.sections());
        assertTrue(roff.startsWith(".\\\" Generated"), roff);
        assertTrue(roff.contains(".TH \"SLUICE\" \"1\" \"\" \"sluice 9.9\""), roff);
        assertTrue(roff.contains(".SH NAME\nsluice \\- "), roff);
        for (OptionSpec o : spec.options()) {
            for (String name : o.names()) {
                String shown = "\\fB" + ManPage.text(name) + "\\fR";
                assertEquals(!o.hidden(), roff.contains(shown), name);
            }
        }
        // The client subcommands (sluice status, flows, audit, metrics) have a subsection each, with their options.
        for (CommandLine sub : spec.subcommands().values()) {
            assertTrue(roff.contains(".SS \"sluice " + sub.getCommandName() + " [OPTION]...\""), sub.getCommandName());
            for (OptionSpec o : sub.getCommandSpec().options()) {
                assertTrue(roff.contains("\\fB" + ManPage.text(o.longestName()) + "\\fR"), o.longestName());
            }
        }
        assertFalse(roff.contains("${"), "variables are expanded");
        assertFalse(roff.contains("%%"), "format strings are applied");
        assertOnlyKnownRequests(roff);
    }

    @Test
    void textIsEscapedForRoff() {
        String roff = ManPage.render(new CommandLine(new Edgy()).getCommandSpec(), "1", List.of());
        assertTrue(roff.contains("\nedgy \\- .starts with a dot\n"), roff); // a dot inside a line is text
        assertTrue(roff.contains("\\&'starts with a quote\n"), roff);
        assertTrue(roff.contains("back\\eslash 100% sure\n.br\nnext line"), roff);
        assertTrue(roff.contains("\\fB\\-x\\fR, \\fB\\-\\-exclude\\fR=\\fIGLOB\\fR\ndefault *.o\n"), roff);
        assertTrue(roff.contains("\\fB\\-v\\fR[ \\fILEVEL\\fR]\n"), roff);
        assertFalse(roff.contains("secret"), roff);
        assertTrue(roff.contains(".SH NOTES\nsee \\-h\n"), roff);
        assertOnlyKnownRequests(roff);
    }

    @Test
    void generatedFilesRenderWithoutWarningsAndTheCompletionParses() throws Exception {
        GenerateDocs.generate(SluiceCommand.commandLine(), "9.9", tmp);
        Path man = tmp.resolve(GenerateDocs.MAN_PAGE);
        Path completion = tmp.resolve(GenerateDocs.COMPLETION);
        String script = Files.readString(completion);
        assertTrue(script.contains("--plugin-dir") && script.contains("complete -F"), script);

        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is not installed");
        // -ww: all warnings; -z: no output. Any warning means a malformed page.
        String warnings = run("groff", "-man", "-Tutf8", "-ww", "-z", man.toString());
        assertEquals("", warnings);
        assertEquals("", run("bash", "-n", completion.toString()));
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
