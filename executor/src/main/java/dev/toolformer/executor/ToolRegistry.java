package dev.toolformer.executor;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The tools this executor can run, found with {@link ServiceLoader} (on the classpath and in the plugin jars of
 * {@link ToolPlugins}) or given explicitly.
 */
public final class ToolRegistry {
    private final Map<String, Tool> tools;

    private ToolRegistry(Map<String, Tool> tools) {
        this.tools = Map.copyOf(tools);
    }

    /** Every {@link Tool} on the classpath and in the plugin directories ({@link ToolPlugins#ENV}). */
    public static ToolRegistry discover() {
        return discover(ToolPlugins.fromEnvironment());
    }

    /** Every {@link Tool} on the classpath and in the jars of {@code pluginDirs}. */
    public static ToolRegistry discover(List<Path> pluginDirs) {
        ClassLoader loader = ToolPlugins.loader(pluginDirs);
        try {
            return of(ServiceLoader.load(Tool.class, loader).stream().map(ServiceLoader.Provider::get).toList());
        } catch (ServiceConfigurationError e) {
            throw new IllegalArgumentException("cannot load a tool (plugins: " + pluginDirs + "): " + e.getMessage(),
                    e);
        }
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
