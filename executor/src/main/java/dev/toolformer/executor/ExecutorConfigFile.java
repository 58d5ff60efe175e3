package dev.toolformer.executor;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.toolformer.common.config.SettingsFile;

/**
 * The executor's settings read from a file ({@code toolformer executor --config FILE}): every {@code executor.*}
 * key of the executor README's configuration table, as a {@code .properties} file
 * ({@code executor.max-in-flight=5000}) or YAML, flat or nested ({@code executor: {max-in-flight: 5000}}).
 * Durations take the pipeline's one grammar ({@code 500ms}, {@code 1h30m}, ISO-8601), byte sizes a plain number
 * or a {@code KiB}/{@code MiB}/{@code GiB} suffix. An unknown key or a bad value fails, naming the key: a typo
 * never leaves a setting silently at its default.
 */
public final class ExecutorConfigFile {
    private static final String PREFIX = "executor.";
    private static final String RATE_LIMITS = "executor.rate-limits.";
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");
    private static final Map<String, BiConsumer<ExecutorConfig.Builder, String>> KEYS = keys();

    private final Map<String, String> values;

    private ExecutorConfigFile(SettingsFile file) {
        this.values = file.requireKnown(KEYS.keySet(),
                key -> key.startsWith(RATE_LIMITS) && key.length() > RATE_LIMITS.length(),
                RATE_LIMITS + "<provider>").values();
    }

    /** Reads {@code file}; {@code .yaml}/{@code .yml} as YAML, anything else as a properties file. */
    public static ExecutorConfigFile load(Path file) {
        return SettingsFile.read(file, "executor", ExecutorConfigFile::new);
    }

    /** The settings of a YAML document, flat ({@code executor.max-in-flight: 5}) or nested. */
    public static ExecutorConfigFile ofYaml(String yaml) throws IOException {
        return new ExecutorConfigFile(SettingsFile.ofYaml(yaml));
    }

    /** The settings in {@code values}, keyed by their {@code executor.*} names. */
    public static ExecutorConfigFile of(Map<String, String> values) {
        return new ExecutorConfigFile(SettingsFile.of(values));
    }

    /** Sets every key of the file on {@code builder}; a bad value fails naming its key. */
    public ExecutorConfig.Builder applyTo(ExecutorConfig.Builder builder) {
        Map<String, Double> rates = new LinkedHashMap<>();
        values.forEach((key, value) -> {
            try {
                if (key.startsWith(RATE_LIMITS)) {
                    rates.put(key.substring(RATE_LIMITS.length()), Double.parseDouble(value));
                } else {
                    KEYS.get(key).accept(builder, value);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + " = '" + value + "': " + e.getMessage(), e);
            }
        });
        if (!rates.isEmpty()) {
            builder.providerRates(rates);
        }
        return builder;
    }

    private static Map<String, BiConsumer<ExecutorConfig.Builder, String>> keys() {
        Map<String, BiConsumer<ExecutorConfig.Builder, String>> keys = new TreeMap<>();
        keys.put(PREFIX + "group-id", ExecutorConfig.Builder::groupId);
        keys.put(PREFIX + "max-in-flight", (b, v) -> b.maxInFlight(Integer.parseInt(v)));
        keys.put(PREFIX + "max-in-flight-bytes", (b, v) -> b.maxInFlightBytes(bytes(v)));
        keys.put(PREFIX + "control-replay", (b, v) -> b.controlReplay(duration(v)));
        keys.put(PREFIX + "max-unknown-names", (b, v) -> b.maxUnknownNames(Integer.parseInt(v)));
        keys.put(PREFIX + "max-attempts", (b, v) -> b.maxAttempts(Integer.parseInt(v)));
        keys.put(PREFIX + "max-timeout", (b, v) -> b.maxTimeout(duration(v)));
        keys.put(PREFIX + "retry-backoff", (b, v) -> b.retryBackoff(duration(v)));
        keys.put(PREFIX + "heartbeat-interval", (b, v) -> b.heartbeatInterval(duration(v)));
        keys.put(PREFIX + "liveness-timeout", (b, v) -> b.livenessTimeout(duration(v)));
        keys.put(PREFIX + "max-arguments-bytes", (b, v) -> b.maxArgumentsBytes(Math.toIntExact(bytes(v))));
        keys.put(PREFIX + "processing-order", (b, v) -> b.processingOrder(
                ProcessingOrder.valueOf(v.toUpperCase(Locale.ROOT))));
        keys.put(PREFIX + "partition-queue-limit", (b, v) -> b.partitionQueueLimit(Integer.parseInt(v)));
        keys.put(PREFIX + "revocation-drain", (b, v) -> b.revocationDrain(duration(v)));
        keys.put(PREFIX + "breaker.failure-rate-percent", (b, v) -> b.breakerFailureRatePercent(Float.parseFloat(v)));
        keys.put(PREFIX + "breaker.minimum-calls", (b, v) -> b.breakerMinimumCalls(Integer.parseInt(v)));
        keys.put(PREFIX + "breaker.open-duration", (b, v) -> b.breakerOpenDuration(duration(v)));
        keys.put(PREFIX + "throttle-factor", (b, v) -> b.throttleFactor(Double.parseDouble(v)));
        return Collections.unmodifiableMap(keys);
    }

    private static Duration duration(String value) {
        return SettingsFile.duration(value);
    }

    private static long bytes(String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size in bytes, e.g. 1048576, 512KiB, 64MiB or 1GiB");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        return switch (unit) {
            case "KiB" -> Math.multiplyExact(n, 1L << 10);
            case "MiB" -> Math.multiplyExact(n, 1L << 20);
            case "GiB" -> Math.multiplyExact(n, 1L << 30);
            default -> n;
        };
    }
}
