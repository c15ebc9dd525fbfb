package dev.sluice.core.plugin;

import dev.sluice.api.FilterContext;
import dev.sluice.api.FlowFilter;
import dev.sluice.api.FlowFilterProvider;
import dev.sluice.api.OptionInfo;
import dev.sluice.api.Verdict;
import java.util.List;

/** Registered in the test class path's META-INF/services, so discovery finds it on the class path. */
public final class ClassPathTestProvider implements FlowFilterProvider {
    @Override
    public String name() {
        return "cp-test";
    }

    @Override
    public String description() {
        return "found on the class path";
    }

    @Override
    public List<OptionInfo> options() {
        return List.of(new OptionInfo("answer", "accept|continue", "what to say (default continue)"),
                new OptionInfo("x", "N", "unused"));
    }

    @Override
    public FlowFilter create(FilterContext context) {
        boolean accept = context.options().requireKnown("answer", "x").get("answer", "continue").equals("accept");
        return flow -> accept ? Verdict.ACCEPT : Verdict.CONTINUE;
    }
}
