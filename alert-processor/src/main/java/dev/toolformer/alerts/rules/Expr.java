package dev.toolformer.alerts.rules;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.toolformer.schema.BurnRate;
import dev.toolformer.schema.BurnRateWindow;
import org.apache.avro.specific.SpecificRecord;

/** The condition of an alert rule, tested on each record of the rule's source. */
public sealed interface Expr {

    /** The value an alert reports ({@code AlertEvent.value}); NaN if the record has none. */
    double value(SpecificRecord record);

    /** True if the condition holds on the record; never for a NaN value. */
    boolean holds(SpecificRecord record);

    /** The threshold an alert reports ({@code AlertEvent.threshold}). */
    double threshold();

    /** {@code field op threshold} on a numeric field; a null field reads as NaN and never holds. */
    record Threshold(String field, Comparator comparator, double threshold) implements Expr {
        public Threshold {
            Objects.requireNonNull(field, "field == null");
            Objects.requireNonNull(comparator, "comparator == null");
        }

        @Override
        public double value(SpecificRecord record) {
            Object v = record.get(record.getSchema().getField(field).pos());
            return v instanceof Number n ? n.doubleValue() : Double.NaN;
        }

        @Override
        public boolean holds(SpecificRecord record) {
            return comparator.test(value(record), threshold);
        }
    }

    /** {@code field == symbol} (or {@code !=}) on a string or enum field; the value is 1 if it holds, else 0. */
    record Equals(String field, String symbol, boolean negated) implements Expr {
        public Equals {
            Objects.requireNonNull(field, "field == null");
            Objects.requireNonNull(symbol, "symbol == null");
        }

        @Override
        public double value(SpecificRecord record) {
            return holds(record) ? 1 : 0;
        }

        @Override
        public boolean holds(SpecificRecord record) {
            Object v = record.get(record.getSchema().getField(field).pos());
            return (v != null && symbol.equals(v.toString())) != negated;
        }

        @Override
        public double threshold() {
            return 1;
        }
    }

    /** Every condition holds; value and threshold are the first condition's. */
    record All(List<Expr> conditions) implements Expr {
        public All {
            conditions = List.copyOf(conditions);
            if (conditions.isEmpty()) {
                throw new IllegalArgumentException("conditions is empty");
            }
        }

        @Override
        public double value(SpecificRecord record) {
            return conditions.get(0).value(record);
        }

        @Override
        public boolean holds(SpecificRecord record) {
            return conditions.stream().allMatch(c -> c.holds(record));
        }

        @Override
        public double threshold() {
            return conditions.get(0).threshold();
        }
    }

    /**
     * The SRE workbook's multi-window burn-rate condition on a {@link BurnRate}: the burn rate over both
     * the long and the short lookback window is above {@code factor}. The value is the long window's rate.
     */
    record BurnRatePair(Duration longWindow, Duration shortWindow, double factor) implements Expr {
        public BurnRatePair {
            Objects.requireNonNull(longWindow, "longWindow == null");
            Objects.requireNonNull(shortWindow, "shortWindow == null");
        }

        @Override
        public double value(SpecificRecord record) {
            return rate((BurnRate) record, longWindow);
        }

        @Override
        public boolean holds(SpecificRecord record) {
            BurnRate burn = (BurnRate) record;
            return rate(burn, longWindow) > factor && rate(burn, shortWindow) > factor;
        }

        @Override
        public double threshold() {
            return factor;
        }

        private static double rate(BurnRate burn, Duration window) {
            return burn.getWindows().stream()
                    .filter(w -> w.getWindowMs() == window.toMillis())
                    .mapToDouble(BurnRateWindow::getBurnRate)
                    .findFirst().orElse(Double.NaN);
        }
    }

    /**
     * No record for a series for {@code duration} of wall-clock time: evaluated by punctuation, not on
     * records. The value is the silence so far in seconds.
     */
    record Absent(Duration duration) implements Expr {
        public Absent {
            Objects.requireNonNull(duration, "duration == null");
        }

        @Override
        public double value(SpecificRecord record) {
            return 0;
        }

        @Override
        public boolean holds(SpecificRecord record) {
            return false;
        }

        @Override
        public double threshold() {
            return duration.toSeconds();
        }
    }

    /** How a value is compared with the threshold. */
    enum Comparator {
        /** value &gt; threshold */
        GT(">"),
        /** value &gt;= threshold */
        GTE(">="),
        /** value &lt; threshold */
        LT("<"),
        /** value &lt;= threshold */
        LTE("<=");

        private final String symbol;

        Comparator(String symbol) {
            this.symbol = symbol;
        }

        /** The operator as written in the rules file, e.g. {@code ">"}. */
        public String symbol() {
            return symbol;
        }

        /** False for NaN, so a missing value never satisfies a rule. */
        public boolean test(double value, double threshold) {
            return switch (this) {
                case GT -> value > threshold;
                case GTE -> value >= threshold;
                case LT -> value < threshold;
                case LTE -> value <= threshold;
            };
        }

        public static Optional<Comparator> ofSymbol(String symbol) {
            return Arrays.stream(values()).filter(c -> c.symbol.equals(symbol)).findFirst();
        }

        /** {@code ">, >=, <, <="}, for error messages. */
        static String symbols() {
            return Arrays.stream(values()).map(Comparator::symbol).collect(Collectors.joining(", "));
        }
    }
}
