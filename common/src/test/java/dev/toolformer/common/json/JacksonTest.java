package dev.toolformer.common.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JacksonTest {
    @Test
    void shouldWriteATreeAsItsToStringDoes() throws Exception {
        JsonNode node = new ObjectMapper()
                .readTree("{\"q\":\"caf\\u00e9 \\\"x\\\"\",\"n\":[1,2.5,null,true],\"o\":{}}");

        assertThat(Jackson.write(node)).isEqualTo(node.toString());
    }

    @Test
    void shouldRecycleBuffersAcrossVirtualThreadsRatherThanPerThread() throws Exception {
        ObjectMapper mapper = Jackson.mapper().build();
        assertThat(mapper.getFactory()._getRecyclerPool())
                .isNotInstanceOf(JsonRecyclerPools.ThreadLocalPool.class);
        // A buffer released on one virtual thread is the one the next virtual thread gets.
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<BufferRecycler> first = threads.submit(() -> {
                BufferRecycler recycler = mapper.getFactory()._getRecyclerPool().acquireAndLinkPooled();
                recycler.releaseToPool();
                return recycler;
            });
            BufferRecycler released = first.get();
            Future<BufferRecycler> second = threads.submit(() -> mapper.getFactory()._getRecyclerPool()
                    .acquireAndLinkPooled());
            assertThat(second.get()).isSameAs(released);
        }
    }
}
