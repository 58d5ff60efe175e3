package dev.toolformer.executor;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directories of tool plugins: jars, each with its {@code META-INF/services/dev.toolformer.executor.Tool},
 * that the executor loads besides the tools it ships. Named by the environment variable {@value #ENV} (one
 * directory, or several separated by {@code :}); the launcher sets it to {@code plugins/} beside itself and the
 * image to {@code /opt/toolformer/plugins}. A directory named there that does not exist is a configuration
 * error, named as such.
 */
public final class ToolPlugins {
    /** The environment variable naming the plugin directories. */
    public static final String ENV = "TOOLFORMER_PLUGINS";

    private ToolPlugins() {
    }

    /** The directories {@value #ENV} names; none when it is unset or empty. */
    public static List<Path> fromEnvironment() {
        String value = System.getenv(ENV);
        List<Path> dirs = new ArrayList<>();
        if (value != null) {
            for (String part : value.split(File.pathSeparator)) {
                if (!part.isBlank()) {
                    dirs.add(Path.of(part.trim()));
                }
            }
        }
        return dirs;
    }

    /**
     * A class loader that sees the jars of {@code dirs} (sorted by name) on top of this one's classpath; this
     * class's own loader when there are none.
     *
     * @throws IllegalArgumentException naming {@value #ENV} when a directory does not exist
     */
    public static ClassLoader loader(List<Path> dirs) {
        List<URL> jars = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(ENV + " names " + dir + ", which is not a directory");
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path jar : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                    jars.add(jar.toUri().toURL());
                }
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("cannot load the plugins of " + dir + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list the plugins in " + dir + ": " + e.getMessage(), e);
            }
        }
        ClassLoader parent = ToolPlugins.class.getClassLoader();
        return jars.isEmpty() ? parent : new URLClassLoader("toolformer-plugins", jars.toArray(URL[]::new), parent);
    }
}
