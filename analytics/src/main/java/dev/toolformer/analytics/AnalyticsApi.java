package dev.toolformer.analytics;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

import dev.toolformer.common.serde.RecordJson;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * The dashboard's JSON over HTTP, answered from {@link AnalyticsQueries}: {@code GET /api/slo},
 * {@code /api/burn-rates}, {@code /api/cost}, {@code /api/speculation} and {@code /api/health}, each a JSON
 * array of the topic's records (field names as in the schemas, timestamps ISO-8601). The windowed ones
 * take {@code from} and {@code to} (ISO-8601 instants; default the last hour) and list the windows that
 * start within them. Every instance owns a share of the groups: an answer merges this instance's stores
 * with its peers' ({@link Peers}, asked with {@code local=true}). 400 for a bad parameter, 503 while the
 * stores are not queryable (starting, rebalancing), 502 when a peer does not answer. Mount it on a Javalin
 * being configured: {@code Javalin.create(c -> api.register(c))}.
 */
public final class AnalyticsApi {
    public static final Duration DEFAULT_RANGE = Duration.ofHours(1);

    private final AnalyticsQueries queries;
    private final Peers peers;
    private final LongSupplier clock;

    /** An API answering from {@code queries} alone, as a single instance. */
    public AnalyticsApi(AnalyticsQueries queries) {
        this(queries, Peers.none(), System::currentTimeMillis);
    }

    AnalyticsApi(AnalyticsQueries queries, Peers peers, LongSupplier clock) {
        this.queries = Objects.requireNonNull(queries, "queries == null");
        this.peers = Objects.requireNonNull(peers, "peers == null");
        this.clock = Objects.requireNonNull(clock, "clock == null");
    }

    /** Adds the {@code /api/...} routes and their error mapping to {@code config}. */
    public void register(JavalinConfig config) {
        config.routes.get("/api/slo", ctx -> answer(ctx, queries.slo(from(ctx), to(ctx)),
                "window_start", "tool", "provider"));
        config.routes.get("/api/burn-rates", ctx -> answer(ctx, queries.burnRates(), "slo"));
        config.routes.get("/api/cost", ctx -> answer(ctx, queries.cost(from(ctx), to(ctx)),
                "window_size", "window_start", "provider", "model"));
        config.routes.get("/api/speculation", ctx -> answer(ctx, queries.speculation(from(ctx), to(ctx)),
                "window_start", "tool"));
        config.routes.get("/api/health", ctx -> answer(ctx, queries.health(), "executor_id"));
        config.routes.exception(InvalidStateStoreException.class, (e, ctx) ->
                ctx.status(503).json(Map.of("error", "analytics state is not queryable yet: " + e.getMessage())));
        config.routes.exception(Peers.Unavailable.class, (e, ctx) -> ctx.status(502).json(Map.of("error",
                e.getMessage())));
        config.routes.exception(BadParameter.class, (e, ctx) -> ctx.status(400).json(Map.of("error", e.getMessage())));
    }

    /** This instance's records, plus its peers' unless asked for the local share only, sorted by {@code order}. */
    private void answer(Context ctx, List<? extends IndexedRecord> local, String... order) {
        List<Map<String, Object>> items = new ArrayList<>(local.stream().map(RecordJson::toMap).toList());
        if (!"true".equals(ctx.queryParam("local"))) {
            String query = ctx.queryString();
            items.addAll(peers.fetch(ctx.path() + "?" + (query == null || query.isEmpty() ? "" : query + "&")
                    + "local=true"));
        }
        Comparator<Map<String, Object>> byFields = Comparator.comparing(item -> String.valueOf(item.get(order[0])));
        for (int i = 1; i < order.length; i++) {
            String field = order[i];
            byFields = byFields.thenComparing(item -> String.valueOf(item.get(field)));
        }
        items.sort(byFields);
        ctx.json(items);
    }

    private Instant from(Context ctx) {
        Instant to = to(ctx);
        Instant from = instant(ctx, "from", to.minus(DEFAULT_RANGE));
        if (from.isAfter(to)) {
            throw new BadParameter("from must not be after to, was from=" + from + " to=" + to);
        }
        return from;
    }

    private Instant to(Context ctx) {
        return instant(ctx, "to", Instant.ofEpochMilli(clock.getAsLong()));
    }

    private static Instant instant(Context ctx, String name, Instant fallback) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeException e) {
            throw new BadParameter(name + " must be an ISO-8601 instant such as 2026-01-01T12:00:00Z, was '"
                    + value + "'");
        }
    }

    /** A query parameter that cannot be used; answered with 400. */
    static final class BadParameter extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadParameter(String message) {
            super(message);
        }
    }
}
