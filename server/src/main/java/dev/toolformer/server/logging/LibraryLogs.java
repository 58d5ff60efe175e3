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
 * Streams — to a file (at INFO, the detail one needs to debug them), where the pipeline's own lines stay readable on
 * the console. The clients' ERROR lines reach the console too (a client in trouble is the pipeline in trouble); the
 * embedded broker's stay in the file: its errors about a request are answered to the client that sent it, which
 * retries or reports them itself (the broker logs, for instance, each partition of a transactional append it refused
 * while a transaction was still completing). {@link #close()} puts logging back as it was.
 */
public final class LibraryLogs implements AutoCloseable {
    /** The loggers of the Kafka client libraries (and anything else of Kafka's not listed in {@link #BROKER}). */
    static final List<String> CLIENTS = List.of("org.apache.kafka");
    /** The loggers of the embedded broker and controller: to the file only. */
    static final List<String> BROKER = List.of("kafka", "state.change.logger", "org.apache.kafka.server",
            "org.apache.kafka.controller", "org.apache.kafka.raft", "org.apache.kafka.storage",
            "org.apache.kafka.metadata", "org.apache.kafka.image", "org.apache.kafka.coordinator",
            "org.apache.kafka.security", "org.apache.kafka.network", "org.apache.kafka.queue");

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
        for (String name : CLIENTS) {
            route(context.getLogger(name), true);
        }
        for (String name : BROKER) {
            route(context.getLogger(name), false);
        }
    }

    private void route(Logger logger, boolean errorsToConsole) {
        saved.add(new Saved(logger, logger.getLevel(), logger.isAdditive()));
        logger.setLevel(Level.INFO); // loggers below with a level of their own (logback.xml) keep it
        logger.setAdditive(false);
        logger.addAppender(file);
        if (errorsToConsole) {
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
            s.logger().detachAppender(errors); // a no-op for the broker's
            s.logger().setLevel(s.level());
            s.logger().setAdditive(s.additive());
        }
        file.stop();
        errors.stop();
    }
}
