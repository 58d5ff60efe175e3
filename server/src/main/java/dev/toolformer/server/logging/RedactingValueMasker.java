package dev.toolformer.server.logging;

import com.fasterxml.jackson.core.JsonStreamContext;
import dev.toolformer.common.security.Redactor;
import net.logstash.logback.mask.ValueMasker;

/** Masks secrets in every string value of a JSON log line ({@link Redactor}). */
public final class RedactingValueMasker implements ValueMasker {
    @Override
    public Object mask(JsonStreamContext context, Object value) {
        if (value instanceof CharSequence text) {
            String redacted = Redactor.redact(text.toString());
            return redacted.contentEquals(text) ? null : redacted;
        }
        return null;
    }
}
