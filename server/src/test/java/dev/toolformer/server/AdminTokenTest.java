package dev.toolformer.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import dev.toolformer.embedded.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {
    private static final String TOKEN = "0123456789abcdef-admin";

    @Test
    void shouldBeDisabledWithoutFileOrEnvironment() {
        AdminToken token = AdminToken.load(null, Map.of());

        assertThat(token.enabled()).isFalse();
        assertThat(token.matches("")).isFalse();
        assertThat(token.matches(TOKEN)).isFalse();
    }

    @Test
    void shouldReadTheEnvironment() {
        AdminToken token = AdminToken.load(null, Map.of(AdminToken.ENV, "  " + TOKEN + "\n"));

        assertThat(token.enabled()).isTrue();
        assertThat(token.matches(TOKEN)).isTrue();
        assertThat(token.matches(TOKEN + "x")).isFalse();
        assertThat(token.matches(TOKEN.substring(1))).isFalse();
        assertThat(token.matches(null)).isFalse();
    }

    @Test
    void shouldReadTheFileWithoutItsTrailingNewline(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");

        AdminToken token = AdminToken.load(file, Map.of(AdminToken.ENV, " "));

        assertThat(token.matches(TOKEN)).isTrue();
    }

    @Test
    void shouldWarnWhenOtherUsersCanReadTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);
        try (LogCapture logs = new LogCapture()) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            AdminToken.load(file, Map.of());
            assertThat(logs.lines()).isEmpty();

            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            AdminToken.load(file, Map.of());
            assertThat(logs.lines()).containsExactly("WARN " + AdminToken.class.getName() + " - --admin-token-file "
                    + file + " is readable by other users; 'chmod 600 " + file + "' keeps the admin token to its owner");
        }
    }

    @Test
    void shouldRefuseBothSourcesAtOnce(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), TOKEN);

        assertThatThrownBy(() -> AdminToken.load(file, Map.of(AdminToken.ENV, TOKEN)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--admin-token-file and TOOLFORMER_ADMIN_TOKEN are both set: use one of them");
    }

    @Test
    void shouldRefuseAShortTokenWithoutPrintingIt() {
        assertThatThrownBy(() -> AdminToken.load(null, Map.of(AdminToken.ENV, "hunter2secret")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TOOLFORMER_ADMIN_TOKEN is 13 characters long: expected at least 16"
                        + " (e.g. from 'openssl rand -hex 32')")
                .message().doesNotContain("hunter2secret");
    }

    @Test
    void shouldRefuseATokenThatCannotTravelInAHeader(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "two words that are long enough");

        assertThatThrownBy(() -> AdminToken.load(file, Map.of()))
                .hasMessage("--admin-token-file " + file + " holds spaces, control or non-ASCII characters:"
                        + " expected visible ASCII only (e.g. from 'openssl rand -hex 32')");
    }

    @Test
    void shouldRefuseAnEmptyOrMissingFile(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");

        assertThatThrownBy(() -> AdminToken.load(empty, Map.of()))
                .hasMessageStartingWith("--admin-token-file " + empty + " is empty");
        assertThatThrownBy(() -> AdminToken.load(dir.resolve("missing"), Map.of()))
                .hasMessageStartingWith("--admin-token-file " + dir.resolve("missing") + " cannot be read");
    }

    @Test
    void shouldNeverPrintTheToken() {
        assertThat(AdminToken.of(TOKEN).toString()).isEqualTo("AdminToken[configured]");
        assertThat(AdminToken.disabled().toString()).isEqualTo("AdminToken[none]");
    }
}
