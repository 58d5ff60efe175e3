package dev.toolformer.cli;

import java.nio.file.Path;

import dev.toolformer.server.AdminToken;
import picocli.CommandLine.Option;

/**
 * {@code --admin-token-file}: where the admin endpoints' bearer token comes from, if not from
 * {@value AdminToken#ENV}. There is deliberately no option taking the token itself: {@code ps} shows arguments.
 */
final class AdminTokenOption {
    @Option(names = AdminToken.FILE_OPTION, paramLabel = "FILE",
            description = "File holding the bearer token of the admin endpoints (/api/admin/...); or set "
                    + AdminToken.ENV + ". Without either, the admin endpoints are disabled.")
    Path file;

    /** The configured token, or {@link AdminToken#disabled()}; a bad file or token fails with a message naming it. */
    AdminToken load() {
        return AdminToken.load(file, System.getenv());
    }
}
