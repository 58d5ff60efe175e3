package dev.toolformer.common.tracing;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.instrumentation.kafkaclients.v2_6.KafkaTelemetry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The process's tracing, on the OpenTelemetry <em>API</em> only: the SDK (exporters, sampler, resource) is the
 * application's. The CLI builds one from the {@code OTEL_*} settings and {@link #install installs} it; an
 * application embedding our libraries brings its own ({@link GlobalOpenTelemetry}, or the Java agent's), which is
 * what we use until one is installed. Trace context travels in Kafka record headers (the SDK's propagators, W3C
 * {@code traceparent} by default) through OpenTelemetry's Kafka instrumentation
 * ({@code opentelemetry-kafka-clients-2.6}): producers are wrapped ({@link #traced(Producer)}), so each send is a
 * {@code <topic> publish} span with the {@code messaging.*} attributes, and the Kafka Streams apps trace through
 * their consumer's interceptor ({@link #streamsInterceptors()}), so each record they consume is a
 * {@code <topic> process} span in its producer's trace.
 */
public final class Tracing {
    /** The spec's sampling ratio. */
    public static final double DEFAULT_SAMPLE_RATIO = 0.1;
    private static final String INSTRUMENTATION = "dev.toolformer";

    private static volatile Installed installed;

    private Tracing() {
    }

    /**
     * Makes {@code openTelemetry} the process's tracing (the caller keeps its lifecycle: flushing and closing an
     * SDK is the application's). Null goes back to {@link GlobalOpenTelemetry}.
     */
    public static void install(OpenTelemetry openTelemetry) {
        installed = openTelemetry == null ? null : new Installed(openTelemetry);
    }

    public static OpenTelemetry openTelemetry() {
        return current().openTelemetry;
    }

    public static Tracer tracer() {
        return current().tracer;
    }

    /**
     * {@code producer}, each of whose sends is a {@code PRODUCER} span (child of the current span) whose context
     * the record's headers carry.
     */
    public static <K, V> Producer<K, V> traced(Producer<K, V> producer) {
        return current().kafka.wrap(Objects.requireNonNull(producer, "producer == null"));
    }

    /**
     * The Kafka Streams settings that trace an app through its main consumer's interceptor: each record it reads
     * opens a {@code <topic> process} span in the trace of the record's producer, so a result's trace reaches the
     * analytics. Its producers are not intercepted: the changelog, repartition and aggregate records they send belong
     * to no request's trace, and would each start a trace of its own. The interceptor traces with the tracing current
     * when the app is configured.
     */
    public static Map<String, Object> streamsInterceptors() {
        Map<String, Object> settings = new HashMap<>();
        current().kafka.consumerInterceptorConfigProperties().forEach((key, value) -> settings.put(
                StreamsConfig.mainConsumerPrefix(key), key.equals(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG)
                        ? TracingConsumerInterceptor.class.getName() : value));
        return settings;
    }

    /** The context carried by {@code headers} (a fresh root when they carry none). */
    public static Context extract(Headers headers) {
        return openTelemetry().getPropagators().getTextMapPropagator()
                .extract(Context.root(), headers, KafkaHeaders.INSTANCE);
    }

    /** Writes {@code context}'s span into {@code headers}, replacing any trace context already there. */
    public static void inject(Context context, Headers headers) {
        Objects.requireNonNull(headers, "headers == null");
        openTelemetry().getPropagators().getTextMapPropagator().inject(context, headers, KafkaHeaders.INSTANCE);
    }

    /** The trace id of {@code headers}' context, or null when they carry none. */
    public static String traceId(Headers headers) {
        SpanContext span = Span.fromContext(extract(headers)).getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }

    private static Installed current() {
        Installed now = installed;
        if (now != null) {
            return now;
        }
        OpenTelemetry global = GlobalOpenTelemetry.getOrNoop(); // get() would make the no-op global for good
        Installed fromGlobal = Installed.global;
        if (fromGlobal == null || fromGlobal.openTelemetry != global) {
            fromGlobal = new Installed(global);
            Installed.global = fromGlobal;
        }
        return fromGlobal;
    }

    /** An OpenTelemetry with what we build from it once. */
    private static final class Installed {
        private static volatile Installed global;

        final OpenTelemetry openTelemetry;
        final Tracer tracer;
        final KafkaTelemetry kafka;

        Installed(OpenTelemetry openTelemetry) {
            this.openTelemetry = openTelemetry;
            this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
            this.kafka = KafkaTelemetry.create(openTelemetry);
        }
    }
}
