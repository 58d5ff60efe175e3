package dev.toolformer.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ExecutorProcessTest {

    @Test
    void shouldReadEachCollectionsHeapAndPauseFromTheGcLog() {
        // Lines as JDK 25's -Xlog:gc writes them (from a bench run), with -Xlog's default decorations.
        List<ExecutorProcess.Collection> collections = ExecutorProcess.collections(List.of(
                "[0.952s][info][gc] Using G1",
                "[8.421s][info][gc] GC(8) Pause Full (Diagnostic Command) 181M->22M(512M) 77.558ms",
                "[12.455s][info][gc] GC(9) Pause Young (Normal) (G1 Evacuation Pause) 330M->93M(512M) 462.200ms",
                "[13.009s][info][gc] GC(26) Concurrent Mark Cycle",
                "[16.126s][info][gc] GC(17) Pause Remark 365M->354M(512M) 33.747ms",
                "[17.353s][info][gc] GC(40) Pause Young (Mixed) (G1 Evacuation Pause) (Evacuation Failure: Allocation)"
                        + " 451M->423M(512M) 192.699ms",
                "[19.100s][info][gc] GC(41) Pause Young (Normal) (G1 Evacuation Pause) 2048K->1024K(1G) 0.5ms"));

        assertThat(collections).containsExactly(
                new ExecutorProcess.Collection("Pause Full", 181, 22, 512, 77.558),
                new ExecutorProcess.Collection("Pause Young", 330, 93, 512, 462.2),
                new ExecutorProcess.Collection("Pause Young", 451, 423, 512, 192.699),
                new ExecutorProcess.Collection("Pause Young", 2, 1, 1024, 0.5));
        assertThat(collections.getFirst().full()).isTrue();
        assertThat(collections.get(1).full()).isFalse();
    }
}
