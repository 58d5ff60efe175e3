package dev.toolformer.embedded;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * The embedded broker's client listener: its security protocol (also the listener's name), what the broker
 * needs for it, and how clients connect to it. {@code superUser} is the principal exempt from ACLs, null when
 * none are enforced; {@code scram} and {@code tls} are null when not used.
 */
record ClientListener(String protocol, EmbeddedKafkaBroker.Scram scram, EmbeddedKafkaBroker.Tls tls, String superUser) {
    static final String SASL_PLAINTEXT = "SASL_PLAINTEXT";
    static final String PRINCIPAL_MAPPING_RULES = "ssl.principal.mapping.rules";
    private static final String SECURITY_PROTOCOL = "security.protocol";

    static ClientListener plaintext() {
        return new ClientListener("PLAINTEXT", null, null, null);
    }

    /** SASL/SCRAM, on TLS ({@code SASL_SSL}) unless {@code tls} is null. */
    static ClientListener scram(EmbeddedKafkaBroker.Scram scram, EmbeddedKafkaBroker.Tls tls) {
        return new ClientListener(tls == null ? SASL_PLAINTEXT : "SASL_SSL", scram, tls, "User:" + scram.superUser());
    }

    /**
     * TLS with required client certificates; the broker's own certificate, mapped by {@code mappingRules} as
     * the broker maps every client's, is the super user.
     */
    static ClientListener mutualTls(EmbeddedKafkaBroker.Tls tls, String mappingRules) {
        String subject = tls.subject();
        try {
            return new ClientListener("SSL", null, tls, "User:" + SslPrincipalMapper.fromRules(mappingRules).getName(subject));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(PRINCIPAL_MAPPING_RULES + " '" + mappingRules + "' cannot map the broker's"
                    + " certificate subject '" + subject + "': " + e.getMessage(), e);
        }
    }

    Map<String, String> brokerProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        if (tls != null) {
            p.putAll(tls.brokerProperties());
        }
        if (scram != null) {
            p.putAll(scram.brokerProperties(protocol));
        } else if (tls != null) {
            p.put("ssl.client.auth", "required");
        }
        if (superUser != null) {
            p.putAll(acls(superUser));
        }
        return p;
    }

    /** ACLs enforced by {@code StandardAuthorizer}; {@code superUser} and the controller listener are exempt. */
    static Map<String, String> acls(String superUser) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        // ANONYMOUS is whoever uses the PLAINTEXT controller listener on loopback: the broker itself,
        // registering with its controller. The client listener never yields ANONYMOUS.
        p.put("super.users", superUser + ";User:ANONYMOUS");
        p.put("allow.everyone.if.no.acl.found", "false");
        return p;
    }

    Map<String, String> superUserClientProperties() {
        if (scram != null) {
            return clientProperties(scram.superUser());
        }
        Map<String, String> p = new LinkedHashMap<>();
        if (tls != null) {
            p.put(SECURITY_PROTOCOL, protocol);
            p.putAll(tls.keyStoreProperties());
            p.putAll(tls.trustStoreProperties());
        }
        return Map.copyOf(p);
    }

    Map<String, String> clientProperties(String user) {
        if (scram == null) {
            if (tls != null) {
                throw new IllegalStateException("a mutual-TLS broker has no users: a client is its certificate");
            }
            return Map.of();
        }
        Map<String, String> p = new LinkedHashMap<>(scram.clientProperties(user));
        if (tls != null) {
            p.put(SECURITY_PROTOCOL, protocol);
            p.putAll(tls.trustStoreProperties());
        }
        return Map.copyOf(p);
    }
}
