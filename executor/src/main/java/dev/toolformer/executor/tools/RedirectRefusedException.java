package dev.toolformer.executor.tools;

/**
 * The {@code http} tool did not follow a redirect: to a private or loopback address that is not
 * allow-listed, to a scheme other than http or https, with credentials in its location, or past the hop
 * limit. Not retried: the server would answer the same. The result's error type is this class's name.
 */
public final class RedirectRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    public RedirectRefusedException(String message) {
        super(message);
    }
}
