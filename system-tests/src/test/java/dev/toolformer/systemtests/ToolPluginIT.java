package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import dev.toolformer.common.topic.Namespace;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.ToolPlugins;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool that ships in no module of this build: compiled from source at test time into a jar, dropped into a
 * plugin directory, and run by an executor started through the real {@code ./toolformer} launcher (which runs
 * {@code java -jar}, whose manifest classpath alone would never see the jar).
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class ToolPluginIT {
    private static final String SOURCE = """
            package example.plugin;

            import dev.toolformer.executor.Tool;
            import dev.toolformer.executor.ToolCall;
            import dev.toolformer.executor.ToolOutput;

            public final class GreetTool implements Tool {
                @Override
                public String name() {
                    return "greet";
                }

                @Override
                public ToolOutput execute(ToolCall call) {
                    return ToolOutput.of("{\\"greeting\\":\\"hello " + call.arguments().path("name").asText() + "\\"}");
                }
            }
            """;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldRunARequestThroughAToolDroppedIntoThePluginDirectory(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        buildPlugin(dir.resolve("build"), plugins.resolve("greet-tool.jar"));
        Path root = Path.of("..").toAbsolutePath().normalize();
        // The jar this build packaged is current: the launcher must not start a second build inside this one.
        Files.writeString(root.resolve("cli/target/.toolformer-built"), "");

        ProcessBuilder builder = new ProcessBuilder(root.resolve("toolformer").toString(), "executor",
                "--bootstrap-servers", cluster.bootstrapServers(), "--http-port", "0",
                "--executor-id", "plugin-executor", "--data-dir", dir.resolve("data").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("executor.log").toFile());
        builder.environment().put(ToolPlugins.ENV, plugins.toString());
        builder.environment().put(Namespace.ENV, Namespace.prefix());
        Process executor = builder.start();
        try (ToolformerClient client = new ToolformerClient(cluster.settings())) {
            ToolResult result = client.submit(client.newRequest("greet", "{\"name\":\"plugins\"}",
                    Duration.ofSeconds(60)).build(), Duration.ofSeconds(150)).get(160, TimeUnit.SECONDS);

            assertThat(result.getStatus()).as(Files.readString(dir.resolve("executor.log")))
                    .isEqualTo(ToolStatus.SUCCESS);
            assertThat(result.getOutputJson()).isEqualTo("{\"greeting\":\"hello plugins\"}");
        } finally {
            executor.destroy();
            if (!executor.waitFor(30, TimeUnit.SECONDS)) {
                executor.destroyForcibly();
            }
        }
    }

    /** Compiles {@link #SOURCE} against this test's classpath and jars it with its service file. */
    private static void buildPlugin(Path work, Path jar) throws IOException {
        Path src = work.resolve("src/example/plugin/GreetTool.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, SOURCE);
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int code = javac.run(null, null, null, "-classpath", System.getProperty("java.class.path"), "-d",
                classes.toString(), src.toString());
        assertThat(code).as("javac of the plugin").isZero();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("META-INF/services/dev.toolformer.executor.Tool"));
            write(out, "example.plugin.GreetTool\n");
            out.closeEntry();
        }
        assertThat(jar).isNotEmptyFile();
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }
}
