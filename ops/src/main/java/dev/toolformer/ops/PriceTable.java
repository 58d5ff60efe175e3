package dev.toolformer.ops;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.toolformer.common.pricing.Pricing;

/** The models of each provider in the price table, and the executor's {@link Pricing} to price tokens with. */
public record PriceTable(Map<String, List<String>> modelsByProvider, Pricing pricing, String source) {

    public PriceTable {
        modelsByProvider = Map.copyOf(modelsByProvider);
    }

    /** {@code file}, or the table bundled with the executor when null; parsed once, by {@link Pricing}. */
    public static PriceTable load(Path file) {
        Pricing pricing = file == null ? Pricing.defaults() : Pricing.load(file);
        return new PriceTable(pricing.modelsByProvider(), pricing, file == null ? "classpath:pricing.yaml" : file.toString());
    }

    List<String> models(String provider) {
        return modelsByProvider.getOrDefault(provider, List.of());
    }

    double costUsd(String provider, String model, long inputTokens, long outputTokens) {
        return pricing.costUsd(provider, model, inputTokens, outputTokens);
    }
}
