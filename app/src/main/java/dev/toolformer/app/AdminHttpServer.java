package dev.toolformer.app;

import java.util.Objects;
import java.util.function.BooleanSupplier;

import java.util.function.Consumer;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The HTTP surface every process serves: {@code /health/live}, {@code /health/ready} (503 until the
 * services it hosts are ready) and {@code /metrics} in the Prometheus text format.
 */
final class AdminHttpServer implements AutoCloseable {
    private final Javalin app;

    private AdminHttpServer(Javalin app) {
        this.app = app;
    }

    static AdminHttpServer start(String host, int port, PrometheusMeterRegistry metrics, BooleanSupplier ready) {
        return start(host, port, metrics, ready, config -> { });
    }

    /** As {@link #start(String, int, PrometheusMeterRegistry, BooleanSupplier)}, plus the routes {@code more} adds. */
    static AdminHttpServer start(String host, int port, PrometheusMeterRegistry metrics, BooleanSupplier ready,
                                 Consumer<JavalinConfig> more) {
        Objects.requireNonNull(metrics, "metrics == null");
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.routes.get("/health/live", ctx -> ctx.json(java.util.Map.of("status", "UP")));
            config.routes.get("/health/ready", ctx -> {
                boolean up = ready.getAsBoolean();
                ctx.status(up ? 200 : 503).json(java.util.Map.of("status", up ? "UP" : "STARTING"));
            });
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                    .result(metrics.scrape()));
            more.accept(config);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot serve HTTP on " + host + ":" + port + " (" + rootMessage(e)
                    + "); choose another port with --http-port", e);
        }
        return new AdminHttpServer(app);
    }

    int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
