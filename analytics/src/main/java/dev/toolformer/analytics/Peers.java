package dev.toolformer.analytics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The other analytics instances of the application, as {@code host:port} of their HTTP API (their Streams
 * {@code application.server}), and how to ask them for their share of an answer: the same path with
 * {@code local=true}, so that they answer from their own stores only. Without {@code application.server}
 * an instance knows no peers and answers alone.
 */
final class Peers {
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, Object>>> ITEMS = new TypeReference<>() {
    };

    private final Supplier<List<String>> hostPorts;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    Peers(Supplier<List<String>> hostPorts) {
        this.hostPorts = Objects.requireNonNull(hostPorts, "hostPorts == null");
    }

    static Peers none() {
        return new Peers(List::of);
    }

    /** The clients of {@code streams}' application other than {@code self} ({@code host:port}, may be null). */
    static Peers of(KafkaStreams streams, String self) {
        return new Peers(() -> streams.metadataForAllStreamsClients().stream()
                .map(StreamsMetadata::hostInfo)
                .filter(host -> host != null && host.port() > 0 && !HostInfo.unavailable().equals(host))
                .map(host -> host.host() + ":" + host.port())
                .filter(hostPort -> !hostPort.equals(self))
                .distinct()
                .toList());
    }

    /** Every peer's local answer to {@code pathAndQuery} (which must already carry {@code local=true}). */
    List<Map<String, Object>> fetch(String pathAndQuery) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (String peer : hostPorts.get()) {
            URI uri = URI.create("http://" + peer + pathAndQuery);
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new Unavailable(peer, "HTTP " + response.statusCode() + " " + response.body());
                }
                items.addAll(JSON.readValue(response.body(), ITEMS));
            } catch (IOException e) {
                throw new Unavailable(peer, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable(peer, "interrupted");
            }
        }
        return items;
    }

    /** A peer that did not answer: the answer would be incomplete, so there is none (502). */
    static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String peer, String reason) {
            super("analytics instance " + peer + " did not answer: " + reason);
        }
    }
}
