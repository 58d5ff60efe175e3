package dev.toolformer.cli;

import java.util.HashMap;
import java.util.Map;

import dev.toolformer.common.tracing.Tracing;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;

/**
 * Builds the process's OpenTelemetry SDK the ecosystem's way, with {@code opentelemetry-sdk-extension-autoconfigure}:
 * every {@code OTEL_*} variable (and {@code otel.*} system property) is honoured — {@code OTEL_SERVICE_NAME},
 * {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_EXPORTER_OTLP_*} (endpoint, headers, protocol, certificates),
 * {@code OTEL_TRACES_SAMPLER}, {@code OTEL_TRACES_EXPORTER}, ... Our defaults, which any of them overrides:
 * {@code service.name} {@code toolformer-<command>}, OTLP over HTTP/protobuf only when an endpoint is given
 * (else nothing is exported, but spans still get ids), parent-based sampling at {@code --trace-sample-ratio},
 * W3C trace context, no OTel metrics or logs (metrics are on {@code /metrics}). {@code --otlp-endpoint} and
 * {@code --trace-sample-ratio}, when given on the command line, win over the environment.
 */
final class TracingSetup {
    private static OpenTelemetrySdk installed;

    private TracingSetup() {
    }

    /**
     * Builds the SDK (see {@link #build}) and makes it the process's tracing: {@link Tracing}'s, and the
     * {@link GlobalOpenTelemetry} the libraries in the process fall back to. A Java agent's SDK, when one is already
     * global, is left in charge (it has its own {@code OTEL_*} configuration).
     */
    static synchronized void install(String service, double sampleRatio, boolean ratioGiven, String endpoint,
                                     boolean endpointGiven, Map<String, String> env) {
        // A real SDK already global (the Java agent's) stays in charge; a no-op one (GlobalOpenTelemetry.get() makes
        // the no-op global for good when nothing was set) does not count.
        boolean realGlobal = GlobalOpenTelemetry.isSet()
                && GlobalOpenTelemetry.getTracerProvider() != TracerProvider.noop();
        if (installed == null && realGlobal) {
            Tracing.install(GlobalOpenTelemetry.get());
            return;
        }
        OpenTelemetrySdk sdk = build(service, sampleRatio, ratioGiven, endpoint, endpointGiven, env);
        Tracing.install(sdk);
        if (!GlobalOpenTelemetry.isSet()) {
            GlobalOpenTelemetry.set(sdk);
        }
        if (installed != null) { // a test running commands in turn: the latest is Tracing's
            installed.close();
        }
        installed = sdk;
    }

    /** Flushes the spans not exported yet and stops exporting; what was installed is forgotten. */
    static synchronized void shutdown() {
        if (installed != null) {
            installed.close();
            installed = null;
        }
    }

    /**
     * @param endpoint       the OTLP/HTTP traces endpoint, or null/blank for none (unless {@code OTEL_*} gives one)
     * @param ratioGiven     whether {@code sampleRatio} was given on the command line (it then wins)
     * @param endpointGiven  whether {@code endpoint} was given on the command line (it then wins)
     */
    static OpenTelemetrySdk build(String service, double sampleRatio, boolean ratioGiven, String endpoint,
                                  boolean endpointGiven, Map<String, String> env) {
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException("trace sample ratio must be between 0 and 1, was " + sampleRatio);
        }
        boolean hasEndpoint = endpoint != null && !endpoint.isBlank();
        boolean otlpFromEnv = !blank(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
                || !blank(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.service.name", service);
        defaults.put("otel.traces.exporter", hasEndpoint || otlpFromEnv ? "otlp" : "none");
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        defaults.put("otel.propagators", "tracecontext,baggage");
        defaults.put("otel.traces.sampler", "parentbased_traceidratio");
        defaults.put("otel.traces.sampler.arg", String.valueOf(sampleRatio));
        if (hasEndpoint) {
            defaults.put("otel.exporter.otlp.traces.endpoint", endpoint.strip());
        }
        Map<String, String> given = new HashMap<>();
        if (endpointGiven && hasEndpoint) {
            given.put("otel.traces.exporter", "otlp");
            given.put("otel.exporter.otlp.traces.endpoint", endpoint.strip());
        }
        if (ratioGiven) {
            given.put("otel.traces.sampler", "parentbased_traceidratio");
            given.put("otel.traces.sampler.arg", String.valueOf(sampleRatio));
        }
        return AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .addPropertiesCustomizer(config -> given)
                // An SDK that exports nothing hands out no-op spans without ids: keep ids for logs and exemplars.
                .addTracerProviderCustomizer((provider, config) -> provider.addSpanProcessor(new IdsOnly()))
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    /** A processor that keeps nothing: with it, an SDK that exports nothing still creates real spans (with ids). */
    private static final class IdsOnly implements SpanProcessor {
        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
        }

        @Override
        public boolean isEndRequired() {
            return false;
        }
    }
}
