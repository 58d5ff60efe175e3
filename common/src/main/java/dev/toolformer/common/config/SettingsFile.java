package dev.toolformer.common.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.toolformer.common.time.Durations;

/**
 * A service's settings file ({@code toolformer <service> --config FILE}): flat keys such as
 * {@code executor.max-in-flight}, as a {@code .properties} file ({@code executor.max-in-flight=5000}) or YAML,
 * flat or nested ({@code executor: {max-in-flight: 5000}}). Each service names the keys it knows; an unknown key
 * fails, naming it and the known ones, so a typo never leaves a setting silently at its default.
 */
public final class SettingsFile {
    private final Map<String, String> values;

    private SettingsFile(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    /** Reads {@code file}; {@code .yaml}/{@code .yml} as YAML, anything else as a properties file. */
    public static SettingsFile load(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            String text = Files.readString(file);
            return name.endsWith(".yaml") || name.endsWith(".yml") ? ofYaml(text) : ofProperties(text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The settings {@code settings} makes of {@code file}; an error names the service's config and the file:
     * {@code analytics config FILE: unknown key ...}.
     */
    public static <T> T read(Path file, String service, Function<SettingsFile, T> settings) {
        try {
            return settings.apply(load(file));
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException(service + " config: " + e.getMessage(), e.getCause());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(service + " config " + file + ": " + e.getMessage(), e);
        }
    }

    /** The settings of a YAML document, flat ({@code executor.max-in-flight: 5}) or nested. */
    public static SettingsFile ofYaml(String yaml) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        Map<String, String> flat = new TreeMap<>();
        if (root != null && !root.isMissingNode() && !root.isNull()) {
            if (!root.isObject()) {
                throw new IllegalArgumentException("expected a map of settings");
            }
            flatten("", root, flat);
        }
        return new SettingsFile(flat);
    }

    /** The settings of a properties document. */
    public static SettingsFile ofProperties(String text) throws IOException {
        Properties properties = new Properties();
        try (Reader in = new StringReader(text)) {
            properties.load(in);
        }
        Map<String, String> values = new TreeMap<>();
        properties.stringPropertyNames().forEach(key -> values.put(key.trim(), properties.getProperty(key).trim()));
        return new SettingsFile(values);
    }

    /** The settings in {@code values}. */
    public static SettingsFile of(Map<String, String> values) {
        return new SettingsFile(values);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        node.properties().forEach(field -> {
            String key = prefix + field.getKey();
            if (field.getValue().isObject()) {
                flatten(key + ".", field.getValue(), out);
            } else if (field.getValue().isValueNode()) {
                out.put(key, field.getValue().asText());
            } else {
                throw new IllegalArgumentException(key + ": expected a single value");
            }
        });
    }

    /** Every key and value, sorted by key. */
    public Map<String, String> values() {
        return values;
    }

    /** This file, after checking that each key is one of {@code known}. */
    public SettingsFile requireKnown(Set<String> known) {
        return requireKnown(known, key -> false, null);
    }

    /**
     * This file, after checking that each key is one of {@code known} or accepted by {@code alsoKnown}.
     *
     * @param alsoKnownDescription how the keys {@code alsoKnown} accepts are named in the error, e.g.
     *                             {@code executor.rate-limits.<provider>}; null if none
     */
    public SettingsFile requireKnown(Set<String> known, Predicate<String> alsoKnown, String alsoKnownDescription) {
        for (String key : values.keySet()) {
            if (!known.contains(key) && !alsoKnown.test(key)) {
                String also = alsoKnownDescription == null ? "" : ", " + alsoKnownDescription;
                throw new IllegalArgumentException("unknown key " + key + " (known: "
                        + String.join(", ", new TreeSet<>(known)) + also + ")");
            }
        }
        return this;
    }

    /** The value of {@code key}, or {@code otherwise} when the file does not set it. */
    public String string(String key, String otherwise) {
        return values.getOrDefault(key, otherwise);
    }

    /** The duration at {@code key} (see {@link #duration(String)}), or {@code otherwise}; a bad one names the key. */
    public Duration duration(String key, Duration otherwise) {
        return typed(key, otherwise, SettingsFile::duration);
    }

    /** The number at {@code key}, or {@code otherwise}; a bad one fails naming the key. */
    public double number(String key, double otherwise) {
        return typed(key, otherwise, Double::parseDouble);
    }

    /** The whole number at {@code key}, or {@code otherwise}; a bad one fails naming the key. */
    public int integer(String key, int otherwise) {
        return typed(key, otherwise, Integer::parseInt);
    }

    /** {@code true} or {@code false} at {@code key}, or {@code otherwise}; anything else fails naming the key. */
    public boolean bool(String key, boolean otherwise) {
        return typed(key, otherwise, v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        });
    }

    /** The path at {@code key}, or {@code otherwise}. */
    public Path path(String key, Path otherwise) {
        return typed(key, otherwise, Path::of);
    }

    private <T> T typed(String key, T otherwise, Function<String, T> parse) {
        String value = values.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            return parse.apply(value);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + " = '" + value + "': " + e.getMessage(), e);
        }
    }

    /** A duration in the pipeline's one grammar ({@code 500ms}, {@code 1h30m}, ISO-8601). */
    public static Duration duration(String value) {
        return Durations.parse(value).orElseThrow(() -> new IllegalArgumentException("expected " + Durations.EXPECTED));
    }
}
