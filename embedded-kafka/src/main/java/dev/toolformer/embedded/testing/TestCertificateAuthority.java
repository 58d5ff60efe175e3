package dev.toolformer.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority made with the running JDK's own {@code keytool}: a CA, a PKCS12 trust
 * store holding its certificate, and PKCS12 key stores of certificates it signs ({@code keytool -gencert}),
 * each with its chain up to the CA. Every store has its own random password; everything lives in {@code dir}.
 */
public final class TestCertificateAuthority {
    private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final int VALIDITY_DAYS = 2;

    private final Path dir;
    private final Store caKeystore;
    private final Path caCertificate;
    private final Store truststore;

    /** A key store or trust store file and its password. */
    public record Store(Path path, String password) {
        public Store {
            Objects.requireNonNull(path, "path == null");
            Objects.requireNonNull(password, "password == null");
        }

        /** The file, not its password. */
        @Override
        public String toString() {
            return "Store[" + path + "]";
        }
    }

    private TestCertificateAuthority(Path dir, Store caKeystore, Path caCertificate, Store truststore) {
        this.dir = dir;
        this.caKeystore = caKeystore;
        this.caCertificate = caCertificate;
        this.truststore = truststore;
    }

    /** A new CA whose subject is {@code CN=<name>}, its files named after {@code name} in {@code dir}. */
    public static TestCertificateAuthority create(Path dir, String name) {
        Objects.requireNonNull(dir, "dir == null");
        Objects.requireNonNull(name, "name == null");
        Store ca = new Store(dir.resolve(name + "-ca.p12"), newPassword());
        Path certificate = dir.resolve(name + "-ca.pem");
        keytool("-genkeypair", "-alias", "ca", "-dname", "CN=" + name, "-keyalg", "EC", "-groupname", "secp256r1",
                "-validity", String.valueOf(VALIDITY_DAYS), "-ext", "bc:c=ca:true", "-ext", "ku:c=keyCertSign,cRLSign",
                "-keystore", ca.path().toString(), "-storetype", "PKCS12", "-storepass", ca.password());
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.path().toString(), "-storepass", ca.password(),
                "-file", certificate.toString());
        Store truststore = new Store(dir.resolve(name + "-truststore.p12"), newPassword());
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", certificate.toString(),
                "-keystore", truststore.path().toString(), "-storetype", "PKCS12", "-storepass", truststore.password());
        return new TestCertificateAuthority(dir, ca, certificate, truststore);
    }

    /** A PKCS12 trust store holding only this CA's certificate. */
    public Store truststore() {
        return truststore;
    }

    /**
     * A PKCS12 key store {@code <name>.p12} holding a new EC key and its certificate for {@code distinguishedName}
     * (e.g. {@code CN=broker,O=Toolformer}) signed by this CA, with the CA's certificate as the rest of its chain.
     *
     * @param subjectAlternativeNames e.g. {@code IP:127.0.0.1}, {@code DNS:localhost}; none for a client
     */
    public Store issue(String name, String distinguishedName, String... subjectAlternativeNames) {
        Objects.requireNonNull(name, "name == null");
        Objects.requireNonNull(distinguishedName, "distinguishedName == null");
        Store store = new Store(dir.resolve(name + ".p12"), newPassword());
        Path request = dir.resolve(name + ".csr");
        Path signed = dir.resolve(name + ".pem");
        keytool("-genkeypair", "-alias", name, "-dname", distinguishedName, "-keyalg", "EC", "-groupname", "secp256r1",
                "-validity", String.valueOf(VALIDITY_DAYS), "-keystore", store.path().toString(), "-storetype", "PKCS12",
                "-storepass", store.password());
        keytool("-certreq", "-alias", name, "-keystore", store.path().toString(), "-storepass", store.password(),
                "-file", request.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore",
                caKeystore.path().toString(), "-storepass", caKeystore.password(), "-infile", request.toString(),
                "-outfile", signed.toString(), "-validity", String.valueOf(VALIDITY_DAYS)));
        if (subjectAlternativeNames.length > 0) {
            sign.addAll(List.of("-ext", "san=" + String.join(",", subjectAlternativeNames)));
        }
        keytool(sign.toArray(String[]::new));
        // The reply is the signed certificate followed by the CA's: keytool installs it as the key's chain.
        Path chain = dir.resolve(name + "-chain.pem");
        try {
            Files.writeString(chain, Files.readString(signed) + Files.readString(caCertificate));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        keytool("-importcert", "-noprompt", "-alias", name, "-file", chain.toString(),
                "-keystore", store.path().toString(), "-storepass", store.password());
        return store;
    }

    private static Path realPath(String file) {
        try {
            return Path.of(file).toRealPath();
        } catch (IOException e) {
            return Path.of(file);
        }
    }

    private static String newPassword() {
        return "tls-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Runs keytool with {@code args}; fails with its output if it fails or takes longer than a minute. */
    private static void keytool(String... args) {
        List<String> command = new ArrayList<>(List.of(keytoolPath().toString(),
                // A short-lived JVM: C1 only and the serial collector start about twice as fast.
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
        command.addAll(List.of(args));
        try {
            Path output = Files.createTempFile("keytool-", ".out");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).start();
                process.getOutputStream().close(); // a prompt reads end of input instead of waiting
                if (!process.waitFor(KEYTOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("keytool " + args[0] + " did not finish within "
                            + KEYTOOL_TIMEOUT.toSeconds() + " s");
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("keytool " + args[0] + " exited with " + process.exitValue() + ": "
                            + Files.readString(output, StandardCharsets.UTF_8).strip());
                }
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running keytool " + args[0], e);
        }
    }

    /** The keytool beside the java command running this JVM (java.home's if the OS does not say which). */
    private static Path keytoolPath() {
        Path javaHome = ProcessHandle.current().info().command().map(TestCertificateAuthority::realPath)
                .map(java -> java.getParent().getParent()).orElseGet(() -> Path.of(System.getProperty("java.home")));
        for (String name : List.of("keytool", "keytool.exe")) {
            Path keytool = javaHome.resolve("bin").resolve(name);
            if (Files.isExecutable(keytool)) {
                return keytool;
            }
        }
        throw new IllegalStateException("no keytool in " + javaHome.resolve("bin"));
    }
}
