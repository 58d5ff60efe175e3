package dev.toolformer.common.json;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Jackson for code that runs on virtual threads (the executor's requests). Jackson recycles its parsing and
 * writing buffers through a thread-local pool by default: every virtual thread is new, so each parse or write
 * allocated (and zeroed) fresh buffers of 8–16 KB — the largest single cost of an {@code echo} request in a JFR
 * profile of {@code bench pipeline} (see docs/benchmarks.md). These mappers share one bounded pool instead.
 */
public final class Jackson {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedBoundedPool())
            .build();
    private static final ObjectMapper MAPPER = new JsonMapper(FACTORY);

    private Jackson() {
    }

    /** A new mapper on the shared pool, to configure as its user needs (it is not shared with anyone). */
    public static JsonMapper.Builder mapper() {
        return JsonMapper.builder(FACTORY);
    }

    /** {@code node} as compact JSON; what {@link JsonNode#toString()} gives, without its thread-local buffers. */
    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a JSON tree: " + e.getMessage(), e);
        }
    }
}
