package dev.toolformer.alerts.incident;

import java.util.Objects;

import dev.toolformer.schema.ActionOutcome;

/** The outcome of an action that acts outside Kafka, and its detail for the incident record. */
public record ActionResult(ActionOutcome outcome, String detail) {
    public ActionResult {
        Objects.requireNonNull(outcome, "outcome == null");
        Objects.requireNonNull(detail, "detail == null");
    }

    /** It acted: {@code detail} says what it did. */
    public static ActionResult executed(String detail) {
        return new ActionResult(ActionOutcome.EXECUTED, detail);
    }

    /** Nothing here could act: {@code detail} says what an operator should do. */
    public static ActionResult recommended(String detail) {
        return new ActionResult(ActionOutcome.RECOMMENDED, detail);
    }
}
