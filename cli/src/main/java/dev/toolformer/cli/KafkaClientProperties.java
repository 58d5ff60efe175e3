package dev.toolformer.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The Kafka client properties of a command: those of {@code --kafka-config FILE} (Java properties, so that
 * passwords stay off the command line and out of the process list), overridden by each
 * {@code --kafka-property KEY=VALUE}. A key may be written with or without a {@code kafka.} prefix.
 */
public final class KafkaClientProperties {
    static final String PREFIX = "kafka.";

    private KafkaClientProperties() {
    }

    /** {@code file}'s properties (none when null) with {@code properties} over them, keys without the prefix. */
    public static Map<String, String> merge(Path file, Map<String, String> properties) {
        Map<String, String> merged = new LinkedHashMap<>(file == null ? Map.of() : load(file));
        merged.putAll(unprefixed(properties, "--kafka-property"));
        return merged;
    }

    /** The properties of {@code file}, keys without the prefix. */
    static Map<String, String> load(Path file) {
        Properties loaded = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            loaded.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--kafka-config " + file + ": cannot read it: " + e.getMessage(), e);
        }
        Map<String, String> read = new LinkedHashMap<>();
        loaded.stringPropertyNames().stream().sorted().forEach(key -> read.put(key, loaded.getProperty(key)));
        return unprefixed(read, "--kafka-config " + file);
    }

    private static Map<String, String> unprefixed(Map<String, String> properties, String source) {
        Map<String, String> out = new LinkedHashMap<>();
        properties.forEach((key, value) -> {
            String name = key.strip().startsWith(PREFIX) ? key.strip().substring(PREFIX.length()) : key.strip();
            if (name.isEmpty()) {
                throw new IllegalArgumentException(source + ": a property has no name: '" + key + "'");
            }
            String before = out.put(name, value);
            if (before != null && !before.equals(value)) {
                throw new IllegalArgumentException(source + " sets " + name + " twice (with and without the '"
                        + PREFIX + "' prefix), to different values");
            }
        });
        return out;
    }
}
