package dev.toolformer.server;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The process-level meters of every service, with the spec's names: {@code memory_usage_bytes} and
 * {@code cpu_usage_percent} by component; plus Micrometer's JVM
 * and process binders.
 */
public final class ProcessMeters {
    private ProcessMeters() {
    }

    /**
     * A Prometheus registry for the process of {@code component} (e.g. "executor"), with the meters of
     * {@link #bind} and trace exemplars on its histograms ({@link TraceExemplars}).
     */
    public static PrometheusMeterRegistry registry(String component) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
                new PrometheusRegistry(), Clock.SYSTEM, new TraceExemplars());
        bind(registry, component);
        return registry;
    }

    /** Binds the JVM, process and spec resource meters for {@code component} (e.g. "executor"). */
    private static void bind(MeterRegistry registry, String component) {
        registry.config().meterFilter(new PrometheusNames());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        // Heap in use: what the spec's HighMemoryUsageBytes rule (heap > 1 GiB) is about.
        Gauge.builder("memory_usage_bytes", memory, m -> m.getHeapMemoryUsage().getUsed())
                .description("Memory usage in bytes").baseUnit("bytes").tag("component", component).register(registry);
        // Heap in use over its maximum: what HighMemoryUsage (> 0.85) watches, whatever the container's limit.
        Gauge.builder("memory_usage_ratio", memory, m -> heapRatio(m.getHeapMemoryUsage().getUsed(),
                        m.getHeapMemoryUsage().getMax()))
                .description("Heap in use over the heap's maximum, 0..1").tag("component", component)
                .register(registry);
        Gauge.builder("cpu_usage_percent", ManagementFactory.getOperatingSystemMXBean(), os ->
                        os instanceof OperatingSystemMXBean sun
                                ? Math.max(0, sun.getProcessCpuLoad() * 100) : Double.NaN)
                .description("CPU usage percentage").tag("component", component).register(registry);
    }

    /** Used over max; NaN (no sample) when the JVM reports no maximum. */
    static double heapRatio(long used, long max) {
        return max > 0 ? (double) used / max : Double.NaN;
    }
}
