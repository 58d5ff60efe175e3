package dev.toolformer.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token of the admin endpoints, or none (then they are disabled). It comes from the
 * environment ({@value #ENV}) or a file ({@value #FILE_OPTION}), never from a command-line argument,
 * which {@code ps} would show. Never printed: {@link #toString()} says only whether one is configured.
 */
public final class AdminToken {
    public static final String ENV = "TOOLFORMER_ADMIN_TOKEN";
    public static final String FILE_OPTION = "--admin-token-file";
    /** How to turn the endpoints on, for messages that say they are off. */
    static final String HOW_TO_ENABLE = "set " + ENV + " or start with " + FILE_OPTION + " FILE";
    static final int MIN_LENGTH = 16;
    private static final Logger log = LoggerFactory.getLogger(AdminToken.class);
    private static final AdminToken DISABLED = new AdminToken(null);

    /** SHA-256 of the token, so that comparisons take the same time whatever the presented length. */
    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** No token: the admin endpoints answer 403. */
    static AdminToken disabled() {
        return DISABLED;
    }

    /** A token given directly (tests, embedding); at least {@value #MIN_LENGTH} visible ASCII characters. */
    public static AdminToken of(String token) {
        return new AdminToken(sha256(checked(token, "the admin token")));
    }

    /**
     * The token of {@code file} (surrounding whitespace removed) if given, else of the {@value #ENV}
     * entry of {@code env}, else {@link #disabled()}. Both at once is an error: which one wins would be
     * a guess.
     */
    public static AdminToken load(Path file, Map<String, String> env) {
        String fromEnv = env.get(ENV);
        boolean envSet = fromEnv != null && !fromEnv.isBlank();
        if (file != null && envSet) {
            throw new IllegalArgumentException(FILE_OPTION + " and " + ENV + " are both set: use one of them");
        }
        if (file != null) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(FILE_OPTION + " " + file + " cannot be read: " + e, e);
            }
            AdminToken token = of(checked(text.strip(), FILE_OPTION + " " + file));
            warnIfReadableByOthers(file);
            return token;
        }
        return envSet ? of(checked(fromEnv.strip(), ENV)) : DISABLED;
    }

    boolean enabled() {
        return digest != null;
    }

    /** True if {@code presented} is the token; in constant time. False when disabled. */
    boolean matches(String presented) {
        if (digest == null || presented == null) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    @Override
    public String toString() {
        return enabled() ? "AdminToken[configured]" : "AdminToken[none]";
    }

    /** The token if it can travel in a header; the message names the source, never the value. */
    private static String checked(String token, String source) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException(source + " is empty: expected a token of at least " + MIN_LENGTH
                    + " characters (e.g. from 'openssl rand -hex 32')");
        }
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(source + " holds spaces, control or non-ASCII characters:"
                    + " expected visible ASCII only (e.g. from 'openssl rand -hex 32')");
        }
        if (token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(source + " is " + token.length() + " characters long: expected at least "
                    + MIN_LENGTH + " (e.g. from 'openssl rand -hex 32')");
        }
        return token;
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{} {} is readable by other users; 'chmod 600 {}' keeps the admin token to its owner",
                        FILE_OPTION, file, file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
