package dev.toolformer.systemtests.faults;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.common.topic.Topics;
import dev.toolformer.embedded.testing.TopicTail;
import dev.toolformer.schema.DeadLetter;
import dev.toolformer.schema.ToolResult;

/**
 * Every request a fault test sends, and what became of it: results (and how many per request) and dead
 * letters, read from the result and dead-letter topics (read_committed) from where they ended when the
 * ledger was opened. Its {@link #accounting()} is the line each fault test ends with.
 */
final class FaultLedger implements AutoCloseable {
    private static final AvroSerde<ToolResult> RESULTS = AvroSerde.of(ToolResult.class);
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = AvroSerde.of(DeadLetter.class);

    /** Sent, results, unique results, duplicates, dead letters, lost: what a fault test must account for. */
    record Accounting(long sent, long results, long unique, long duplicates, long deadLetters, long lost) {
        @Override
        public String toString() {
            return "sent=" + sent + " results=" + results + " unique=" + unique + " duplicates=" + duplicates
                    + " dlq=" + deadLetters + " lost=" + lost;
        }
    }

    private final Map<String, AtomicInteger> results = new ConcurrentHashMap<>();
    private final Set<String> deadLettered = ConcurrentHashMap.newKeySet();
    private final Map<String, ToolResult> firstResults = new ConcurrentHashMap<>();
    private final AtomicLong resultRecords = new AtomicLong();
    private final TopicTail tail;

    FaultLedger(KafkaSettings kafka) {
        tail = new TopicTail(kafka, List.of(Topics.RESULTS, Topics.DLQ), record -> {
            if (record.topic().equals(Topics.RESULTS.name())) {
                ToolResult result = RESULTS.decode(record.value());
                AtomicInteger count = results.get(result.getRequestId().toString());
                if (count != null) {
                    count.incrementAndGet();
                    resultRecords.incrementAndGet();
                    firstResults.putIfAbsent(result.getRequestId().toString(), result);
                }
            } else {
                DeadLetter letter = DEAD_LETTERS.decode(record.value());
                if (letter.getOriginalKey() != null && results.containsKey(letter.getOriginalKey().toString())) {
                    deadLettered.add(letter.getOriginalKey().toString());
                }
            }
        });
    }

    /** Registers a request id before it is published, so that its result cannot be missed. */
    void sending(String requestId) {
        results.putIfAbsent(requestId, new AtomicInteger());
    }

    /** Forgets a request whose publication failed: the client was told, so it is not the pipeline's loss. */
    void notSent(String requestId) {
        results.remove(requestId);
    }

    /** Requests with at least one result or a dead letter. */
    long answered() {
        return results.entrySet().stream()
                .filter(e -> e.getValue().get() > 0 || deadLettered.contains(e.getKey())).count();
    }

    long sent() {
        return results.size();
    }

    /** The first result of every answered request. */
    Map<String, ToolResult> firstResults() {
        return Map.copyOf(firstResults);
    }

    Accounting accounting() {
        long sent = results.size();
        long unique = results.values().stream().filter(c -> c.get() > 0).count();
        long records = resultRecords.get();
        long lost = results.entrySet().stream()
                .filter(e -> e.getValue().get() == 0 && !deadLettered.contains(e.getKey())).count();
        return new Accounting(sent, records, unique, records - unique, deadLettered.size(), lost);
    }

    @Override
    public void close() throws InterruptedException {
        tail.close();
    }
}
