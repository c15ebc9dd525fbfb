package dev.sluice.plugins.rules;

import dev.sluice.api.FlowAttempt;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.PluginLogger;
import dev.sluice.api.Verdict;
import java.nio.file.Path;

/**
 * Decides with the current {@link RuleSet}, which a {@link RulesFile} watcher
 * may replace at any time: the set is immutable and published through a
 * volatile field, so {@code decide} sees either the old rules or the new ones,
 * never a mixture, and takes no lock.
 */
final class RulesFilter implements FlowFilter {
    private volatile RuleSet rules;
    private final RulesFile file;

    private RulesFilter(RuleSet rules, Path path, PluginLogger log) {
        this.rules = rules;
        this.file = path == null ? null : new RulesFile(path, log, this::publish);
    }

    static RulesFilter fixed(RuleSet rules) {
        return new RulesFilter(rules, null, null);
    }

    /**
     * Loads the file now (a bad or missing file is a startup error) and
     * watches it from then on.
     *
     * @throws IllegalArgumentException naming the file and line
     */
    static RulesFilter watching(Path path, PluginLogger log) {
        RulesFilter f = new RulesFilter(null, path, log);
        f.file.loadFirst();
        f.file.start();
        return f;
    }

    private void publish(RuleSet set) {
        rules = set;
    }

    RuleSet rules() {
        return rules;
    }

    /** Re-reads the file now, as a change would (for tests and a reload request); false if it was refused. */
    boolean reload() {
        return file == null || file.reload();
    }

    @Override
    public Verdict decide(FlowAttempt flow) {
        return rules.decide(flow);
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
    }
}
