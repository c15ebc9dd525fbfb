package dev.sluice.plugins.rules;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.PluginOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --plugin rules:file=PATH} or inline
 * {@code --plugin rules:allow=tcp/10.0.0.0/8:443,deny=udp/any:53,default=drop}.
 *
 * <p>Inline, the options {@code allow}, {@code deny}, {@code drop} and
 * {@code pass} each take rules separated by commas, and the order of the
 * options is the order of the rules. Since an option may not repeat, a second
 * option of one action takes a suffix after a dot: {@code allow=...,deny=...,
 * allow.2=...}. {@code default} and {@code match} apply to all inline rules.
 * With {@code file} everything comes from the file, which is re-read when it
 * changes (see {@link RulesFilter}).
 */
public final class RulesProvider implements FlowFilterProvider {
    static final String FILE = "file";
    static final String DEFAULT = "default";
    static final String MATCH = "match";

    @Override
    public String name() {
        return "rules";
    }

    @Override
    public String description() {
        return "Firewall-style rules: allow, deny, drop or pass flows by protocol, destination prefix and port"
                + " range, first match wins; inline or from a file re-read when it changes";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(
                new OptionInfo(FILE, "PATH", "read the rules from PATH (one per line, see docs/plugins/rules.md);"
                        + " re-read when it changes; excludes the other options"),
                new OptionInfo("allow", "RULE[,RULE...]", "accept matching flows: PROTO/DEST[:PORTS][@original],"
                        + " e.g. tcp/10.0.0.0/8:443; allow.2=... for a second group"),
                new OptionInfo("deny", "RULE[,RULE...]", "refuse matching flows and tell the guest (deny.N too)"),
                new OptionInfo("drop", "RULE[,RULE...]", "refuse matching flows silently (drop.N too)"),
                new OptionInfo("pass", "RULE[,RULE...]", "leave matching flows to the next plugin (pass.N too)"),
                new OptionInfo(DEFAULT, "allow|deny|drop|pass", "what happens when no rule matches (default: pass)"),
                new OptionInfo(MATCH, "mapped|original", "which destination rules without @mapped/@original look at"
                        + " (default: mapped, where the host socket goes)"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        PluginOptions options = context.options();
        if (options.contains(FILE)) {
            options.requireKnown(FILE);
            Path file = Path.of(options.require(FILE));
            return RulesFilter.watching(file, context.logger());
        }
        RuleSet set = compileInline(options);
        context.logger().info(set.size() + " rules, default " + RuleSet.name(set.defaultAction()));
        return RulesFilter.fixed(set);
    }

    static RuleSet compileInline(PluginOptions options) {
        Rule.Action defaultAction = Rule.Action.PASS;
        boolean original = false;
        if (options.contains(DEFAULT)) {
            defaultAction = wrap(DEFAULT, () -> RuleParser.action(options.require(DEFAULT).trim()));
        }
        if (options.contains(MATCH)) {
            original = wrap(MATCH, () -> RuleParser.matchOriginal(options.require(MATCH).trim()));
        }
        List<Rule> rules = new ArrayList<>();
        for (Map.Entry<String, String> e : options.asMap().entrySet()) {
            String key = e.getKey();
            if (key.equals(DEFAULT) || key.equals(MATCH)) {
                continue;
            }
            int dot = key.indexOf('.');
            String word = dot < 0 ? key : key.substring(0, dot);
            Rule.Action action = switch (word) {
                case "allow" -> Rule.Action.ALLOW;
                case "deny" -> Rule.Action.DENY;
                case "drop" -> Rule.Action.DROP;
                case "pass" -> Rule.Action.PASS;
                default -> throw new IllegalArgumentException("unknown option \"" + key + "\" (known options: allow,"
                        + " default, deny, drop, file, match, pass; allow.N etc. for more groups)");
            };
            boolean matchOriginal = original;
            for (String text : options.getList(key)) {
                rules.add(wrap(key, () -> RuleParser.rule(action, text, matchOriginal, "rule " + (rules.size() + 1))));
            }
        }
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("no rules: give file=PATH or allow=/deny=/drop=/pass= rules,"
                    + " e.g. rules:allow=tcp/10.0.0.0/8:443,default=deny");
        }
        return RuleSet.compile(rules, defaultAction);
    }

    private interface Parse<T> {
        T get();
    }

    private static <T> T wrap(String key, Parse<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("option \"" + key + "\": " + e.getMessage(), e);
        }
    }
}
