package dev.toolformer.server.logging;

import ch.qos.logback.classic.pattern.KeyValuePairConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.toolformer.common.security.Redactor;

/**
 * {@code %redactedKvp}: the event's SLF4J key-value pairs ({@code key="value" ...}) after a space, with secrets
 * masked ({@link Redactor}); nothing when the event has none.
 */
public final class RedactingKeyValueConverter extends KeyValuePairConverter {
    @Override
    public String convert(ILoggingEvent event) {
        if (event.getKeyValuePairs() == null || event.getKeyValuePairs().isEmpty()) {
            return "";
        }
        return " " + Redactor.redact(super.convert(event));
    }
}
