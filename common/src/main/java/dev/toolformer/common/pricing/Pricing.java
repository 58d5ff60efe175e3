package dev.toolformer.common.pricing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** USD prices per million tokens by provider and model, from {@code config/pricing.yaml}. */
public final class Pricing {
    private static final Logger log = LoggerFactory.getLogger(Pricing.class);

    /** The price of one model. */
    record Price(double inputPerMillion, double outputPerMillion) {
    }

    private final Map<String, Price> prices;
    private final Map<String, List<String>> modelsByProvider;
    private final Set<String> models;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    private Pricing(Map<String, Price> prices, Map<String, List<String>> modelsByProvider) {
        this.prices = Map.copyOf(prices);
        this.modelsByProvider = Collections.unmodifiableMap(new LinkedHashMap<>(modelsByProvider));
        this.models = modelsByProvider.values().stream().flatMap(List::stream)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The providers the table prices. */
    public Set<String> providers() {
        return modelsByProvider.keySet();
    }

    /** Each provider's models, in the table's order (the one parse of {@code pricing.yaml}). */
    public Map<String, List<String>> modelsByProvider() {
        return modelsByProvider;
    }

    /** The models the table prices, of any provider. */
    public Set<String> models() {
        return models;
    }

    /** The table shipped in the jar (a copy of {@code config/pricing.yaml}). */
    public static Pricing defaults() {
        try (InputStream in = Pricing.class.getResourceAsStream("/pricing.yaml")) {
            if (in == null) {
                throw new IllegalStateException("pricing.yaml is missing from the classpath");
            }
            return parse(in, "classpath:pricing.yaml");
        } catch (IOException e) {
            throw new IllegalStateException("cannot read classpath:pricing.yaml: " + e.getMessage(), e);
        }
    }

    public static Pricing load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pricing file " + file + ": " + e.getMessage(), e);
        }
    }

    static Pricing parse(InputStream in, String source) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
        JsonNode providers = root == null ? null : root.get("providers");
        if (providers == null || !providers.isObject()) {
            throw new IllegalArgumentException(source + ": expected a top-level 'providers' map");
        }
        Map<String, Price> prices = new HashMap<>();
        Map<String, List<String>> modelsByProvider = new LinkedHashMap<>();
        for (var provider : providers.properties()) {
            List<String> models = new ArrayList<>();
            for (var model : provider.getValue().properties()) {
                models.add(model.getKey());
                String where = source + ": providers." + provider.getKey() + "." + model.getKey();
                prices.put(key(provider.getKey(), model.getKey()), new Price(
                        price(model.getValue(), "input_per_million", where),
                        price(model.getValue(), "output_per_million", where)));
            }
            modelsByProvider.put(provider.getKey(), List.copyOf(models));
        }
        return new Pricing(prices, modelsByProvider);
    }

    /** The cost of a call in USD; 0 (logged once) for a model not in the table. */
    public double costUsd(String provider, String model, long inputTokens, long outputTokens) {
        if (inputTokens == 0 && outputTokens == 0) {
            return 0;
        }
        Price price = prices.get(key(provider, model));
        if (price == null) {
            if (warned.add(key(provider, model))) {
                log.warn("No price for provider '{}' model '{}': its calls are counted at $0", provider, model);
            }
            return 0;
        }
        return (inputTokens * price.inputPerMillion() + outputTokens * price.outputPerMillion()) / 1_000_000.0;
    }

    private static double price(JsonNode node, String key, String where) {
        JsonNode value = node.get(key);
        if (value == null || !value.isNumber() || value.asDouble() < 0) {
            throw new IllegalArgumentException(where + "." + key + " must be a non-negative number, was " + value);
        }
        return value.asDouble();
    }

    private static String key(String provider, String model) {
        return provider + "/" + model;
    }
}
