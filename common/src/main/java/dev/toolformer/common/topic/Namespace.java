package dev.toolformer.common.topic;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The namespace a process serves: a prefix put before every topic name, consumer group id and Streams
 * application id, so that several pipelines (staging and production, or one per integration test) can
 * share one Kafka cluster without reading each other's records. Empty by default: topics are then
 * named exactly as in {@link Topics} ({@code toolformer.requests}, ...). Set it with the environment
 * variable {@value #ENV} (for instance {@code staging.} gives {@code staging.toolformer.requests}); every
 * process of one pipeline, and every producer written in another language, must use the same prefix.
 * <p>
 * A process serves one namespace at a time. Only tests switch it, between test classes
 * ({@code EmbeddedKafkaExtension} gives each class fresh topics this way).
 */
public final class Namespace {
    /** The environment variable holding the prefix. */
    public static final String ENV = "TOOLFORMER_NAMESPACE";
    private static final Pattern VALID = Pattern.compile("[a-zA-Z0-9._-]{0,100}");

    private static volatile String prefix;

    private Namespace() {
    }

    /**
     * The prefix of this process, read from {@value #ENV} on first use.
     *
     * @throws IllegalArgumentException naming {@value #ENV} when its value is not a valid topic prefix
     */
    public static String prefix() {
        String current = prefix;
        if (current == null) {
            String fromEnvironment = System.getenv(ENV);
            current = validated(fromEnvironment == null ? "" : fromEnvironment.trim());
            prefix = current;
        }
        return current;
    }

    /** {@code name} in this namespace: the prefix, then the name. */
    public static String qualify(String name) {
        Objects.requireNonNull(name, "name == null");
        return prefix() + name;
    }

    /** Serves {@code newPrefix} from now on (tests give each test class its own). */
    public static void use(String newPrefix) {
        prefix = validated(Objects.requireNonNull(newPrefix, "prefix == null"));
    }

    private static String validated(String value) {
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException(ENV + "=\"" + value + "\" is not a valid namespace: expected at most"
                    + " 100 of the characters a Kafka topic name allows (letters, digits, '.', '_', '-')");
        }
        return value;
    }
}
