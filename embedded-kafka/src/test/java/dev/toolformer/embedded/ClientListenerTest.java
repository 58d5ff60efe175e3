package dev.toolformer.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import dev.toolformer.embedded.testing.TestCertificateAuthority;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientListenerTest {
    @TempDir
    static Path dir;
    private static TestCertificateAuthority.Store brokerKeys;
    private static TestCertificateAuthority.Store truststore;
    private static EmbeddedKafkaBroker.Tls tls;
    private final EmbeddedKafkaBroker.Scram users = EmbeddedKafkaBroker.Scram.superUser("admin", "admin-secret")
            .withUser("app", "app-secret");

    @BeforeAll
    static void issueTheBrokersCertificate() {
        TestCertificateAuthority ca = TestCertificateAuthority.create(dir, "unit-ca");
        brokerKeys = ca.issue("broker", "CN=broker,O=Toolformer", "IP:127.0.0.1");
        truststore = ca.truststore();
        tls = new EmbeddedKafkaBroker.Tls(brokerKeys.path(), brokerKeys.password(), truststore.path(), truststore.password());
    }

    @Test
    void shouldMakeTheBrokersOwnCertificateTheSuperUserOfAMutualTlsListener() {
        ClientListener listener = ClientListener.mutualTls(tls, "DEFAULT");

        assertThat(listener.protocol()).isEqualTo("SSL");
        assertThat(listener.brokerProperties())
                .containsEntry("ssl.client.auth", "required")
                .containsEntry("ssl.keystore.type", "PKCS12")
                .containsEntry("ssl.keystore.location", brokerKeys.path().toString())
                .containsEntry("ssl.keystore.password", brokerKeys.password())
                .containsEntry("ssl.truststore.location", truststore.path().toString())
                .containsEntry("super.users", "User:CN=broker,O=Toolformer;User:ANONYMOUS")
                .containsEntry("allow.everyone.if.no.acl.found", "false")
                .doesNotContainKey("sasl.enabled.mechanisms");
        assertThat(listener.superUserClientProperties()).isEqualTo(Map.of(
                "security.protocol", "SSL",
                "ssl.keystore.type", "PKCS12",
                "ssl.keystore.location", brokerKeys.path().toString(),
                "ssl.keystore.password", brokerKeys.password(),
                "ssl.truststore.type", "PKCS12",
                "ssl.truststore.location", truststore.path().toString(),
                "ssl.truststore.password", truststore.password()));
    }

    @Test
    void shouldMapTheBrokersPrincipalWithThePrincipalMappingRules() {
        assertThat(ClientListener.mutualTls(tls, "RULE:^CN=([^,]+),.*$/$1/L,DEFAULT").superUser()).isEqualTo("User:broker");
        assertThatThrownBy(() -> ClientListener.mutualTls(tls, "RULE:^OU=(.*)$/$1/"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("ssl.principal.mapping.rules 'RULE:^OU=(.*)$/$1/' cannot map the broker's"
                        + " certificate subject 'CN=broker,O=Toolformer': ");
    }

    @Test
    void shouldGiveScramUsersOverTlsTheTrustStoreAndSaslSsl() {
        ClientListener listener = ClientListener.scram(users, tls);

        assertThat(listener.protocol()).isEqualTo("SASL_SSL");
        assertThat(listener.clientProperties("app")).isEqualTo(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"app\" password=\"app-secret\";",
                "ssl.truststore.type", "PKCS12",
                "ssl.truststore.location", truststore.path().toString(),
                "ssl.truststore.password", truststore.password()));
        assertThat(listener.brokerProperties())
                .containsEntry("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\""
                                + " password=\"admin-secret\";")
                .containsEntry("ssl.keystore.location", brokerKeys.path().toString())
                .containsEntry("super.users", "User:admin;User:ANONYMOUS")
                .doesNotContainKey("ssl.client.auth");
    }

    @Test
    void shouldHaveNoUsersOnAMutualTlsListenerAndNoSecurityOnAPlaintextOne() {
        assertThatThrownBy(() -> ClientListener.mutualTls(tls, "DEFAULT").clientProperties("app"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a mutual-TLS broker has no users: a client is its certificate");
        assertThat(ClientListener.plaintext().brokerProperties()).isEmpty();
        assertThat(ClientListener.plaintext().superUserClientProperties()).isEmpty();
    }

    @Test
    void shouldRefuseAStoreThatIsNotAFileAndShowNoPassword() {
        Path missing = dir.resolve("missing.p12");
        assertThatThrownBy(() -> new EmbeddedKafkaBroker.Tls(missing, "x", truststore.path(), "y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TLS store " + missing + " is not a readable file");
        assertThat(tls.toString()).isEqualTo("Tls[keystore=" + brokerKeys.path() + ", truststore=" + truststore.path() + "]");
    }
}
