package dev.toolformer.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface every process serves: {@code /health/live}, {@code /health/ready} (503 until every
 * check passes; the body lists each check) and {@code /metrics} in the Prometheus text format (all of it, or the
 * families named by {@code name[]} parameters), plus
 * the admin endpoints of the process if it has any ({@link AdminRoutes}).
 */
public final class AdminHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHttpServer.class);
    private final Javalin app;

    private AdminHttpServer(Javalin app) {
        this.app = app;
    }

    private static final String OPENMETRICS = "application/openmetrics-text";
    private static final String OPENMETRICS_TYPE = OPENMETRICS + "; version=1.0.0; charset=utf-8";
    private static final String TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** Serves health, metrics and the routes {@code more} adds; no admin endpoints. */
    public static AdminHttpServer start(String host, int port, PrometheusMeterRegistry metrics, HealthChecks health,
                                 Consumer<JavalinConfig> more) {
        return start(host, port, metrics, health, null, more);
    }

    /** Serves health, metrics, the admin endpoints of {@code admin} (null: none) and the routes {@code more} adds. */
    public static AdminHttpServer start(String host, int port, PrometheusMeterRegistry metrics, HealthChecks health,
                                 AdminRoutes admin, Consumer<JavalinConfig> more) {
        Objects.requireNonNull(metrics, "metrics == null");
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = host;
            config.jetty.port = port;
            config.routes.get("/health/live", ctx -> {
                var report = health.liveReport();
                ctx.status("UP".equals(report.get("status")) ? 200 : 503).json(report);
            });
            config.routes.get("/health/ready", ctx -> {
                var report = health.report();
                ctx.status("UP".equals(report.get("status")) ? 200 : 503).json(report);
            });
            config.routes.get("/metrics", ctx -> {
                // OpenMetrics (with the histograms' trace exemplars) for a scraper that asks for it, else the
                // classic text format. name[]=... (repeatable, as Prometheus' own client serves it) renders only
                // those metric families (a counter's name without _total): a cheap probe of one gauge rather than
                // the process's hundreds of series.
                String accept = ctx.header("Accept");
                String type = accept != null && accept.contains(OPENMETRICS) ? OPENMETRICS_TYPE : TEXT_TYPE;
                List<String> names = ctx.queryParams("name[]");
                ctx.contentType(type).result(names.isEmpty() ? metrics.scrape(type)
                        : metrics.scrape(type, Set.copyOf(names)));
            });
            if (admin != null) {
                admin.register(config);
            }
            more.accept(config);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot serve HTTP on " + host + ":" + port + " (" + rootMessage(e)
                    + "); choose another port with --http-port", e);
        }
        warnIfReachable(host, admin);
        return new AdminHttpServer(app);
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }

    /** Says what other hosts can reach when {@code host} is not a loopback address. */
    static void warnIfReachable(String host, AdminRoutes admin) {
        if (isLoopback(host)) {
            return;
        }
        if (admin == null) {
            log.info("HTTP on {} is reachable from other hosts; its endpoints are read-only and unauthenticated", host);
        } else if (!admin.enabled()) {
            log.warn("HTTP on {} is reachable from other hosts and no admin token is configured: admin actions are"
                    + " disabled ({} to enable them); read-only endpoints are unauthenticated", host,
                    AdminToken.HOW_TO_ENABLE);
        } else {
            log.info("HTTP on {} is reachable from other hosts; admin actions need the bearer token, which travels"
                    + " in clear text unless a TLS proxy fronts this port", host);
        }
    }

    /** True for 127.0.0.0/8, ::1 and names that resolve only to those (localhost). */
    static boolean isLoopback(String host) {
        try {
            InetAddress[] addresses = InetAddress.getAllByName(host);
            for (InetAddress address : addresses) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return addresses.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
