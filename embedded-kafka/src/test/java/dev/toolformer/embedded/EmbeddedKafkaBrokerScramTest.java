package dev.toolformer.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class EmbeddedKafkaBrokerScramTest {
    private final EmbeddedKafkaBroker.Scram users = EmbeddedKafkaBroker.Scram.superUser("admin", "admin-secret")
            .withUser("app", "app-secret");

    @Test
    void shouldGiveTheClientPropertiesThatAuthenticateAsAUser() {
        assertThat(users.clientProperties("app")).isEqualTo(Map.of(
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"app\" password=\"app-secret\";"));
    }

    @Test
    void shouldEnforceAclsWithTheSuperUserAndTheControllerListenerExempt() {
        assertThat(users.brokerProperties("SASL_PLAINTEXT"))
                .containsEntry("listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\""
                                + " password=\"admin-secret\";")
                .containsEntry("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("super.users", "User:admin;User:ANONYMOUS")
                .containsEntry("allow.everyone.if.no.acl.found", "false")
                .containsEntry("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        assertThat(users.formatterArguments()).containsExactlyInAnyOrder(
                "SCRAM-SHA-512=[name=admin,password=admin-secret]", "SCRAM-SHA-512=[name=app,password=app-secret]");
    }

    @Test
    void shouldRejectAnUnknownUserAndNamesOrPasswordsTheFormatterCannotParse() {
        assertThatThrownBy(() -> users.clientProperties("bob"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no SCRAM user 'bob'; users are " + users.passwords().keySet());
        assertThatThrownBy(() -> users.withUser("eve", "has,comma"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SCRAM user names and passwords must match [A-Za-z0-9._-]+, user was 'eve'");
        assertThatThrownBy(() -> new EmbeddedKafkaBroker.Scram("root", Map.of("app", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("super user 'root' has no password");
    }

    @Test
    void shouldNotShowPasswordsInItsText() {
        assertThat(users.toString()).isEqualTo("Scram[superUser=admin, users=[admin, app]]");
    }
}
