package dev.toolformer.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.toolformer.ops.Regression.Model;
import dev.toolformer.ops.Regression.Point;
import org.junit.jupiter.api.Test;

class RegressionTest {
    private static final Instant START = Instant.parse("2026-11-02T00:00:00Z"); // a Monday

    /** 100 + 0.5/h trend + a daily wave of amplitude 30 peaking at 06:00 - 20 at weekends. */
    private static double truth(Instant at) {
        double hours = Duration.between(START, at).toMinutes() / 60.0;
        int hour = at.atZone(ZoneOffset.UTC).getHour();
        DayOfWeek day = at.atZone(ZoneOffset.UTC).getDayOfWeek();
        boolean weekend = day == DayOfWeek.SATURDAY || day == DayOfWeek.SUNDAY;
        return 100 + 0.5 * hours + 30 * Math.sin(2 * Math.PI * hour / 24) - (weekend ? 20 : 0);
    }

    @Test
    void shouldRecoverTrendDailyCycleAndWeekendsFromThreeNoisyWeeks() {
        Random noise = new Random(42);
        List<Point> points = new ArrayList<>();
        for (int h = 0; h < 21 * 24; h++) {
            Instant at = START.plus(Duration.ofHours(h));
            points.add(new Point(at, truth(at) + noise.nextGaussian() * 2));
        }

        Model model = Regression.fit(points).orElseThrow();

        assertThat(model.terms()).containsExactly("intercept", "trend", "hour-of-day (2 harmonics)", "weekday");
        assertThat(model.trendPerHour()).isCloseTo(0.5, within(0.01));
        assertThat(model.rSquared()).isGreaterThan(0.98);
        // The next day is a Monday: no weekend dip, and the trend carries on.
        for (int h = 1; h <= 24; h++) {
            Instant at = points.getLast().at().plus(Duration.ofHours(h));
            assertThat(model.predict(at)).as("hour %d ahead", h).isCloseTo(truth(at), within(2.0));
        }
        Instant saturday = Instant.parse("2026-11-28T06:00:00Z");
        assertThat(model.predict(saturday)).isCloseTo(truth(saturday), within(2.5));
    }

    @Test
    void shouldFitOnlyATrendToLessThanTwoDays() {
        List<Point> points = new ArrayList<>();
        for (int h = 0; h < 36; h++) {
            points.add(new Point(START.plus(Duration.ofHours(h)), 10 + 2.0 * h));
        }

        Model model = Regression.fit(points).orElseThrow();

        assertThat(model.terms()).containsExactly("intercept", "trend");
        assertThat(model.trendPerHour()).isCloseTo(2.0, within(1e-9));
        assertThat(model.predict(START.plus(Duration.ofHours(40)))).isCloseTo(90.0, within(1e-9));
    }

    @Test
    void shouldDropTheDailyCycleWhenSamplesAreAlwaysAtTheSameHour() {
        List<Point> points = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            points.add(new Point(START.plus(Duration.ofDays(d)).plus(Duration.ofHours(9)), 5 + d * 24));
        }

        Model model = Regression.fit(points).orElseThrow();

        assertThat(model.terms()).containsExactly("intercept", "trend");
        assertThat(model.trendPerHour()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void shouldNotFitFewerThanThreePoints() {
        assertThat(Regression.fit(List.of(new Point(START, 1), new Point(START.plusSeconds(3600), 2)))).isEmpty();
    }
}
