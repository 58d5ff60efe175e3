package dev.toolformer.executor;

/** The call's arguments are not acceptable to the tool: the request is REJECTED and never retried. */
public class InvalidArgumentsException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentsException(String message) {
        super(message);
    }
}
