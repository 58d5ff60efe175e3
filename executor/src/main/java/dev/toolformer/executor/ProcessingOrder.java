package dev.toolformer.executor;

/** In which order an executor may run the requests it reads. */
public enum ProcessingOrder {
    /**
     * Any request may start as soon as there is capacity, whatever its key (the default, and the
     * fastest): results of requests with the same key can come out in any order.
     */
    UNORDERED,
    /**
     * Requests with the same record key run one after another, in offset order; different keys
     * still run concurrently. Records without a key are unordered.
     */
    KEY
}
