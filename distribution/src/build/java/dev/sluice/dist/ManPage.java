package dev.sluice.dist;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;

/**
 * A roff man page (man(7) macros) written straight from a picocli
 * {@link CommandSpec}: NAME and DESCRIPTION from the command's description,
 * OPTIONS from its visible options in declaration order, NOTES from its
 * footer, then sections the caller adds (FILES, ENVIRONMENT, ...).
 *
 * <p>Why not picocli-codegen's ManPageGenerator: it writes AsciiDoc, and
 * turning that into roff needs Asciidoctor, a dependency Sluice does not
 * take; the model holds all a man page needs, and man(7) is a small format.
 */
public final class ManPage {
    /** A section the caller adds: paragraphs, or tagged paragraphs when {@code term} is set. */
    public record Section(String title, List<Item> items) {
    }

    /** One paragraph; {@code term} (may be null) is shown as a tag above the text, like an option. */
    public record Item(String term, String text) {
        public static Item para(String text) {
            return new Item(null, text);
        }
    }

    private ManPage() {
    }

    /** The page as roff source, section 1. */
    public static String render(CommandSpec spec, String version, List<Section> extra) {
        String name = spec.name();
        StringBuilder r = new StringBuilder();
        r.append(".\\\" Generated from the picocli model by dev.sluice.dist.ManPage: do not edit.\n");
        r.append(".TH \"").append(name.toUpperCase(Locale.ROOT)).append("\" \"1\" \"\" \"")
                .append(name).append(' ').append(version).append("\" \"User Commands\"\n");
        // Left-aligned, unhyphenated: option names and paths must not be split at a hyphen.
        r.append(".ad l\n.nh\n");

        List<String> description = paragraphs(spec.usageMessage().description());
        String summary = description.isEmpty() ? "" : description.remove(0).replaceAll("\\.$", "");
        r.append(".SH NAME\n").append(line(name + " - " + summary)).append('\n');

        r.append(".SH SYNOPSIS\n")
                .append(".B ").append(text(name)).append('\n')
                .append("[\\fIOPTION\\fR]... [\\fB@\\fIFILE\\fR]...\n");
        for (String sub : new java.util.LinkedHashSet<>(spec.subcommands().keySet())) {
            r.append(".br\n.B ").append(text(name + " " + sub)).append('\n').append("[\\fIOPTION\\fR]...\n");
        }

        if (!description.isEmpty()) {
            r.append(".SH DESCRIPTION\n");
            appendParagraphs(r, description);
        }

        r.append(".SH OPTIONS\n");
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            r.append(".TP\n").append(synopsis(o)).append('\n');
            List<String> lines = new ArrayList<>();
            for (String d : o.renderedDescription()) {
                lines.add(format(d));
            }
            r.append(block(String.join("\n", lines))).append('\n');
        }

        // Subcommands (sluice status, flows...): their description and options, one subsection each.
        if (!spec.subcommands().isEmpty()) {
            r.append(".SH COMMANDS\n");
            for (picocli.CommandLine sub : new java.util.LinkedHashSet<>(spec.subcommands().values())) {
                CommandSpec c = sub.getCommandSpec();
                r.append(".SS \"").append(text(name + " " + c.name())).append(" [OPTION]...\"\n");
                appendParagraphs(r, paragraphs(c.usageMessage().description()));
                for (OptionSpec o : c.options()) {
                    if (!o.hidden()) {
                        r.append(".TP\n").append(synopsis(o)).append('\n');
                        r.append(block(String.join("\n", o.renderedDescription()))).append('\n');
                    }
                }
            }
        }

        List<String> footer = paragraphs(spec.usageMessage().footer());
        if (!footer.isEmpty()) {
            r.append(".SH NOTES\n");
            appendParagraphs(r, footer);
        }

        for (Section s : extra) {
            r.append(".SH ").append(text(s.title().toUpperCase(Locale.ROOT))).append('\n');
            boolean first = true;
            for (Item i : s.items()) {
                if (i.term() != null) {
                    r.append(".TP\n").append(line(i.term())).append('\n');
                } else if (!first) {
                    r.append(".PP\n");
                }
                r.append(block(i.text())).append('\n');
                first = false;
            }
        }
        return r.toString();
    }

    /** {@code \fB-s\fR, \fB--socket\fR=\fIPATH\fR}: names bold, the value's label italic after the last name. */
    static String synopsis(OptionSpec o) {
        StringBuilder b = new StringBuilder();
        String[] names = o.names();
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append("\\fB").append(text(names[i])).append("\\fR");
        }
        if (o.arity().max() > 0) {
            String label = text(o.paramLabel());
            boolean optional = o.arity().min() == 0;
            String sep = names[names.length - 1].startsWith("--") ? "=" : " ";
            b.append(optional ? "[" + sep : sep).append("\\fI").append(label).append("\\fR").append(optional ? "]" : "");
        }
        return b.toString();
    }

    /** Description lines as paragraphs: picocli shows each on a line of its own; blank ones only space them. */
    private static List<String> paragraphs(String[] lines) {
        List<String> out = new ArrayList<>();
        for (String raw : lines) {
            String l = format(raw).strip();
            if (!l.isEmpty()) {
                out.add(l);
            }
        }
        return out;
    }

    private static void appendParagraphs(StringBuilder r, List<String> paras) {
        for (int i = 0; i < paras.size(); i++) {
            if (i > 0) {
                r.append(".PP\n");
            }
            r.append(block(paras.get(i))).append('\n');
        }
    }

    /** picocli formats description strings ({@code %n}, {@code %%}) before showing them; so must we. */
    static String format(String s) {
        try {
            return String.format(Locale.ROOT, s);
        } catch (IllegalFormatException e) {
            return s;
        }
    }

    /** Text lines; a line break inside the text stays a line break ({@code .br}). */
    static String block(String s) {
        List<String> out = new ArrayList<>();
        for (String l : s.split("\n", -1)) {
            out.add(line(l.strip()));
        }
        return String.join("\n.br\n", out);
    }

    /** One line of text that roff will not take for a request. */
    static String line(String s) {
        String t = text(s);
        return t.startsWith(".") || t.startsWith("'") ? "\\&" + t : t;
    }

    /**
     * Escapes text: a backslash is roff's escape character, and {@code -} is
     * written {@code \-} so options and paths render (and copy) as the ASCII
     * hyphen-minus rather than a typographic hyphen.
     */
    static String text(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                b.append("\\e");
            } else if (c == '-') {
                b.append("\\-");
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
