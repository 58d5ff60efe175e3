package dev.toolformer.executor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * A tool that waits without a thread: {@link #executeAsync} starts a call and returns at once with the stage its
 * output completes. While such a call waits (a timer, a non-blocking HTTP exchange) the executor holds a few
 * objects for its request and no thread or stack, which is what lets one instance keep tens of thousands of slow
 * calls in flight in a small heap.
 *
 * <p>The stage completes with the output, or exceptionally with the exceptions {@link Tool#execute} would throw
 * ({@link InvalidArgumentsException}, {@link RetriableToolException}, anything else for a permanent error). At the
 * deadline, and when the request is cancelled or abandoned, the executor stops waiting and cancels the stage's
 * {@link CompletionStage#toCompletableFuture() future}: release what the call holds then (cancel its timer or its
 * exchange). Completing the stage must be quick: the executor continues the request on a virtual thread of its own
 * when the stage completes on a platform thread (a timer's), and on the completing thread when that is virtual.
 */
public interface AsyncTool extends Tool {

    /** Starts one call; an exception thrown here is the attempt's failure, as if the stage had completed with it. */
    CompletionStage<ToolOutput> executeAsync(ToolCall call);

    /** Runs one call on the calling thread (for callers outside the executor): starts it and waits for its output. */
    @Override
    default ToolOutput execute(ToolCall call) throws Exception {
        CompletableFuture<ToolOutput> output = executeAsync(call).toCompletableFuture();
        try {
            return output.get();
        } catch (ExecutionException | CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (InterruptedException e) {
            output.cancel(true);
            throw e;
        }
    }

    /**
     * What a stage failed with: {@code failure} without the {@link CompletionException} that dependent stages wrap
     * it in (a stage's {@code whenComplete} or {@code handle} sees either).
     */
    static Throwable cause(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
