package dev.toolformer.executor.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * One call's HTTP exchange as its caller can stop it, for the {@code http} and {@code openai-chat} tools: a cancel
 * cancels the request in progress (the {@code http} tool's hops, in turn) or closes the body being read, and stops
 * either as it starts when it comes first.
 */
final class CancellableExchange {
    private CompletableFuture<?> inProgress;
    private InputStream reading;
    private boolean cancelled;

    /** Cancels this exchange when {@code result}, the call's future, is cancelled (the deadline, a cancel). */
    static CancellableExchange cancelledWith(CompletableFuture<?> result) {
        CancellableExchange exchange = new CancellableExchange();
        result.whenComplete((out, error) -> {
            if (result.isCancelled()) {
                exchange.cancel();
            }
        });
        return exchange;
    }

    /** {@code sent} is the request in progress now; it is cancelled at once when the call already was. */
    void sending(CompletableFuture<?> sent) {
        synchronized (this) {
            inProgress = sent;
            if (!cancelled) {
                return;
            }
        }
        sent.cancel(true);
    }

    /**
     * {@code body} is about to be read.
     *
     * @throws CancellationException when the call was cancelled (the body is closed)
     */
    void reading(InputStream body) {
        synchronized (this) {
            reading = body;
            if (!cancelled) {
                return;
            }
        }
        close(body);
        throw new CancellationException("cancelled before its body was read");
    }

    void cancel() {
        CompletableFuture<?> exchange;
        InputStream body;
        synchronized (this) {
            cancelled = true;
            exchange = inProgress;
            body = reading;
        }
        if (exchange != null) {
            exchange.cancel(true);
        }
        if (body != null) {
            close(body);
        }
    }

    static void close(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // closing only to stop the read, or because the body is not wanted
        }
    }
}
