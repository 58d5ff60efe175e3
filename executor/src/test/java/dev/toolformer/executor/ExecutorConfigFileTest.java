package dev.toolformer.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutorConfigFileTest {
    private static final Pattern TABLE_KEY = Pattern.compile("^\\| (executor\\.[a-z.-]+)(?:\\.&lt;provider&gt;)? \\|",
            Pattern.MULTILINE);

    /** A value other than the default for every documented key. */
    private static final Map<String, String> NON_DEFAULTS = Map.ofEntries(
            Map.entry("executor.group-id", "team-a-executors"),
            Map.entry("executor.max-in-flight", "500"),
            Map.entry("executor.max-in-flight-bytes", "8MiB"),
            Map.entry("executor.control-replay", "6h"),
            Map.entry("executor.max-unknown-names", "7"),
            Map.entry("executor.max-attempts", "5"),
            Map.entry("executor.max-timeout", "1h30m"),
            Map.entry("executor.retry-backoff", "250ms"),
            Map.entry("executor.heartbeat-interval", "2s"),
            Map.entry("executor.liveness-timeout", "45s"),
            Map.entry("executor.max-arguments-bytes", "64KiB"),
            Map.entry("executor.processing-order", "key"),
            Map.entry("executor.partition-queue-limit", "50"),
            Map.entry("executor.revocation-drain", "9s"),
            Map.entry("executor.rate-limits", "openai=12.5"),
            Map.entry("executor.breaker.failure-rate-percent", "25"),
            Map.entry("executor.breaker.minimum-calls", "40"),
            Map.entry("executor.breaker.open-duration", "1m"),
            Map.entry("executor.throttle-factor", "0.25"));

    @Test
    void shouldSetEveryKeyTheReadmeDocuments(@TempDir Path dir) throws IOException {
        List<String> documented = documentedKeys();
        assertThat(documented).as("keys of executor/README.md's configuration table").hasSizeGreaterThan(15)
                .allSatisfy(key -> assertThat(NON_DEFAULTS).as("a test value for " + key).containsKey(key));
        StringBuilder file = new StringBuilder("# every documented key\n");
        for (String key : documented) {
            String value = NON_DEFAULTS.get(key);
            file.append(key.equals("executor.rate-limits") ? "executor.rate-limits." + value : key + " = " + value)
                    .append('\n');
        }
        Path properties = dir.resolve("executor.properties");
        Files.writeString(properties, file);

        ExecutorConfig config = ExecutorConfigFile.load(properties).applyTo(ExecutorConfig.builder("e-1")).build();

        assertThat(config.groupId()).isEqualTo("team-a-executors");
        assertThat(config.maxInFlight()).isEqualTo(500);
        assertThat(config.maxInFlightBytes()).isEqualTo(8L << 20);
        assertThat(config.controlReplay()).isEqualTo(Duration.ofHours(6));
        assertThat(config.maxUnknownNames()).isEqualTo(7);
        assertThat(config.maxAttempts()).isEqualTo(5);
        assertThat(config.maxTimeout()).isEqualTo(Duration.ofMinutes(90));
        assertThat(config.retryBackoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.livenessTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.maxArgumentsBytes()).isEqualTo(64 << 10);
        assertThat(config.processingOrder()).isEqualTo(ProcessingOrder.KEY);
        assertThat(config.partitionQueueLimit()).isEqualTo(50);
        assertThat(config.revocationDrain()).isEqualTo(Duration.ofSeconds(9));
        assertThat(config.providerRates()).containsExactly(Map.entry("openai", 12.5));
        assertThat(config.breakerFailureRatePercent()).isEqualTo(25f);
        assertThat(config.breakerMinimumCalls()).isEqualTo(40);
        assertThat(config.breakerOpenDuration()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.throttleFactor()).isEqualTo(0.25);
    }

    @Test
    void shouldReadNestedYaml(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("executor.yaml");
        Files.writeString(yaml, """
                executor:
                  max-in-flight: 42
                  breaker:
                    open-duration: 45s
                  rate-limits:
                    "*": 3
                """);

        ExecutorConfig config = ExecutorConfigFile.load(yaml).applyTo(ExecutorConfig.builder("e-1")).build();

        assertThat(config.maxInFlight()).isEqualTo(42);
        assertThat(config.breakerOpenDuration()).isEqualTo(Duration.ofSeconds(45));
        assertThat(config.providerRates()).containsExactly(Map.entry("*", 3.0));
    }

    @Test
    void shouldNameTheFileAndTheKeyOfAnUnknownKey(@TempDir Path dir) throws IOException {
        Path properties = dir.resolve("typo.properties");
        Files.writeString(properties, "executor.max-inflight=5\n");

        assertThatThrownBy(() -> ExecutorConfigFile.load(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(properties.toString())
                .hasMessageContaining("unknown key executor.max-inflight")
                .hasMessageContaining("executor.max-in-flight");
    }

    @Test
    void shouldNameTheKeyAndValueOfABadValue() {
        for (Map.Entry<String, String> bad : Map.of("executor.max-in-flight", "many",
                "executor.max-timeout", "soon", "executor.max-in-flight-bytes", "64MB",
                "executor.processing-order", "random", "executor.rate-limits.openai", "fast").entrySet()) {
            ExecutorConfigFile file = ExecutorConfigFile.of(Map.of(bad.getKey(), bad.getValue()));
            assertThatThrownBy(() -> file.applyTo(ExecutorConfig.builder("e-1")))
                    .as(bad.getKey())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith(bad.getKey() + " = '" + bad.getValue() + "'");
        }
        // Values that parse but the config refuses fail when it is built, with the key's name too.
        assertThatThrownBy(() -> ExecutorConfigFile.of(Map.of("executor.max-in-flight", "0"))
                .applyTo(ExecutorConfig.builder("e-1")).build())
                .hasMessageContaining("executor.max-in-flight");
    }

    private static List<String> documentedKeys() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = TABLE_KEY.matcher(readme);
        Map<String, Boolean> keys = new TreeMap<>();
        while (m.find()) {
            keys.put(m.group(1), true);
        }
        return List.copyOf(keys.keySet());
    }
}
