package dev.toolformer.server.logging;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.FileAppender;
import org.slf4j.LoggerFactory;

/**
 * Sends the logs of the libraries the all-in-one embeds — the Kafka broker and controller, the Kafka clients and
 * Streams — to a file (at INFO, the detail one needs to debug them), and only their ERROR lines to the console,
 * where the pipeline's own lines stay readable. {@link #close()} puts logging back as it was.
 */
public final class LibraryLogs implements AutoCloseable {
    /** The loggers of the embedded broker and of the Kafka client libraries. */
    static final List<String> LIBRARIES = List.of("kafka", "org.apache.kafka", "state.change.logger");

    private record Saved(Logger logger, Level level, boolean additive) { }

    private final List<Saved> saved = new ArrayList<>();
    private final FileAppender<ILoggingEvent> file;
    private final AppenderBase<ILoggingEvent> errors;

    private LibraryLogs(LoggerContext context, Path path) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger - %msg%n%ex");
        encoder.start();
        file = new FileAppender<>();
        file.setContext(context);
        file.setName("library-file");
        file.setFile(path.toAbsolutePath().toString());
        file.setAppend(true);
        file.setEncoder(encoder);
        file.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        List<Appender<ILoggingEvent>> console = new ArrayList<>();
        root.iteratorForAppenders().forEachRemaining(console::add);
        errors = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
                    console.forEach(a -> a.doAppend(event));
                }
            }
        };
        errors.setContext(context);
        errors.setName("library-errors-to-console");
        errors.start();
        for (String name : LIBRARIES) {
            Logger logger = context.getLogger(name);
            saved.add(new Saved(logger, logger.getLevel(), logger.isAdditive()));
            logger.setLevel(Level.INFO);
            logger.setAdditive(false);
            logger.addAppender(file);
            logger.addAppender(errors);
        }
    }

    /**
     * Routes the library logs to {@code file} (created with its directory) until closed; does nothing when logback
     * is not the logging backend.
     */
    public static AutoCloseable to(Path file) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> { };
        }
        return new LibraryLogs(context, file);
    }

    @Override
    public void close() {
        for (Saved s : saved) {
            s.logger().detachAppender(file);
            s.logger().detachAppender(errors);
            s.logger().setLevel(s.level());
            s.logger().setAdditive(s.additive());
        }
        file.stop();
        errors.stop();
    }
}
