package dev.toolformer.common.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import dev.toolformer.common.serde.AvroSerde;
import dev.toolformer.schema.ToolRequest;
import org.junit.jupiter.api.Test;

class RedactorTest {

    @Test
    void shouldMaskProviderApiKeysWhereverTheyAppear() {
        assertThat(Redactor.redact("calling with sk-proj-abcdefghijklmnopqrstuvwx failed"))
                .isEqualTo("calling with [REDACTED] failed");
        assertThat(Redactor.redact("key sk-ant-api03-AAAAAAAAAAAAAAAAAAAA")).isEqualTo("key [REDACTED]");
        assertThat(Redactor.redact("aws AKIAIOSFODNN7EXAMPLE here")).isEqualTo("aws [REDACTED] here");
        assertThat(Redactor.redact("slack xoxb-123456789012-abcdef")).isEqualTo("slack [REDACTED]");
    }

    @Test
    void shouldMaskCredentialsAfterAnAuthScheme() {
        assertThat(Redactor.redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig"))
                .isEqualTo("Authorization: [REDACTED]");
        assertThat(Redactor.redact("got header Bearer abcdefgh12345678 back")).isEqualTo("got header Bearer [REDACTED] back");
    }

    @Test
    void shouldMaskValuesOfSecretNamedFieldsAndKeepTheirNames() {
        assertThat(Redactor.redact("{\"api_key\": \"abc123\", \"x\": 1}")).isEqualTo("{\"api_key\": \"[REDACTED]\", \"x\": 1}");
        assertThat(Redactor.redact("url?token=abc&page=2")).isEqualTo("url?token=[REDACTED]&page=2");
        assertThat(Redactor.redact("password: hunter2")).isEqualTo("password: [REDACTED]");
        assertThat(Redactor.redact("X-Api-Key='k-1'")).isEqualTo("X-Api-Key='[REDACTED]'");
        assertThat(Redactor.redact("api_key=sk-proj-abcdefghijklmnopqrstuvwx")).isEqualTo("api_key=[REDACTED]");
    }

    @Test
    void shouldMaskThePasswordOfAKafkaJaasConfigAndKeepTheUserName() {
        String jaas = "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"alice\" password=\"p4ss; word,x\";";
        assertThat(Redactor.redact(jaas)).isEqualTo("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required username=\"alice\" password=\"[REDACTED]\";");
        assertThat(Redactor.redact("{security.protocol=SASL_SSL, ssl.truststore.password=changeit, ssl.key.password=k3y}"))
                .isEqualTo("{security.protocol=SASL_SSL, ssl.truststore.password=[REDACTED], ssl.key.password=[REDACTED]}");
    }

    @Test
    void shouldMaskAJaasPasswordWhoseQuotesAreEscaped() {
        // A JAAS line inside a JSON string, as a JSON log line or a JSON config would carry it.
        String json = "{\"sasl.jaas.config\":\"PlainLoginModule required username=\\\"bob\\\" password=\\\"se;cret\\\";\"}";
        assertThat(Redactor.redact(json)).isEqualTo(
                "{\"sasl.jaas.config\":\"PlainLoginModule required username=\\\"bob\\\" password=\\\"[REDACTED]\\\";\"}")
                .doesNotContain("se;cret").doesNotContain("cret");
    }

    @Test
    void shouldLeaveOrdinaryTextAlone() {
        String text = "tool echo finished in 12 ms with {\"x\":1} for request 7f3c";
        assertThat(Redactor.redact(text)).isEqualTo(text);
        assertThat(Redactor.redact(null)).isNull();
        assertThat(Redactor.redact("")).isEmpty();
    }

    @Test
    void shouldRecogniseSecretNames() {
        assertThat(Redactor.isSecretName("Authorization")).isTrue();
        assertThat(Redactor.isSecretName("OPENAI_API_KEY")).isTrue();
        assertThat(Redactor.isSecretName("x-api-key")).isTrue();
        assertThat(Redactor.isSecretName("client_secret")).isTrue();
        assertThat(Redactor.isSecretName("sasl.jaas.config")).isTrue();
        assertThat(Redactor.isSecretName("kafka.ssl.keystore.password")).isTrue();
        assertThat(Redactor.isSecretName("ssl.keystore.key")).isTrue();
        assertThat(Redactor.isSecretName("security.protocol")).isFalse();
        assertThat(Redactor.isSecretName("sasl.mechanism")).isFalse();
        assertThat(Redactor.isSecretName("content-type")).isFalse();
        assertThat(Redactor.isSecretName("monkey")).isFalse();
    }

    @Test
    void shouldMaskAConfiguredSecretWhateverItsShape() {
        String key = "plain-" + UUID.randomUUID();
        assertThat(Redactor.redact("upstream says: bad key " + key)).contains(key);

        Redactor.addKnownSecret(key);

        assertThat(Redactor.redact("upstream says: bad key " + key)).isEqualTo("upstream says: bad key [REDACTED]");
        Redactor.addKnownSecret("short");
        assertThat(Redactor.redact("a short word")).isEqualTo("a short word");
    }

    @Test
    void shouldMaskSecretsInRawBytesKeepingTheirLength() throws Exception {
        var serde = AvroSerde.of(ToolRequest.class);
        var request = ToolRequest.newBuilder()
                .setRequestId("r-1").setCorrelationId("r-1").setTool("http")
                .setArgumentsJson("{\"url\":\"https://x.example\",\"headers\":{\"Authorization\":\"Bearer abcdefgh12345678\"},"
                        + "\"api_key\":\"k-42-secret\",\"key\":\"sk-proj-abcdefghijklmnopqrstuvwx\"}")
                .setTimeoutMs(1000).setSubmittedAt(Instant.EPOCH).build();
        byte[] raw = serde.encode(request);

        byte[] masked = Redactor.maskInPlace(raw);

        assertThat(masked).hasSameSizeAs(raw);
        String text = new String(masked, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("abcdefgh12345678").doesNotContain("k-42-secret").doesNotContain("sk-proj-");
        // Still the same record, secrets starred out: it decodes and could be replayed.
        var decoded = serde.decode(masked);
        assertThat(decoded.getRequestId()).isEqualTo("r-1");
        assertThat(decoded.getArgumentsJson()).contains("\"url\":\"https://x.example\"").contains("\"Authorization\":\"****")
                .contains("\"api_key\":\"***********\"");
        assertThat(Redactor.maskInPlace(null)).isNull();
    }
}
