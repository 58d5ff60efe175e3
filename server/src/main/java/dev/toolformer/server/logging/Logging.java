package dev.toolformer.server.logging;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import org.slf4j.LoggerFactory;

/**
 * Chooses the log format (human-readable {@code text} for development, {@code json} lines for a log
 * pipeline) and level, and reloads logback's configuration ({@code logback.xml}) with them.
 */
public final class Logging {
    /** How log lines look. */
    public enum Format {
        /** One human-readable line per event. */
        TEXT,
        /** One JSON object per line: service, version, environment, level, logger, message, MDC ids. */
        JSON
    }

    /**
     * Level of the structured tool-execution events ({@code toolformer.tool-events}): INFO (all), WARN (failures
     * only) or OFF; by default INFO in JSON (a log pipeline wants them), OFF in text (a console does not).
     */
    public static final String TOOL_EVENTS_ENV = "TOOLFORMER_TOOL_EVENTS";

    private Logging() {
    }

    public static void configure(Format format, String level, String service) {
        configure(format, level, service, System.getenv(TOOL_EVENTS_ENV));
    }

    /** As {@link #configure(Format, String, String)}, with {@code toolEvents} for {@value #TOOL_EVENTS_ENV}. */
    static void configure(Format format, String level, String service, String toolEvents) {
        System.setProperty("toolformer.log.format", format.name());
        System.setProperty("toolformer.log.level", level.toUpperCase(Locale.ROOT));
        System.setProperty("toolformer.service", service);
        System.setProperty("toolformer.log.tool-events", toolEvents != null && !toolEvents.isBlank()
                ? toolEvents.strip().toUpperCase(Locale.ROOT) : format == Format.JSON ? "INFO" : "OFF");
        String version = Logging.class.getPackage().getImplementationVersion();
        System.setProperty("toolformer.version", version == null ? "dev" : version);
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try (InputStream in = Logging.class.getResourceAsStream("/logback.xml")) {
            configurator.doConfigure(in);
        } catch (JoranException | IOException e) {
            throw new IllegalStateException("cannot configure logging: " + e.getMessage(), e);
        }
    }
}
