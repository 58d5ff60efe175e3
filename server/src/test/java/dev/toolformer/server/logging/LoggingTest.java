package dev.toolformer.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LoggingTest {
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        System.setErr(originalErr);
        MDC.clear();
        Logging.configure(Logging.Format.TEXT, "INFO", "test");
    }

    @Test
    void shouldWriteJsonLinesWithServiceIdsAndNoSecrets() throws Exception {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.JSON, "INFO", "toolformer-executor");
        Logger log = LoggerFactory.getLogger("dev.toolformer.test");
        MDC.put("request_id", "r-1");
        MDC.put("correlation_id", "c-1");

        log.info("calling provider with api_key=sk-proj-abcdefghijklmnopqrstuvwx");

        JsonNode line = new ObjectMapper().readTree(err.toString(StandardCharsets.UTF_8).strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(line.get("service").asText()).isEqualTo("toolformer-executor");
        assertThat(line.get("environment").asText()).isEqualTo("development");
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("logger").asText()).isEqualTo("dev.toolformer.test");
        assertThat(line.get("request_id").asText()).isEqualTo("r-1");
        assertThat(line.get("correlation_id").asText()).isEqualTo("c-1");
        assertThat(line.get("message").asText()).isEqualTo("calling provider with api_key=[REDACTED]");
        assertThat(line.has("version")).isTrue();
    }

    @Test
    void shouldWriteTheToolEventsFieldsInBothFormatsWithSecretsMaskedAndOnlyJsonByDefault() throws Exception {
        Logger events = LoggerFactory.getLogger("toolformer.tool-events");
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));

        Logging.configure(Logging.Format.JSON, "INFO", "toolformer-executor");
        failed(events);
        JsonNode line = new ObjectMapper().readTree(err.toString(StandardCharsets.UTF_8).strip().lines()
                .reduce((a, b) -> b).orElseThrow());
        assertThat(line.get("event").asText()).isEqualTo("tool_execution_failed");
        assertThat(line.get("duration_ms").asLong()).isEqualTo(1234);
        assertThat(line.get("error_type").asText()).isEqualTo("HttpError");
        assertThat(line.get("error").asText()).isEqualTo("401 for api_key=[REDACTED]");
        assertThat(line.get("level").asText()).isEqualTo("WARN");

        err.reset();
        Logging.configure(Logging.Format.TEXT, "INFO", "toolformer-executor");
        failed(events);
        assertThat(err.toString(StandardCharsets.UTF_8)).as("off in text by default").isEmpty();

        Logging.configure(Logging.Format.TEXT, "INFO", "toolformer-executor", "info"); // TOOLFORMER_TOOL_EVENTS=info
        failed(events);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Tool execution failed event=\"tool_execution_failed\""
                + " duration_ms=\"1234\" error_type=\"HttpError\" error=\"401 for api_key=[REDACTED]\"")
                .doesNotContain("sk-live");
    }

    private static void failed(Logger events) {
        events.atWarn().addKeyValue("event", "tool_execution_failed").addKeyValue("duration_ms", 1234L)
                .addKeyValue("error_type", "HttpError").addKeyValue("error", "401 for api_key=sk-live-abcdefghijklmnop")
                .log("Tool execution failed");
    }

    @Test
    void shouldMaskSecretsInTextLinesAndStackTraces() {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.TEXT, "INFO", "toolformer-test");
        Logger log = LoggerFactory.getLogger("dev.toolformer.test");

        log.warn("header Authorization: Bearer abcdefghijklmnop", new IllegalStateException("token=s3cr3t-value"));

        String out = err.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("header Authorization: [REDACTED]")
                .contains("java.lang.IllegalStateException: token=[REDACTED]")
                .doesNotContain("abcdefghijklmnop").doesNotContain("s3cr3t-value");
    }

    @Test
    void shouldMaskKafkaSaslAndSslPasswordsInTextAndJsonLines() throws Exception {
        String jaas = "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required"
                + " username=\"svc\" password=\"kafka-pa55\";";
        for (Logging.Format format : Logging.Format.values()) {
            err.reset();
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            Logging.configure(format, "INFO", "toolformer-test");
            Logger log = LoggerFactory.getLogger("dev.toolformer.test");

            log.info("client overrides {ssl.keystore.password=store-pa55, {}}", jaas);
            log.error("cannot connect", new IllegalStateException("bad config: " + jaas));

            String out = err.toString(StandardCharsets.UTF_8);
            assertThat(out).as(format.name()).contains("username=").contains("[REDACTED]")
                    .doesNotContain("kafka-pa55").doesNotContain("store-pa55");
        }
    }

    @Test
    void shouldHonourTheLevel() {
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        Logging.configure(Logging.Format.TEXT, "WARN", "toolformer-test");

        LoggerFactory.getLogger("dev.toolformer.test").info("not shown");

        assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain("not shown");
    }
}
