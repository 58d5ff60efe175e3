package dev.toolformer.executor;

/** A transient tool failure (rate limited, connection reset, 5xx): the executor retries it with backoff. */
public class RetriableToolException extends Exception {
    private static final long serialVersionUID = 1L;

    public RetriableToolException(String message) {
        super(message);
    }

    public RetriableToolException(String message, Throwable cause) {
        super(message, cause);
    }
}
