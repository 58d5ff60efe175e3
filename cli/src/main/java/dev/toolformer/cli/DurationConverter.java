package dev.toolformer.cli;

import java.time.Duration;

import dev.toolformer.common.time.Durations;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads durations on the command line and in the admin API with the pipeline's one grammar ({@link Durations}). */
public final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return Durations.parse(value).orElseThrow(() -> new TypeConversionException("'" + value
                + "' is not a duration (expected e.g. 500ms, 30s, 2m, 1h30m, 7d)"));
    }
}
