package dev.toolformer.app;

import java.util.Objects;

import java.util.function.Consumer;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The HTTP surface every process serves: {@code /health/live}, {@code /health/ready} (503 until every
 * check passes; the body lists each check) and {@code /metrics} in the Prometheus text format.
 */
final class AdminHttpServer implements AutoCloseable {
    private final Javalin app;

    private AdminHttpServer(Javalin app) {
        this.app = app;
    }

    /** Serves health, metrics and the routes {@code more} adds. */
    static AdminHttpServer start(String host, int port, PrometheusMeterRegistry metrics, HealthChecks health,
                                 Consumer<JavalinConfig> more) {
        Objects.requireNonNull(metrics, "metrics == null");
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.routes.get("/health/live", ctx -> ctx.json(java.util.Map.of("status", "UP")));
            config.routes.get("/health/ready", ctx -> {
                var report = health.report();
                ctx.status("UP".equals(report.get("status")) ? 200 : 503).json(report);
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
