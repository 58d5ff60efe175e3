package dev.toolformer.analytics;

import java.time.Instant;

import dev.toolformer.schema.ToolResult;

/**
 * Keys of the SLO aggregation. A group is {@code <tool>|<provider>}, or {@value #GLOBAL} for all
 * results; an output record is keyed {@code <tool>|<provider>|<window start, ISO-8601 UTC>}, e.g.
 * {@code echo|local|2026-01-01T12:00:00Z}. An empty tool or provider is reported as {@value #NONE}.
 * The provider is what follows the last {@code |} of a group key, so a provider name must not contain
 * {@code |} (a tool name may).
 */
final class SloKeys {
    static final String ALL = "*";
    static final String GLOBAL = ALL + "|" + ALL;
    static final String NONE = "none";

    private SloKeys() {
    }

    /** The {@code <tool>|<provider>} group of one result. */
    static String group(ToolResult result) {
        return orNone(result.getTool()) + "|" + orNone(result.getProvider());
    }

    static String tool(String group) {
        return group.substring(0, group.lastIndexOf('|'));
    }

    static String provider(String group) {
        return group.substring(group.lastIndexOf('|') + 1);
    }

    static String window(String group, long windowStartMs) {
        return group + "|" + Instant.ofEpochMilli(windowStartMs);
    }

    private static String orNone(String name) {
        return name == null || name.isEmpty() ? NONE : name;
    }
}
