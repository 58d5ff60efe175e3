package dev.toolformer.producer;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import dev.toolformer.schema.ToolRequest;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.schema.ToolStatus;

/**
 * Publishes synthetic tool calls at a steady rate: a mix of the {@code echo} tool and
 * {@code simulated} LLM-backed tools across providers and models, with a speculative share and
 * injected failures and timeouts (see {@link LoadProfile}). Like an agent, it reports the outcome of each
 * speculative call once its result arrives: used at the profile's hit rate, discarded otherwise, and always
 * discarded when the call did not succeed.
 */
public final class LoadGenerator {
    /** A provider/model pair the simulated tool pretends to call, with typical token counts. */
    record Model(String provider, String model, int inputTokens, int outputTokens) {
    }

    static final List<Model> MODELS = List.of(
            new Model("openai", "gpt-4o-mini", 600, 150),
            new Model("openai", "gpt-4o", 900, 250),
            new Model("anthropic", "claude-3-5-haiku", 700, 180),
            new Model("anthropic", "claude-3-5-sonnet", 1_000, 300),
            new Model("local", "llama-3.1-8b", 500, 120));
    private static final List<String> SIMULATED_TOOLS = List.of("web_search", "code_interpreter", "calculator", "retrieval");

    /** Reason of a used speculative result. */
    static final String USED = "agent used the speculative result";
    /** Reason of a successful speculative result the agent did not need. */
    static final String NOT_NEEDED = "agent took another path";
    /** Mixed into the seed of the agent's decisions, so that they leave the sequence of requests as it was. */
    private static final long DECISIONS_SEED = 0x5bd1e995L;

    private final ToolformerClient client;
    private final LoadProfile profile;
    private final SplittableRandom random;
    private final SplittableRandom decisions;
    /** Speculative requests awaiting their result: whether the agent will use it. */
    private final Map<String, Boolean> speculative = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failedToSend = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong outcomesFailedToSend = new AtomicLong();

    /** A generator publishing through {@code client}, whose results it watches to report speculation outcomes. */
    public LoadGenerator(ToolformerClient client, LoadProfile profile) {
        this.client = Objects.requireNonNull(client, "client == null");
        this.profile = Objects.requireNonNull(profile, "profile == null");
        this.random = new SplittableRandom(profile.seed());
        this.decisions = new SplittableRandom(profile.seed() ^ DECISIONS_SEED);
        client.onResult(this::reportOutcome);
    }

    /**
     * Publishes {@code ratePerSecond} requests a second for {@code duration}, calling {@code onSent}
     * for each before it is published. Blocks until done or interrupted; returns how many were sent.
     */
    public long run(double ratePerSecond, Duration duration, Consumer<ToolRequest> onSent) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be > 0 requests/s, was " + ratePerSecond);
        }
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long intervalNanos = (long) (TimeUnit.SECONDS.toNanos(1) / ratePerSecond);
        long due = 0;
        long next = start;
        while (!Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            // Send everything that fell due since the last tick, then sleep until the next one.
            long shouldHaveSent = (now - start) / Math.max(intervalNanos, 1) + 1;
            for (; due < shouldHaveSent; due++) {
                ToolRequest request = next();
                onSent.accept(request);
                client.publish(request).whenComplete((m, e) -> {
                    (e == null ? sent : failedToSend).incrementAndGet();
                    if (e != null) {
                        speculative.remove(request.getRequestId());
                    }
                });
            }
            next = Math.max(next + intervalNanos, now + TimeUnit.MICROSECONDS.toNanos(200));
            LockSupport.parkNanos(Math.min(next, end) - now);
        }
        client.flush();
        return due;
    }

    /** Requests the broker acknowledged. */
    public long acknowledged() {
        return sent.get();
    }

    /** Requests the producer failed to publish. */
    public long failedToSend() {
        return failedToSend.get();
    }

    /** Speculation outcomes the broker acknowledged with {@code used = true}. */
    public long hitsReported() {
        return hits.get();
    }

    /** Speculation outcomes the broker acknowledged with {@code used = false}. */
    public long missesReported() {
        return misses.get();
    }

    /** Speculation outcomes the producer failed to publish. */
    public long outcomesFailedToSend() {
        return outcomesFailedToSend.get();
    }

    /** The agent's decision on a speculative request of this generator, once its result is read. */
    private void reportOutcome(ToolResult result) {
        Boolean wouldUse = speculative.remove(result.getRequestId());
        if (wouldUse == null) {
            return;
        }
        boolean succeeded = result.getStatus() == ToolStatus.SUCCESS;
        boolean used = wouldUse && succeeded;
        String reason = used ? USED : succeeded ? NOT_NEEDED : "speculative call ended " + result.getStatus();
        client.reportOutcome(result, used, reason).whenComplete((m, e) ->
                (e != null ? outcomesFailedToSend : used ? hits : misses).incrementAndGet());
    }

    /** The next synthetic request. */
    synchronized ToolRequest next() {
        ToolRequest request = nextRequest();
        if (request.getSpeculative()) {
            speculative.put(request.getRequestId(), decisions.nextDouble() < profile.speculationHitRate());
        }
        return request;
    }

    private ToolRequest nextRequest() {
        boolean speculative = random.nextDouble() < profile.speculativeShare();
        if (random.nextDouble() < profile.echoShare()) {
            String args = String.format(Locale.ROOT, "{\"message\":\"ping %d\"}", random.nextInt(1_000_000));
            return client.newRequest("echo", args, Duration.ofMillis(profile.timeoutMs()))
                    .setProvider("local").setModel("none").setSpeculative(speculative).build();
        }
        Model model = MODELS.get(random.nextInt(MODELS.size()));
        String tool = SIMULATED_TOOLS.get(random.nextInt(SIMULATED_TOOLS.size()));
        // Log-normal with sigma 0.5 whose mean is meanLatencyMs: a long tail, like real model calls.
        long latency = Math.round(profile.meanLatencyMs() * Math.exp(0.5 * random.nextGaussian() - 0.125));
        if (random.nextDouble() < profile.timeoutRate()) {
            latency = profile.timeoutMs() * 2;
        }
        String args = String.format(Locale.ROOT,
                "{\"name\":\"%s\",\"latency_ms\":%d,\"fail_probability\":%s,\"input_tokens\":%d,\"output_tokens\":%d}",
                tool, latency, profile.failureRate(), jitter(model.inputTokens()), jitter(model.outputTokens()));
        return client.newRequest("simulated", args, Duration.ofMillis(profile.timeoutMs()))
                .setProvider(model.provider()).setModel(model.model()).setSpeculative(speculative).build();
    }

    private int jitter(int tokens) {
        return (int) Math.round(tokens * random.nextDouble(0.7, 1.3));
    }
}
