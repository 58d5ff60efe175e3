package dev.toolformer.cli;

import java.util.concurrent.Callable;

import dev.toolformer.server.AdminHttpServer;
import dev.toolformer.server.HealthChecks;
import dev.toolformer.server.ProcessMeters;
import dev.toolformer.server.dashboard.DashboardFeed;
import dev.toolformer.server.dashboard.DashboardRoutes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code toolformer dashboard}: the dashboard alone, fed by the aggregate topics of any cluster. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Serve the dashboard for a cluster's aggregate topics (nothing else runs).")
final class DashboardCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String httpHost;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080",
            description = "Port of the page (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
        PrometheusMeterRegistry metrics = ProcessMeters.registry("dashboard");
        try (UntilStopped signal = new UntilStopped();
             DashboardFeed feed = new DashboardFeed(kafka.settings());
             DashboardRoutes routes = new DashboardRoutes(feed);
             HealthChecks health = new HealthChecks().kafka(kafka.settings()).add("dashboard", feed::caughtUp);
             AdminHttpServer http = AdminHttpServer.start(httpHost, httpPort, metrics, health, routes::register);
             DashboardRoutes streams = routes) { // event streams end before the HTTP server stops
            System.err.printf("toolformer dashboard: http://%s:%d/ for %s%n", httpHost, http.port(), kafka.bootstrapServers);
            signal.await();
        } finally {
            metrics.close();
        }
        return 0;
    }
}
