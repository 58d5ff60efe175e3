package dev.toolformer.common.time;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar of the pipeline — rules files, the command line and the admin API read durations
 * alike: Prometheus style ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h30m}, {@code 7d}, or {@code 0}),
 * or ISO-8601 ({@code PT1H30M}).
 */
public final class Durations {
    /** What a duration looks like, for error messages. */
    public static final String EXPECTED = "a duration like 30s, 2m, 1h30m or 7d (units ms, s, m, h, d) or ISO-8601";

    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {
    }

    /** The duration, or empty if {@code text} is not one. */
    public static Optional<Duration> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        if (value.startsWith("pt") || value.startsWith("p")) {
            try {
                return Optional.of(Duration.parse(text.trim()));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }
        if (!WHOLE.matcher(value).matches()) {
            return Optional.empty();
        }
        try {
            Duration total = Duration.ZERO;
            Matcher m = PART.matcher(value);
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
