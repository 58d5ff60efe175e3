package dev.toolformer.systemtests.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The image's build stage runs Maven on the root pom, which fails when a module it lists was not copied in: every
 * module of {@code pom.xml} must be copied by the {@code Dockerfile} before its {@code RUN ./mvnw}, together with
 * {@code config/} (the bundled price table and the Checkstyle rules the build reads).
 */
class DockerfileTest {
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

    @Test
    void shouldCopyEveryModuleOfTheBuildBeforeRunningIt() throws IOException {
        List<String> modules = new ArrayList<>();
        Matcher m = MODULE.matcher(Files.readString(Path.of("../pom.xml")));
        while (m.find()) {
            modules.add(m.group(1));
        }
        assertThat(modules).contains("cli", "system-tests");
        List<String> lines = Files.readAllLines(Path.of("../Dockerfile"));
        int build = lines.indexOf(lines.stream().filter(l -> l.startsWith("RUN ./mvnw")).findFirst().orElseThrow());
        List<String> copied = lines.subList(0, build).stream().filter(l -> l.startsWith("COPY "))
                .map(l -> l.split("\\s+")[1]).toList();
        assertThat(copied).as("COPY lines before the build").containsAll(modules).contains("config", "mvnw", ".mvn");
    }
}
