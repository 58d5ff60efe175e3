package dev.toolformer.alerts;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Prometheus-style durations: {@code 30s}, {@code 2m}, {@code 1h30m}, {@code 500ms}, {@code 1d}, or {@code 0}. */
final class Durations {
    static final String EXPECTED = "a duration like 30s, 2m or 1h (units ms, s, m, h, d)";

    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {
    }

    /** The duration, or empty if {@code text} is not one. */
    static Optional<Duration> parse(String text) {
        if (text.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        if (!WHOLE.matcher(text).matches()) {
            return Optional.empty();
        }
        try {
            Duration total = Duration.ZERO;
            Matcher m = PART.matcher(text);
            while (m.find()) {
                total = total.plus(unit(Long.parseLong(m.group(1)), m.group(2)));
            }
            return Optional.of(total);
        } catch (NumberFormatException | ArithmeticException e) {
            return Optional.empty();
        }
    }

    private static Duration unit(long amount, String unit) {
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }
}
