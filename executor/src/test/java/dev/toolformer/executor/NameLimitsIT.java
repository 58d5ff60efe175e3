package dev.toolformer.executor;

import static dev.toolformer.executor.TestTools.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.executor.tools.EchoTool;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Untrusted names do not grow Prometheus, the breakers or the aggregates without bound: 10,000 requests with
 * 10,000 random provider names, through a real broker.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class NameLimitsIT {

    @Test
    @Timeout(180)
    void shouldReportProvidersPastTheLimitAsOtherInMetricsBreakersAndResults(KafkaTestCluster cluster)
            throws Exception {
        int limit = 50;
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (ExecutorHarness harness = new ExecutorHarness(cluster)) {
            ToolExecutor executor = harness.start(harness.config("names").maxUnknownNames(limit).build(),
                    ToolRegistry.of(List.of(new EchoTool())), meters);
            await().atMost(Duration.ofSeconds(30)).until(executor::isReady);
            List<ToolRequest> requests = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                requests.add(request("echo", "{}").setProvider("p-" + UUID.randomUUID()).setModel("m-" + i)
                        .setTimeoutMs(60_000).build());
            }
            requests.add(request("no-such-tool-" + UUID.randomUUID(), "{}").build());
            Set<String> ids = requests.stream().map(ToolRequest::getRequestId).collect(Collectors.toSet());

            harness.send(requests);

            await().atMost(Duration.ofSeconds(150)).until(() -> harness.answered(ids) == ids.size());
            List<ToolResult> results = ids.stream().map(harness::result).toList();
            assertThat(results.stream().map(ToolResult::getProvider).distinct().count()).isLessThanOrEqualTo(limit + 2);
            assertThat(results.stream().map(ToolResult::getModel).distinct().count()).isLessThanOrEqualTo(limit + 2);
            assertThat(results.stream().filter(r -> r.getStatus() == ToolStatus.SUCCESS).count()).isEqualTo(10_000);
            assertThat(results.stream().filter(r -> r.getStatus() == ToolStatus.REJECTED).map(ToolResult::getTool))
                    .containsExactly(NameLimits.OTHER);
            assertThat(distinct(meters, "orchestrator_requests_total", "provider")).hasSizeLessThanOrEqualTo(limit + 2);
            assertThat(distinct(meters, "orchestrator_requests_total", "method")).hasSizeLessThanOrEqualTo(2);
            assertThat(distinct(meters, "resilience4j.circuitbreaker.state", "provider"))
                    .hasSizeLessThanOrEqualTo(limit + 2);
            assertThat(meters.get("toolformer_executor_names_overflowed_total").tag("kind", "provider").counter()
                    .count()).isGreaterThanOrEqualTo(10_000 - limit);
        }
    }

    private static Set<String> distinct(SimpleMeterRegistry meters, String name, String tag) {
        return meters.find(name).meters().stream().map(Meter::getId).map(id -> id.getTag(tag))
                .collect(Collectors.toSet());
    }
}
