package dev.toolformer.alerts.silence;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.schema.Silence;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class SilencesIT {

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldStoreSilencesDurablyAndExpireThemByTombstone(KafkaTestCluster cluster) {
        String tool = cluster.uniqueName("quiet");
        Silence silence = Silences.silence(Map.of("tool", tool), Instant.now(), Duration.ofHours(2), "it", "test");
        Silence ack = Silences.acknowledgement("HighErrorRate{tool=" + tool + "}", Instant.now(), Duration.ofHours(1),
                "it", "on it");

        Silences.publish(cluster.settings(), silence);
        Silences.publish(cluster.settings(), ack);

        assertThat(Silences.readAll(cluster.settings())).contains(silence, ack);
        Silences.expire(cluster.settings(), silence.getId());
        assertThat(Silences.readAll(cluster.settings())).contains(ack).doesNotContain(silence);
    }
}
