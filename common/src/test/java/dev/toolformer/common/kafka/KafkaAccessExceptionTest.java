package dev.toolformer.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

class KafkaAccessExceptionTest {
    private static final KafkaSettings SCRAM = new KafkaSettings("b:9092", Map.of("security.protocol", "SASL_SSL",
            "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"denied\" password=\"s3cret\";"));

    @Test
    void shouldNameTheTopicAndThePrincipalWhoseAclsToCheck() {
        var error = new TopicAuthorizationException(Set.of("toolformer.requests"));

        KafkaAccessException access = KafkaAccessException.from(new KafkaException("wrapped", error),
                "executor e-1 cannot read toolformer.requests", SCRAM).orElseThrow();

        assertThat(access).hasMessage("executor e-1 cannot read toolformer.requests: Not authorized to access topics:"
                + " [toolformer.requests] (check the ACLs of User:denied)").hasCause(error);
        assertThat(access.getMessage()).doesNotContain("s3cret");
    }

    @Test
    void shouldSayWhatToCheckWhenAuthenticationFails() {
        var error = new SaslAuthenticationException("Authentication failed during authentication due to invalid credentials"
                + " with SASL mechanism SCRAM-SHA-512");

        assertThat(KafkaAccessException.from(error, "cannot read toolformer.results", SCRAM).orElseThrow())
                .hasMessage("cannot read toolformer.results: Authentication failed during authentication due to invalid"
                        + " credentials with SASL mechanism SCRAM-SHA-512 (authenticating as User:denied; check"
                        + " security.protocol, sasl.mechanism, sasl.jaas.config and the ssl.* settings)");
    }

    @Test
    void shouldSayWhyTlsFailedAndThatNoClientCertificateIsSet() {
        var error = new SslAuthenticationException("Failed to process post-handshake messages",
                new SSLHandshakeException("(certificate_required) Received fatal alert: certificate_required"));
        KafkaSettings noCertificate = new KafkaSettings("b:9093", Map.of("security.protocol", "SSL",
                "ssl.truststore.location", "/etc/toolformer/truststore.p12"));

        assertThat(KafkaAccessException.from(error, "cannot read toolformer.results", noCertificate).orElseThrow())
                .hasMessage("cannot read toolformer.results: Failed to process post-handshake messages: (certificate_required)"
                        + " Received fatal alert: certificate_required (authenticating as User:ANONYMOUS (no client"
                        + " certificate: ssl.keystore.location is not set); check security.protocol, sasl.mechanism,"
                        + " sasl.jaas.config and the ssl.* settings)");
    }

    @Test
    void shouldNameTheCertificateOrNoCredentialsWhenThereIsNoJaasConfig() {
        var error = new GroupAuthorizationException("Not authorized to access group: toolformer-executor");
        KafkaSettings mtls = new KafkaSettings("b:9093", Map.of("security.protocol", "SSL",
                "ssl.keystore.location", "/etc/toolformer/client.p12"));

        assertThat(KafkaAccessException.from(error, "x", mtls).orElseThrow()).hasMessage("x: Not authorized to access"
                + " group: toolformer-executor (check the ACLs of the certificate's principal in /etc/toolformer/client.p12)");
        assertThat(KafkaAccessException.from(error, "x", KafkaSettings.of("b:9092")).orElseThrow()).hasMessage("x: Not"
                + " authorized to access group: toolformer-executor (check the ACLs of User:ANONYMOUS (no credentials are set))");
    }

    @Test
    void shouldLeaveOtherErrorsAlone() {
        TimeoutException timeout = new TimeoutException("Timeout expired while fetching topic metadata");

        assertThat(KafkaAccessException.from(timeout, "x", SCRAM)).isEmpty();
        assertThat(KafkaAccessException.isAccessError(timeout)).isFalse();
        assertThat(KafkaAccessException.isAccessError(new KafkaException(new TopicAuthorizationException("no")))).isTrue();
    }
}
