package dev.toolformer.server;

import java.util.regex.Pattern;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;

/**
 * Keeps third-party meters within Prometheus' naming rules, as {@code promtool check metrics} checks
 * them: meters that count time in ms or ns (Kafka's client metrics, the process CPU time), which
 * Prometheus wants in seconds and a filter cannot rescale, are dropped; gauges named {@code ...count} become {@code ...current}; meters
 * without a description get one. Our own meters are left alone.
 */
final class PrometheusNames implements MeterFilter {
    private static final Pattern ABBREVIATED_TIME = Pattern.compile("\\.(ms|ns)(?=\\.|$)");

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        boolean abbreviated = ABBREVIATED_TIME.matcher(id.getName()).find()
                || "ms".equals(id.getBaseUnit()) || "ns".equals(id.getBaseUnit());
        return abbreviated ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        if (!isThirdParty(id)) {
            return id;
        }
        String name = id.getName();
        if (name.endsWith(".count") && id.getType() == Meter.Type.GAUGE) {
            name = name.substring(0, name.length() - ".count".length()) + ".current";
        }
        String description = id.getDescription() == null || id.getDescription().isBlank()
                ? "Kafka client metric " + id.getName() : id.getDescription();
        return new Meter.Id(name, Tags.of(id.getTags()), id.getBaseUnit(), description, id.getType());
    }

    private static boolean isThirdParty(Meter.Id id) {
        return id.getName().startsWith("kafka.") || id.getName().equals("system.cpu.count");
    }
}
