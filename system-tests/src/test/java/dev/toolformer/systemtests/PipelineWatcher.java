package dev.toolformer.systemtests;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.schema.AlertEvent;
import dev.toolformer.schema.ControlCommand;
import dev.toolformer.schema.SloWindow;

/**
 * What the integration tests assert on, decoded: toolformer.slo, toolformer.alerts and toolformer.control read
 * (read_committed) from where they ended when the watcher was created. The broker is shared by the tests of a
 * JVM, so every query filters by the test's own tool, provider or request id.
 */
public final class PipelineWatcher implements AutoCloseable {
    private static final AvroSerde<SloWindow> WINDOWS = AvroSerde.of(SloWindow.class);
    private static final AvroSerde<AlertEvent> ALERTS = AvroSerde.of(AlertEvent.class);
    private static final AvroSerde<ControlCommand> CONTROL = AvroSerde.of(ControlCommand.class);

    private final List<SloWindow> windows = new CopyOnWriteArrayList<>();
    private final List<AlertEvent> alerts = new CopyOnWriteArrayList<>();
    private final List<ControlCommand> control = new CopyOnWriteArrayList<>();
    private final TopicTail tail;

    public PipelineWatcher(KafkaSettings kafka) {
        tail = new TopicTail(kafka, List.of(Topics.SLO, Topics.ALERTS, Topics.CONTROL), r -> {
            if (r.topic().equals(Topics.SLO.name())) {
                windows.add(WINDOWS.decode(r.value()));
            } else if (r.topic().equals(Topics.ALERTS.name())) {
                alerts.add(ALERTS.decode(r.value()));
            } else {
                control.add(CONTROL.decode(r.value()));
            }
        });
    }

    /** Every update of the SLO windows of {@code tool} and {@code provider}, in arrival order. */
    public List<SloWindow> windows(String tool, String provider) {
        return windows.stream().filter(w -> w.getTool().equals(tool) && w.getProvider().equals(provider)).toList();
    }

    /** Requests counted for {@code tool} and {@code provider}: the latest count of each window, summed. */
    public long requestsCounted(String tool, String provider) {
        Map<?, Long> perWindow = windows(tool, provider).stream()
                .collect(Collectors.toMap(SloWindow::getWindowStart, SloWindow::getRequests, Math::max));
        return perWindow.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Every alert transition seen. */
    public List<AlertEvent> alerts() {
        return List.copyOf(alerts);
    }

    /** The alert transitions whose {@code provider} label is {@code provider}. */
    public List<AlertEvent> alerts(String provider) {
        return alerts.stream().filter(a -> provider.equals(a.getLabels().get("provider"))).toList();
    }

    /** The control commands for {@code provider}. */
    public List<ControlCommand> controlForProvider(String provider) {
        return control.stream().filter(c -> provider.equals(c.getProvider())).toList();
    }

    /** The control commands for the request {@code requestId}. */
    public List<ControlCommand> controlForRequest(String requestId) {
        return control.stream().filter(c -> requestId.equals(c.getRequestId())).toList();
    }

    @Override
    public void close() throws InterruptedException {
        tail.close();
    }
}
