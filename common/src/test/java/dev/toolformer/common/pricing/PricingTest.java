package dev.toolformer.common.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class PricingTest {

    private static Pricing parse(String yaml) throws Exception {
        return Pricing.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    @Test
    void shouldPriceShippedModelsPerMillionTokens() {
        Pricing pricing = Pricing.defaults();

        assertThat(pricing.costUsd("openai", "gpt-4o", 1_000_000, 1_000_000)).isEqualTo(12.50);
        assertThat(pricing.costUsd("anthropic", "claude-3-5-haiku", 500_000, 0)).isEqualTo(0.40);
        assertThat(pricing.costUsd("local", "llama-3.1-8b", 1_000, 1_000)).isZero();
    }

    @Test
    void shouldCostNothingForUnknownModelOrNoTokens() {
        Pricing pricing = Pricing.defaults();

        assertThat(pricing.costUsd("openai", "unknown", 1_000, 1_000)).isZero();
        assertThat(pricing.costUsd("openai", "gpt-4o", 0, 0)).isZero();
    }

    @Test
    void shouldListEachProvidersModelsInTheTablesOrder() throws Exception {
        Pricing pricing = parse("""
                providers:
                  zeta: {b: {input_per_million: 1, output_per_million: 2}, a: {input_per_million: 1, output_per_million: 2}}
                  alpha: {m: {input_per_million: 1, output_per_million: 2}}
                """);

        assertThat(pricing.modelsByProvider()).containsExactly(
                Map.entry("zeta", List.of("b", "a")), Map.entry("alpha", List.of("m")));
        assertThat(pricing.providers()).containsExactly("zeta", "alpha");
        assertThat(pricing.models()).containsExactlyInAnyOrder("a", "b", "m");
    }

    @Test
    void shouldRejectTableWithoutProvidersOrWithNegativePrice() {
        assertThatThrownBy(() -> parse("models: {}"))
                .hasMessage("test.yaml: expected a top-level 'providers' map");
        assertThatThrownBy(() -> parse("providers: {p: {m: {input_per_million: -1, output_per_million: 1}}}"))
                .hasMessage("test.yaml: providers.p.m.input_per_million must be a non-negative number, was -1");
    }
}
