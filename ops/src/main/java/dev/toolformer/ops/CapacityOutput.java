package dev.toolformer.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolformer.ops.CapacityPlanner.MetricForecast;
import dev.toolformer.ops.CapacityPlanner.Plan;
import dev.toolformer.ops.CapacityPlanner.Recommendation;
import dev.toolformer.ops.Regression.Point;

/** A capacity plan as a text table, JSON, or a self-contained HTML page with one chart per metric. */
public final class CapacityOutput {
    /** Chart.js from its WebJar, inlined so the page needs neither a CDN nor a server. */
    private static final String CHART_JS = "/META-INF/resources/webjars/chart.js/4.4.7/dist/chart.umd.js";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CapacityOutput() {
    }

    public static void text(Plan plan, PrintWriter out) {
        out.printf("== capacity forecast, next %d h (generated %s)%n", plan.horizon().toHours(), plan.generatedAt());
        out.printf("%-18s %8s %16s %16s %-21s %14s %6s  %s%n", "METRIC", "POINTS", "LAST", "PEAK", "PEAK AT", "TREND/H", "R2", "MODEL");
        for (MetricForecast f : plan.forecasts()) {
            String last = f.history().isEmpty() ? "-" : String.format("%,.1f", f.history().getLast().value());
            if (f.peak() == null) {
                out.printf("%-18s %8d %16s %16s %-21s %14s %6s  %s%n", f.metric(), f.history().size(), last, "-", "-", "-", "-",
                        "too little history");
                continue;
            }
            out.printf("%-18s %8d %16s %16s %-21s %14s %6.3f  %s%n", f.metric(), f.history().size(), last,
                    String.format("%,.1f", f.peak()), f.peakAt(), String.format("%+,.3f", f.trendPerHour()), f.rSquared(),
                    String.join(" + ", f.terms()));
        }
        for (Recommendation r : List.of(plan.replicas(), plan.partitions())) {
            out.printf("%n%s: %d -> %d%n", r.resource(), r.current(), r.recommended());
            r.reasoning().forEach(line -> out.println("  - " + line));
        }
    }

    public static ObjectNode json(Plan plan) {
        ObjectNode root = NODES.objectNode();
        root.put("generated_at", plan.generatedAt().toString());
        root.put("horizon_hours", plan.horizon().toHours());
        ArrayNode forecasts = root.putArray("forecasts");
        for (MetricForecast f : plan.forecasts()) {
            ObjectNode n = forecasts.addObject();
            n.put("metric", f.metric());
            n.put("description", f.description());
            n.put("peak", f.peak());
            n.put("peak_at", f.peakAt() == null ? null : f.peakAt().toString());
            n.put("trend_per_hour", f.trendPerHour());
            n.put("r_squared", f.rSquared());
            f.terms().forEach(n.putArray("terms")::add);
            points(n.putArray("history"), f.history());
            points(n.putArray("forecast"), f.forecast());
        }
        for (Recommendation r : List.of(plan.replicas(), plan.partitions())) {
            ObjectNode n = root.putObject(r == plan.replicas() ? "replicas" : "partitions");
            n.put("resource", r.resource());
            n.put("current", r.current());
            n.put("recommended", r.recommended());
            r.reasoning().forEach(n.putArray("reasoning")::add);
        }
        return root;
    }

    private static void points(ArrayNode array, List<Point> points) {
        points.forEach(p -> array.addObject().put("at", p.at().toString()).put("value", p.value()));
    }

    public static String html(Plan plan) {
        String data = json(plan).toString().replace("</", "<\\/");
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Toolformer capacity forecast</title>
                <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
                .chart{height:260px;margin-bottom:2em}li{margin:.2em 0}</style>
                <script>%s</script></head><body>
                <h1>Capacity forecast</h1><p id="meta"></p><div id="recs"></div><div id="charts"></div>
                <script>
                const plan = %s;
                const esc = s => String(s).replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
                document.getElementById('meta').textContent =
                  'Next ' + plan.horizon_hours + ' h, generated ' + plan.generated_at;
                for (const r of [plan.replicas, plan.partitions]) {
                  document.getElementById('recs').insertAdjacentHTML('beforeend', '<h2>' + esc(r.resource) + ': '
                    + r.current + ' &rarr; ' + r.recommended + '</h2><ul>'
                    + r.reasoning.map(l => '<li>' + esc(l) + '</li>').join('') + '</ul>');
                }
                for (const f of plan.forecasts) {
                  const box = document.createElement('div');
                  box.className = 'chart';
                  box.innerHTML = '<canvas aria-label="' + esc(f.description) + '" role="img"></canvas>';
                  document.getElementById('charts').appendChild(box);
                  const xy = ps => ps.map(p => ({x: Date.parse(p.at), y: p.value}));
                  new Chart(box.firstChild, {type: 'line', data: {datasets: [
                      {label: f.metric + ' (history)', data: xy(f.history), pointRadius: 0, borderColor: '#1f77b4'},
                      {label: f.metric + ' (forecast)', data: xy(f.forecast), pointRadius: 0, borderColor: '#ff7f0e',
                       borderDash: [6, 4]}]},
                    options: {maintainAspectRatio: false, parsing: false, animation: false,
                      plugins: {title: {display: true, text: f.description}},
                      scales: {x: {type: 'linear', ticks: {callback: v => new Date(v).toISOString().slice(5, 13) + 'h'}}}}});
                }
                </script></body></html>
                """.formatted(chartJs(), data);
    }

    private static String chartJs() {
        try (InputStream in = CapacityOutput.class.getResourceAsStream(CHART_JS)) {
            if (in == null) {
                throw new IllegalStateException(CHART_JS + " is missing from the classpath (the chart.js WebJar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("</script", "<\\/script");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + CHART_JS, e);
        }
    }
}
