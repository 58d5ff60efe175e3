package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToolPluginsTest {
    @TempDir
    Path dir;

    @Test
    void shouldKeepTheShippedToolsWithAnEmptyPluginDirectory() {
        assertThat(ToolRegistry.discover(List.of(dir)).names()).contains("echo", "http", "simulated");
        assertThat(ToolPlugins.loader(List.of(dir))).isSameAs(ToolPlugins.class.getClassLoader());
    }

    @Test
    void shouldNameTheVariableAndTheDirectoryThatIsNotThere() {
        Path missing = dir.resolve("nope");
        assertThatIllegalArgumentException().isThrownBy(() -> ToolRegistry.discover(List.of(missing)))
                .withMessage("TOOLFORMER_PLUGINS names " + missing + ", which is not a directory");
    }

    @Test
    void shouldFailNamingTheJarWhoseToolCannotBeLoaded() throws Exception {
        Path jar = dir.resolve("broken.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("META-INF/services/dev.toolformer.executor.Tool"));
            out.write("example.Missing\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThatIllegalArgumentException().isThrownBy(() -> ToolRegistry.discover(List.of(dir)))
                .withMessageStartingWith("cannot load a tool (plugins: [" + dir + "]): ")
                .withMessageContaining("example.Missing");
    }
}
