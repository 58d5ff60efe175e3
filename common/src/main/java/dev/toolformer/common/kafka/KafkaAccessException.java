package dev.toolformer.common.kafka;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;

/**
 * The cluster refused this client: it could not authenticate, or its principal lacks an ACL. No retry
 * fixes that, so a service stops on it and says what it was doing, why it was refused and what to check.
 */
public final class KafkaAccessException extends RuntimeException {
    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private KafkaAccessException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The refusal in {@code error}'s cause chain, described for a reader: {@code doing} is what the client
     * was doing, e.g. {@code "executor e-1 cannot read toolformer.requests"}; empty for any other error.
     */
    public static Optional<KafkaAccessException> from(Throwable error, String doing, KafkaSettings kafka) {
        Objects.requireNonNull(doing, "doing == null");
        Objects.requireNonNull(kafka, "kafka == null");
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KafkaAccessException access) {
                return Optional.of(access);
            }
            if (t instanceof AuthorizationException) {
                return Optional.of(new KafkaAccessException(doing + ": " + t.getMessage() + " (check the ACLs of "
                        + principal(kafka) + ")", t));
            }
            if (t instanceof AuthenticationException) {
                return Optional.of(new KafkaAccessException(doing + ": " + t.getMessage() + tlsReason(t) + " (authenticating as "
                        + principal(kafka) + "; check security.protocol, sasl.mechanism, sasl.jaas.config"
                        + " and the ssl.* settings)", t));
            }
        }
        return Optional.empty();
    }

    /**
     * Why TLS failed, which Kafka's own message ("SSL handshake failed") leaves to its cause: the message of the
     * innermost {@link SSLException}, e.g. a missing client certificate or an untrusted broker certificate.
     */
    private static String tlsReason(Throwable refusal) {
        String reason = null;
        for (Throwable t = refusal.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException && t.getMessage() != null) {
                reason = t.getMessage();
            }
        }
        return reason == null || String.valueOf(refusal.getMessage()).contains(reason) ? "" : ": " + reason;
    }

    /** True when {@code error} (or a cause) is a refusal: authentication or authorization failed. */
    public static boolean isAccessError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KafkaAccessException || t instanceof AuthorizationException
                    || t instanceof AuthenticationException) {
                return true;
            }
        }
        return false;
    }

    /** Who the client claims to be, as far as its settings tell, without any secret. */
    static String principal(KafkaSettings kafka) {
        String jaas = kafka.overrides().get(SaslConfigs.SASL_JAAS_CONFIG);
        if (jaas != null) {
            Matcher user = USERNAME.matcher(jaas);
            if (user.find()) {
                return "User:" + user.group(1);
            }
            return "the principal of " + SaslConfigs.SASL_JAAS_CONFIG;
        }
        String keyStore = kafka.overrides().get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG);
        if (keyStore != null) {
            return "the certificate's principal in " + keyStore;
        }
        if ("SSL".equalsIgnoreCase(kafka.overrides().get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG))) {
            return "User:ANONYMOUS (no client certificate: " + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG + " is not set)";
        }
        return "User:ANONYMOUS (no credentials are set)";
    }
}
