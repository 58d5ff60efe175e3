package dev.toolformer.server.dashboard;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import dev.toolformer.common.kafka.KafkaSettings;
import dev.toolformer.common.serde.DecodeException;
import dev.toolformer.common.serde.RecordJson;
import dev.toolformer.common.topic.Topic;
import dev.toolformer.common.topic.TopicFollower;
import dev.toolformer.common.topic.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the dashboard shows, read straight from the aggregate topics of any cluster: the last 24 h of
 * SLO, burn-rate, cost, speculation and health records (latest value per key) and of alert and
 * incident transitions (every one). A {@link TopicFollower} reads them; readers get copies.
 */
public final class DashboardFeed implements AutoCloseable {
    /** How far back the dashboard reads and keeps. */
    public static final Duration HISTORY = Duration.ofHours(24);
    private static final int MAX_TRANSITIONS = 5_000;

    /** A panel's source: a topic and whether the dashboard keeps its latest value per key or every record. */
    enum Panel {
        SLO("slo", Topics.SLO, true),
        BURN_RATES("burn_rates", Topics.BURN_RATES, true),
        COST("cost", Topics.COST, true),
        SPECULATION("speculation", Topics.SPECULATION, true),
        HEALTH("health", Topics.HEALTH, true),
        ALERTS("alerts", Topics.ALERTS, false),
        INCIDENTS("incidents", Topics.INCIDENTS, false);

        final String field;
        final Topic<? extends SpecificRecord> topic;
        final boolean latestPerKey;

        Panel(String field, Topic<? extends SpecificRecord> topic, boolean latestPerKey) {
            this.field = field;
            this.topic = topic;
            this.latestPerKey = latestPerKey;
        }
    }

    /**
     * One record as the page sees it.
     *
     * @param latestPerKey true when a newer record of the same key replaces this one on the page
     */
    public record Item(String panel, String key, long timestamp, boolean latestPerKey, Map<String, Object> value) {
    }

    private final TopicFollower follower;
    private final Map<String, Panel> panelByTopic = new HashMap<>();
    private final Map<Panel, LinkedHashMap<String, Item>> latest = new HashMap<>();
    private final Map<Panel, Deque<Item>> transitions = new HashMap<>();
    private final List<Consumer<Item>> listeners = new CopyOnWriteArrayList<>();

    public DashboardFeed(KafkaSettings kafka) {
        List<String> topics = new ArrayList<>();
        for (Panel panel : Panel.values()) {
            panelByTopic.put(panel.topic.name(), panel);
            latest.put(panel, new LinkedHashMap<>());
            transitions.put(panel, new ArrayDeque<>());
            topics.add(panel.topic.name());
        }
        follower = TopicFollower.of(kafka, topics, "dashboard-feed").since(Instant.now().minus(HISTORY));
        follower.start(this::accept);
    }

    /** Calls {@code listener} on the feed's thread for every record read after history was loaded. */
    public void onItem(Consumer<Item> listener) {
        listeners.add(listener);
    }

    /** True once the history present at start has been read. */
    public boolean caughtUp() {
        return follower.caughtUp();
    }

    /** Everything within {@code range} of now, per panel; latest value per key where that is the panel's kind. */
    public synchronized Map<String, Object> snapshot(Duration range) {
        long since = System.currentTimeMillis() - range.toMillis();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("now", System.currentTimeMillis());
        out.put("range_ms", range.toMillis());
        for (Panel panel : Panel.values()) {
            List<Item> items = new ArrayList<>();
            if (panel.latestPerKey) {
                for (Item item : latest.get(panel).values()) {
                    // Health is a table of executors: every executor stays visible whatever the range.
                    if (panel == Panel.HEALTH || item.timestamp() >= since) {
                        items.add(item);
                    }
                }
                items.sort(Comparator.comparingLong(Item::timestamp));
            } else {
                // Every transition in range, plus the latest of each alert whatever its age: an alert
                // firing for longer than the range is still firing.
                Map<String, Item> newestOutOfRange = new LinkedHashMap<>();
                for (Item item : transitions.get(panel)) {
                    if (item.timestamp() >= since) {
                        items.add(item);
                        newestOutOfRange.remove(item.key());
                    } else if (panel == Panel.ALERTS) {
                        newestOutOfRange.put(item.key(), item);
                    }
                }
                items.addAll(0, newestOutOfRange.values());
            }
            out.put(panel.field, items);
        }
        return out;
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        Panel panel = panelByTopic.get(record.topic());
        if (record.value() == null && panel.latestPerKey) {
            synchronized (this) {
                latest.get(panel).remove(record.key()); // a tombstone: e.g. an executor forgotten by analytics
            }
            return;
        }
        Map<String, Object> value;
        try {
            value = RecordJson.toMap(panel.topic.valueSerde().deserializer().deserialize(record.topic(), record.value()));
            value.remove("latency_sketch"); // for merging windows, not for people: keep the page light
        } catch (DecodeException e) {
            return; // the services dead-letter what they cannot read; the dashboard just skips it
        }
        Item item = new Item(panel.field, record.key(), record.timestamp(), panel.latestPerKey, value);
        synchronized (this) {
            if (panel.latestPerKey) {
                LinkedHashMap<String, Item> byKey = latest.get(panel);
                byKey.remove(record.key());
                byKey.put(record.key(), item);
                prune(byKey);
            } else {
                Deque<Item> list = transitions.get(panel);
                list.addLast(item);
                while (list.size() > MAX_TRANSITIONS
                        || (!list.isEmpty() && list.peekFirst().timestamp() < cutoff())) {
                    list.removeFirst();
                }
            }
        }
        if (follower.caughtUp()) {
            for (Consumer<Item> listener : listeners) {
                listener.accept(item);
            }
        }
    }

    /** Drops entries older than the history, oldest-written first (the map is in write order). */
    private void prune(LinkedHashMap<String, Item> byKey) {
        long cutoff = cutoff();
        var it = byKey.values().iterator();
        while (it.hasNext()) {
            Item first = it.next();
            if (first.timestamp() >= cutoff) {
                break;
            }
            it.remove();
        }
    }

    private static long cutoff() {
        return System.currentTimeMillis() - HISTORY.toMillis();
    }

    @Override
    public void close() {
        follower.close();
    }
}
