package dev.toolformer.server.dashboard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.javalin.config.JavalinConfig;
import io.javalin.http.BadRequestResponse;
import io.javalin.http.sse.SseClient;
import io.javalin.http.staticfiles.Location;

/**
 * The dashboard's HTTP surface: the page at {@code /} (static files and Chart.js from its WebJar, so
 * nothing comes from the internet), {@code GET /api/dashboard?range=1h} with the history, and
 * {@code /api/dashboard/events}, a server-sent event stream that pushes what changed once a second.
 */
public final class DashboardRoutes implements AutoCloseable {
    /** The ranges the page offers. */
    static final Map<String, Duration> RANGES = Map.of("15m", Duration.ofMinutes(15), "1h", Duration.ofHours(1),
            "6h", Duration.ofHours(6), "24h", Duration.ofHours(24));
    private static final Duration PUSH_INTERVAL = Duration.ofSeconds(1);

    private final DashboardFeed feed;
    private final Set<SseClient> clients = ConcurrentHashMap.newKeySet();
    private final Map<String, DashboardFeed.Item> pending = new LinkedHashMap<>();
    private long sequence;
    private final ScheduledExecutorService pusher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("dashboard-push").daemon().factory());

    public DashboardRoutes(DashboardFeed feed) {
        this.feed = feed;
        feed.onItem(this::queue);
        pusher.scheduleAtFixedRate(this::push, PUSH_INTERVAL.toMillis(), PUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds the page, the JSON history and the event stream to {@code config}. */
    public void register(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.directory = "/dashboard";
            files.location = Location.CLASSPATH;
            // A new version of the page must not run against an old dashboard.js from the cache.
            files.headers = Map.of("Cache-Control", "no-cache");
        });
        config.staticFiles.enableWebjars();
        config.routes.get("/api/dashboard", ctx -> {
            String range = ctx.queryParam("range") == null ? "1h" : ctx.queryParam("range");
            Duration duration = RANGES.get(range);
            if (duration == null) {
                throw new BadRequestResponse("range must be one of 15m, 1h, 6h, 24h, was '" + range + "'");
            }
            ctx.json(feed.snapshot(duration));
        });
        config.routes.sse("/api/dashboard/events", client -> {
            client.keepAlive();
            client.onClose(() -> clients.remove(client));
            clients.add(client);
            client.sendEvent("hello", Map.of("push_interval_ms", PUSH_INTERVAL.toMillis()));
        });
    }

    private synchronized void queue(DashboardFeed.Item item) {
        // Coalesce values: an SLO window updated ten times in a second is pushed once, with its last
        // value. Transitions (alerts, incidents) are all pushed.
        String key = item.latestPerKey() ? item.key() : String.valueOf(sequence++);
        pending.put(item.panel() + "\u0000" + key, item);
    }

    private void push() {
        List<DashboardFeed.Item> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (SseClient client : clients) {
            try {
                if (client.terminated()) {
                    clients.remove(client);
                } else {
                    client.sendEvent("batch", batch);
                }
            } catch (RuntimeException e) {
                clients.remove(client); // the browser went away between the check and the write
            }
        }
    }

    int clients() {
        return clients.size();
    }

    @Override
    public void close() {
        pusher.shutdownNow();
        for (SseClient client : clients) {
            try {
                client.close();
            } catch (RuntimeException e) {
                // already gone
            }
        }
        clients.clear();
    }
}
