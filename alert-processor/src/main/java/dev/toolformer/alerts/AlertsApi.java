package dev.toolformer.alerts;

import java.util.Objects;

import dev.toolformer.common.serde.RecordJson;
import io.javalin.config.JavalinConfig;

/**
 * The alert processor's read API, served by whatever hosts it (the standalone {@code alert-processor} and the
 * all-in-one alike): {@code GET /api/alerts} (the alerts firing now, as this instance sees them) and
 * {@code GET /api/silences} (silences and acknowledgements stored now), each a JSON array of the records'
 * fields. Register it while a Javalin app is being configured: {@code Javalin.create(api::register)}.
 */
public final class AlertsApi {
    private final AlertProcessorService service;

    AlertsApi(AlertProcessorService service) {
        this.service = Objects.requireNonNull(service, "service == null");
    }

    public void register(JavalinConfig config) {
        config.routes.get("/api/alerts", ctx -> ctx.json(service.firingAlerts().values().stream()
                .map(RecordJson::toMap).toList()));
        config.routes.get("/api/silences", ctx -> ctx.json(service.silences().stream()
                .map(RecordJson::toMap).toList()));
    }
}
