package dev.toolformer.systemtests.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;

/**
 * The load of the broker fault tests and what they check after it: {@code requests} simulated calls (20 ms each)
 * for one provider, in bursts of 100 every 100 ms, with a fault injected once a third are published; then every
 * published request must be answered — none lost, none dead-lettered, all SUCCESS, duplicates only from calls in
 * flight — and analytics must count each distinct request exactly once.
 */
final class LoadUnderFault {
    /** A fault to inject. */
    @FunctionalInterface
    interface Fault {
        void inject() throws Exception;
    }

    private LoadUnderFault() {
    }

    static void run(String name, ToolformerClient client, FaultLedger ledger, SloTally tally, String provider,
                    int requests, int maxInFlight, Fault fault) throws Exception {
        List<CompletableFuture<?>> published = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            if (i == requests / 3) {
                fault.inject();
            }
            ToolRequest request = client.newRequest("simulated", "{\"latency_ms\":20}", Duration.ofMinutes(5))
                    .setProvider(provider).build();
            ledger.sending(request.getRequestId());
            published.add(client.publish(request).whenComplete((md, e) -> {
                if (e != null) {
                    ledger.notSent(request.getRequestId());
                }
            }));
            if (i % 100 == 99) {
                Thread.sleep(100);
            }
        }
        CompletableFuture.allOf(published.stream().map(f -> f.exceptionally(e -> null))
                .toArray(CompletableFuture[]::new)).get();

        await().atMost(Duration.ofSeconds(180)).until(() -> ledger.answered() == ledger.sent());
        FaultLedger.Accounting accounting = ledger.accounting();
        System.out.println(name + " accounting: " + accounting);
        assertThat(accounting.sent()).as("publications the producer gave up on").isEqualTo(requests);
        assertThat(accounting.lost()).isZero();
        assertThat(accounting.deadLetters()).isZero();
        Map<String, ToolResult> results = ledger.firstResults();
        assertThat(results.values()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ToolStatus.SUCCESS));
        // Duplicates can only come from requests that were running when the fault hit.
        assertThat(accounting.duplicates()).isLessThanOrEqualTo(maxInFlight);
        // Analytics rode it out too: every distinct request counted once.
        await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                assertThat(tally.requests()).isEqualTo(accounting.unique()));
        System.out.println(name + " analytics counted " + tally.requests() + " requests");
    }
}
