package dev.toolformer.ops;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.commons.math3.linear.SingularMatrixException;
import org.apache.commons.math3.stat.regression.OLSMultipleLinearRegression;

/**
 * A least-squares model of an hourly series: intercept, linear trend, daily cycle (two harmonics of
 * the hour of day, UTC) and weekday offsets. Terms the history cannot support are left out: the daily
 * cycle needs two days of history, weekday offsets two weeks.
 */
final class Regression {
    static final Duration DAILY_MIN = Duration.ofDays(2);
    static final Duration WEEKLY_MIN = Duration.ofDays(14);

    /** One observation. */
    record Point(Instant at, double value) {
    }

    /** A fitted model. {@code terms} names the features used, for the reasoning shown to people. */
    record Model(Instant origin, boolean daily, boolean weekly, double[] coefficients, double trendPerHour, double rSquared,
                 List<String> terms) {

        double predict(Instant at) {
            double[] x = features(at, origin, daily, weekly);
            double y = coefficients[0];
            for (int i = 0; i < x.length; i++) {
                y += coefficients[i + 1] * x[i];
            }
            return y;
        }
    }

    private Regression() {
    }

    /** The fitted model, or empty when there are too few points for even a trend. */
    static Optional<Model> fit(List<Point> points) {
        if (points.size() < 3) {
            return Optional.empty();
        }
        Instant origin = points.getFirst().at();
        Duration span = Duration.between(origin, points.getLast().at());
        boolean daily = span.compareTo(DAILY_MIN) >= 0;
        boolean weekly = span.compareTo(WEEKLY_MIN) >= 0;
        // Gaps can make a term collinear with the others (say, samples at one hour of each day only): drop it.
        Optional<Model> model = fit(points, origin, daily, weekly);
        if (model.isEmpty() && weekly) {
            model = fit(points, origin, daily, false);
        }
        if (model.isEmpty() && daily) {
            model = fit(points, origin, false, false);
        }
        return model;
    }

    private static Optional<Model> fit(List<Point> points, Instant origin, boolean daily, boolean weekly) {
        int columns = features(origin, origin, daily, weekly).length;
        if (points.size() < columns + 3) {
            return Optional.empty();
        }
        double[] y = new double[points.size()];
        double[][] x = new double[points.size()][];
        for (int i = 0; i < points.size(); i++) {
            y[i] = points.get(i).value();
            x[i] = features(points.get(i).at(), origin, daily, weekly);
        }
        // A column collinear with others (to rounding) is singular, not a wild coefficient.
        OLSMultipleLinearRegression ols = new OLSMultipleLinearRegression(1e-10);
        ols.newSampleData(y, x);
        double[] beta;
        try {
            beta = ols.estimateRegressionParameters();
        } catch (SingularMatrixException e) {
            return Optional.empty();
        }
        double r2 = constant(y) ? 1 : ols.calculateRSquared();
        List<String> terms = new ArrayList<>(List.of("intercept", "trend"));
        if (daily) {
            terms.add("hour-of-day (2 harmonics)");
        }
        if (weekly) {
            terms.add("weekday");
        }
        return Optional.of(new Model(origin, daily, weekly, beta, beta[1], r2, List.copyOf(terms)));
    }

    /** trend (hours since origin), then sin/cos of the daily cycle and its first overtone, then Tue..Sun dummies. */
    static double[] features(Instant at, Instant origin, boolean daily, boolean weekly) {
        double[] x = new double[1 + (daily ? 4 : 0) + (weekly ? 6 : 0)];
        x[0] = Duration.between(origin, at).toMillis() / 3_600_000.0;
        ZonedDateTime utc = at.atZone(ZoneOffset.UTC);
        int i = 1;
        if (daily) {
            double angle = 2 * Math.PI * (utc.getHour() + utc.getMinute() / 60.0) / 24;
            x[i++] = Math.sin(angle);
            x[i++] = Math.cos(angle);
            x[i++] = Math.sin(2 * angle);
            x[i++] = Math.cos(2 * angle);
        }
        if (weekly) {
            DayOfWeek day = utc.getDayOfWeek();
            for (DayOfWeek d : DayOfWeek.values()) {
                if (d != DayOfWeek.MONDAY) {
                    x[i++] = day == d ? 1 : 0;
                }
            }
        }
        return x;
    }

    private static boolean constant(double[] y) {
        for (double v : y) {
            if (v != y[0]) {
                return false;
            }
        }
        return true;
    }
}
