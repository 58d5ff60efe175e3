package dev.toolformer.bench.harness;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The results of a run as one JSON object (one key per scenario) and as a readable table with the targets. */
public final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String header;
    private final Map<String, Map<String, Object>> results;
    private final Map<String, String> notes;

    public BenchReport(String header, Map<String, Map<String, Object>> results, Map<String, String> notes) {
        this.header = header;
        this.results = results;
        this.notes = notes;
    }

    public String json() {
        try {
            return JSON.writeValueAsString(results);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the results as JSON: " + e.getMessage(), e);
        }
    }

    public void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, json() + System.lineSeparator());
    }

    public void printTable(PrintWriter out) {
        out.println(header);
        out.printf("%-12s %-22s %14s  %s%n", "scenario", "field", "value", "target");
        results.forEach((scenario, fields) -> {
            List<String[]> rows = new ArrayList<>();
            flatten("", fields, rows);
            String name = scenario;
            for (String[] row : rows) {
                out.printf("%-12s %-22s %14s  %s%n", name, row[0], row[1], target(scenario, row[0], fields));
                name = "";
            }
            String note = notes.get(scenario);
            if (note != null) {
                out.printf("%-12s (%s)%n", "", note);
            }
        });
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> fields, List<String[]> rows) {
        fields.forEach((key, value) -> {
            if (value instanceof Map<?, ?> nested) {
                flatten(prefix + key + ".", (Map<String, Object>) nested, rows);
            } else if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    flatten(prefix + key + "." + (i + 1) + ".", (Map<String, Object>) list.get(i), rows);
                }
            } else {
                rows.add(new String[] {prefix + key, value instanceof Number n ? number(n.doubleValue()) : String.valueOf(value)});
            }
        });
    }

    /** The targets, measured, never asserted: "met" or "missed" beside the figure. */
    private static String target(String scenario, String field, Map<String, Object> fields) {
        return switch (scenario + "." + field) {
            case "pipeline.ratio_to_relay" -> verdict(value(fields, "ratio_to_relay") >= 0.5, ">= 0.5");
            case "concurrency.wall_s" -> verdict(value(fields, "wall_s") <= 3, "<= 3 s");
            case "concurrency.executor_full_gcs" -> verdict(value(fields, "executor_full_gcs") == 0, "no full GC");
            case "concurrency.bytes_per_in_flight" -> verdict(value(fields, "bytes_per_in_flight") <= 4096,
                    "<= 4 KB");
            case "latency.p99_ms" -> verdict(value(fields, "p99_ms") < 2 * value(fields, "relay_p99_ms"), "< 2 x relay_p99_ms");
            case "latency.pairs_within_target" -> verdict(value(fields, "pairs_within_target")
                    == ((List<?>) fields.get("pairs")).size(), "every pair p99 < 2 x its relay p99");
            default -> "";
        };
    }

    private static String verdict(boolean met, String target) {
        return target + (met ? "  met" : "  MISSED");
    }

    private static double value(Map<String, Object> fields, String key) {
        return ((Number) fields.get(key)).doubleValue();
    }

    /** A figure as people read it: no decimals for whole and large numbers, else up to three. */
    static String number(double value) {
        if (value == Math.rint(value) || Math.abs(value) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, "%.3f", value).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    /** The median of {@code values} (the mean of the middle two when their count is even). */
    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    static double round1(double value) {
        return Math.round(value * 10) / 10.0;
    }

    static double round2(double value) {
        return Math.round(value * 100) / 100.0;
    }

    static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
