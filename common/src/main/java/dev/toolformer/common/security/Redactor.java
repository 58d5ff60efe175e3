package dev.toolformer.common.security;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it reaches a log, a result, a trace or the dead-letter topic:
 * API keys in the shapes providers issue them, bearer and basic credentials, and the values of
 * fields and headers whose names say they hold a secret. The names stay, so a reader still sees
 * that a key was there.
 */
public final class Redactor {
    /** What a secret is replaced with. */
    public static final String MASK = "[REDACTED]";

    private static final List<Pattern> WHOLE_TOKENS = List.of(
            // OpenAI / Anthropic style keys, e.g. sk-..., sk-proj-..., sk-ant-...
            Pattern.compile("\\bsk-[A-Za-z0-9_-]{16,}"),
            // GitHub, Slack, Google, AWS access key ids
            Pattern.compile("\\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{20,}"),
            Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}"),
            Pattern.compile("\\bAIza[0-9A-Za-z_-]{35}"),
            Pattern.compile("\\bAKIA[0-9A-Z]{16}\\b"));
    /** A credential after an auth scheme: {@code Bearer abc}, {@code Basic dXNl...}. */
    private static final Pattern AUTH_SCHEME = Pattern.compile("(?i)\\b(Bearer|Basic|Token)\\s+[A-Za-z0-9._~+/=-]{8,}");
    /** The same, with the credential alone as group 1. */
    private static final Pattern AUTH_CREDENTIAL = Pattern.compile("(?i)\\b(?:Bearer|Basic|Token)\\s+([A-Za-z0-9._~+/=-]{8,})");
    /**
     * {@code "api_key": "..."}, {@code x-api-key=...}, {@code password: ...}: keep the name, mask the value. A
     * value in escaped quotes ({@code password=\"...\"}, a JAAS line inside a JSON string) is masked whole.
     */
    private static final Pattern NAMED_SECRET = Pattern.compile(
            "(?i)([\"']?(?:[a-z0-9_-]*(?:api[_-]?key|secret|token|password|passwd|authorization|credential)s?)[\"']?"
                    + "\\s*[:=]\\s*)(\\[REDACTED]|(?i:Bearer|Basic|Token)\\s+\\S+|\\\\\"[^\"]*?\\\\\"|\"[^\"]*\"|'[^']*'"
                    + "|[^\\s,;&}\\]]+)");

    /** Shortest configured secret remembered: shorter values would mask ordinary words. */
    static final int MIN_KNOWN_SECRET_LENGTH = 8;
    private static final Set<String> KNOWN = new CopyOnWriteArraySet<>();

    private Redactor() {
    }

    /**
     * Remembers a secret this process was configured with (an API key, a token, a password), so that it is
     * masked wherever it shows up, whatever its shape — e.g. echoed back in an upstream's error message.
     * Values shorter than {@value #MIN_KNOWN_SECRET_LENGTH} characters are ignored.
     */
    public static void addKnownSecret(String secret) {
        if (secret != null && secret.strip().length() >= MIN_KNOWN_SECRET_LENGTH) {
            KNOWN.add(secret.strip());
        }
    }

    /** {@code text} with every secret replaced by {@link #MASK}; null stays null. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        for (String known : KNOWN) {
            out = out.replace(known, MASK);
        }
        for (Pattern token : WHOLE_TOKENS) {
            out = token.matcher(out).replaceAll(MASK);
        }
        out = AUTH_SCHEME.matcher(out).replaceAll("$1 " + Matcher.quoteReplacement(MASK));
        Matcher named = NAMED_SECRET.matcher(out);
        StringBuilder sb = new StringBuilder();
        while (named.find()) {
            String value = named.group(2);
            String masked = value.startsWith("\\\"") ? "\\\"" + MASK + "\\\""
                    : value.startsWith("\"") ? "\"" + MASK + "\"" : value.startsWith("'") ? "'" + MASK + "'" : MASK;
            named.appendReplacement(sb, Matcher.quoteReplacement(named.group(1) + masked));
        }
        named.appendTail(sb);
        return sb.toString();
    }

    /**
     * A copy of {@code bytes} (raw record bytes: Avro, JSON, anything) with every secret overwritten by
     * {@code '*'} of the same length, so that a binary encoding still decodes — string lengths do not change —
     * and the record can be inspected or replayed without the secret. Bytes are matched as ISO-8859-1 text.
     */
    public static byte[] maskInPlace(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        char[] text = new String(bytes, StandardCharsets.ISO_8859_1).toCharArray();
        String view = new String(text);
        for (String known : KNOWN) {
            for (int at = view.indexOf(known); at >= 0; at = view.indexOf(known, at + known.length())) {
                Arrays.fill(text, at, at + known.length(), '*');
            }
        }
        for (Pattern token : WHOLE_TOKENS) {
            fill(text, token.matcher(view), 0);
        }
        fill(text, AUTH_CREDENTIAL.matcher(view), 1);
        Matcher named = NAMED_SECRET.matcher(view);
        while (named.find()) {
            int start = named.start(2);
            int end = named.end(2);
            String value = named.group(2);
            if (value.startsWith("\"") || value.startsWith("'")) {
                start++;
                end = Math.max(start, end - 1);
            }
            Arrays.fill(text, start, end, '*');
        }
        return new String(text).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void fill(char[] text, Matcher matcher, int group) {
        while (matcher.find()) {
            Arrays.fill(text, matcher.start(group), matcher.end(group), '*');
        }
    }

    /**
     * True when {@code name} (a header, an argument, a config key) names a secret; Kafka's
     * {@code sasl.jaas.config} (it holds the password) and {@code ssl.keystore.key} (a private key) are ones.
     */
    public static boolean isSecretName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("key") && (n.contains("api") || n.contains("secret") || n.contains("access"))
                || n.contains("secret") || n.contains("token") || n.contains("password") || n.contains("passwd")
                || n.equals("authorization") || n.equals("proxy-authorization") || n.contains("credential")
                || n.equals("cookie") || n.equals("set-cookie")
                || n.endsWith("jaas.config") || n.endsWith("keystore.key");
    }
}
