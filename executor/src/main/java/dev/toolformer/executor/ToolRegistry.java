package dev.toolformer.executor;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/** The tools this executor can run, found with {@link ServiceLoader} or given explicitly. */
public final class ToolRegistry {
    private final Map<String, Tool> tools;

    private ToolRegistry(Map<String, Tool> tools) {
        this.tools = Map.copyOf(tools);
    }

    /** Every {@link Tool} on the classpath. */
    public static ToolRegistry discover() {
        return of(ServiceLoader.load(Tool.class).stream().map(ServiceLoader.Provider::get).toList());
    }

    public static ToolRegistry of(Collection<? extends Tool> tools) {
        Map<String, Tool> byName = new HashMap<>();
        for (Tool tool : tools) {
            Tool previous = byName.put(tool.name(), tool);
            if (previous != null) {
                throw new IllegalArgumentException("two tools are named '" + tool.name() + "': "
                        + previous.getClass().getName() + " and " + tool.getClass().getName());
            }
        }
        return new ToolRegistry(byName);
    }

    public Optional<Tool> find(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    public Set<String> names() {
        return new TreeSet<>(tools.keySet());
    }
}
