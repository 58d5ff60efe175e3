package dev.toolformer.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class KafkaClientPropertiesTest {
    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"svc\" password=\"s3cr3t\";";

    @TempDir
    Path dir;

    @Test
    void shouldReadAFileWithOrWithoutTheKafkaPrefixAndLetEachKafkaPropertyWin() throws Exception {
        Path file = write("""
                # credentials stay off the command line
                kafka.security.protocol=SASL_SSL
                sasl.mechanism=SCRAM-SHA-512
                kafka.sasl.jaas.config=%s
                ssl.truststore.location=/etc/kafka/truststore.p12
                """.formatted(JAAS));
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("kafka.ssl.truststore.location", "/opt/truststore.p12");
        properties.put("client.dns.lookup", "use_all_dns_ips");

        assertThat(KafkaClientProperties.merge(file, properties)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.location", "/opt/truststore.p12",
                "client.dns.lookup", "use_all_dns_ips"));
    }

    @Test
    void shouldUseOnlyTheKafkaPropertiesWithoutAFile() {
        assertThat(KafkaClientProperties.merge(null, Map.of("kafka.acks", "all"))).isEqualTo(Map.of("acks", "all"));
    }

    @Test
    void shouldRejectAKeySetTwiceToDifferentValues() throws Exception {
        Path file = write("kafka.security.protocol=SASL_SSL\nsecurity.protocol=SSL\n");

        assertThatThrownBy(() -> KafkaClientProperties.merge(file, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--kafka-config " + file + " sets security.protocol twice (with and without the 'kafka.'"
                        + " prefix), to different values");
    }

    @Test
    void shouldNameAFileThatCannotBeRead() {
        Path missing = dir.resolve("missing.properties");

        assertThatThrownBy(() -> KafkaClientProperties.merge(missing, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--kafka-config " + missing + ": cannot read it: ");
    }

    @Test
    void shouldBuildTheCommandsSettingsFromTheFileAndTheOptions() throws Exception {
        Path file = write("kafka.security.protocol=SASL_SSL\nkafka.sasl.jaas.config=" + JAAS + "\n");
        Command command = new Command();
        new CommandLine(command).parseArgs("-b", "broker:9093", "--kafka-config", file.toString(),
                "--kafka-property", "security.protocol=SSL");

        var settings = command.kafka.settings();

        assertThat(settings.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(settings.overrides()).isEqualTo(Map.of("security.protocol", "SSL", "sasl.jaas.config", JAAS));
        assertThat(settings.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void shouldExitWithOneLineAndCode2WhenTheFileIsMissing() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Path missing = dir.resolve("nope.properties");
        try {
            assertThat(ToolformerCli.execute("submit", "--tool", "echo", "--kafka-config", missing.toString())).isEqualTo(2);
        } finally {
            System.setErr(originalErr);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("toolformer submit: --kafka-config " + missing
                + ": cannot read it: ");
    }

    @CommandLine.Command(name = "test")
    static final class Command {
        @CommandLine.Mixin
        KafkaOptions kafka;
    }

    private Path write(String text) throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, text);
        return file;
    }
}
