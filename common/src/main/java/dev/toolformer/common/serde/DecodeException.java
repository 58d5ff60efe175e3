package dev.toolformer.common.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A value that cannot be read as the expected Avro type; {@link #reason()} says why, in a word. */
public final class DecodeException extends SerializationException {
    private static final long serialVersionUID = 1L;

    /** Why a value could not be decoded. */
    public enum Reason {
        /** The record has no value (a tombstone or a null sent by mistake). */
        NULL_VALUE,
        /** The bytes do not start with the Avro single-object marker {@code C3 01}. */
        BAD_HEADER,
        /** The writer schema's fingerprint is not one of the versions shipped in {@code schemas/}. */
        UNKNOWN_SCHEMA,
        /** The header is right but the body is truncated or corrupt. */
        CORRUPT_BODY
    }

    private final Reason reason;

    public DecodeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
