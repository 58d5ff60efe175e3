package dev.toolformer.executor;

/**
 * A tool the executor can run. Implementations are found with {@link java.util.ServiceLoader}
 * (list them in {@code META-INF/services/dev.toolformer.executor.Tool}) and must be thread-safe:
 * one instance runs many calls at once, each on its own virtual thread.
 *
 * <p>Failures are types: throw {@link InvalidArgumentsException} for arguments the tool cannot
 * accept (the request is REJECTED, never retried), {@link RetriableToolException} for transient
 * failures (retried with backoff), anything else for a permanent error. Blocking is fine; the call
 * is interrupted when its deadline passes.
 */
public interface Tool {

    /** The name requests use in their {@code tool} field. */
    String name();

    /** Runs one call. */
    ToolOutput execute(ToolCall call) throws Exception;

    /**
     * True when {@link #execute} returns promptly (by throwing, {@link InterruptedException} or another) once its
     * thread is interrupted, whatever it is doing: then the executor runs each attempt on the request's own virtual
     * thread and interrupts it at the deadline. Otherwise (the default: a DNS lookup, a busy loop or a library that
     * swallows interrupts would overrun the deadline) each attempt runs on a second virtual thread the request waits
     * for, which costs a thread and its stack per request in flight.
     */
    default boolean interruptible() {
        return false;
    }
}
