package dev.toolformer.embedded.testing;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

/** Collects every log event of the process (message, level, logger, throwable) while open: for tests on what is logged. */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

    public LogCapture() {
        setName("test-capture");
        setContext(root().getLoggerContext());
        start();
        root().addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        events.add(event);
    }

    /** Every captured event as one line: level, logger, message, then the messages of its throwable chain. */
    public List<String> lines() {
        return events.stream().map(LogCapture::line).toList();
    }

    private static String line(ILoggingEvent e) {
        StringBuilder out = new StringBuilder(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            out.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return out.toString();
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    }

    @Override
    public void close() {
        root().detachAppender(this);
        stop();
    }
}
