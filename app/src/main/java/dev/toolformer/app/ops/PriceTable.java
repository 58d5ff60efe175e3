package dev.toolformer.app.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.toolformer.executor.Pricing;

/** The models of each provider in the price table, and the executor's {@link Pricing} to price tokens with. */
record PriceTable(Map<String, List<String>> modelsByProvider, Pricing pricing, String source) {

    PriceTable {
        modelsByProvider = Map.copyOf(modelsByProvider);
    }

    /** {@code file}, or the table bundled with the executor when null. */
    static PriceTable load(Path file) {
        if (file == null) {
            try (InputStream in = Pricing.class.getResourceAsStream("/pricing.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("pricing.yaml is missing from the classpath");
                }
                return new PriceTable(models(in, "classpath:pricing.yaml"), Pricing.defaults(), "classpath:pricing.yaml");
            } catch (IOException e) {
                throw new IllegalStateException("cannot read classpath:pricing.yaml: " + e.getMessage(), e);
            }
        }
        Pricing pricing = Pricing.load(file);
        try (InputStream in = Files.newInputStream(file)) {
            return new PriceTable(models(in, file.toString()), pricing, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pricing file " + file + ": " + e.getMessage(), e);
        }
    }

    List<String> models(String provider) {
        return modelsByProvider.getOrDefault(provider, List.of());
    }

    double costUsd(String provider, String model, long inputTokens, long outputTokens) {
        return pricing.costUsd(provider, model, inputTokens, outputTokens);
    }

    private static Map<String, List<String>> models(InputStream in, String source) throws IOException {
        JsonNode providers = new ObjectMapper(new YAMLFactory()).readTree(in).path("providers");
        if (!providers.isObject()) {
            throw new IllegalArgumentException(source + ": expected a top-level 'providers' map");
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        providers.properties().forEach(p -> {
            List<String> models = new ArrayList<>();
            p.getValue().fieldNames().forEachRemaining(models::add);
            out.put(p.getKey(), List.copyOf(models));
        });
        return out;
    }
}
