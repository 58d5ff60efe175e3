package dev.toolformer.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolformer.alerts.rules.AlertRules;
import dev.toolformer.embedded.testing.EmbeddedKafkaExtension;
import dev.toolformer.embedded.testing.KafkaTestCluster;
import dev.toolformer.producer.ToolformerClient;
import dev.toolformer.schema.ToolResult;
import dev.toolformer.server.Pipeline;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real browser (Debian's chromium through chromedriver): the all-in-one runs with
 * load, the page's tiles show the numbers its API returns, and an alert fired after the page loaded
 * appears without a reload. Leaves a screenshot at {@code target/dashboard.png}.
 */
@Tag("integration")
@ExtendWith(EmbeddedKafkaExtension.class)
class DashboardIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    @Timeout(240)
    void shouldShowTheApiNumbersAndAFreshAlertWithoutReload(KafkaTestCluster cluster, @TempDir Path data) throws Exception {
        RequiredTools.require("apt-get install chromium chromium-driver; .ci/run installs them", CHROMIUM, CHROMEDRIVER);
        String provider = cluster.uniqueName("dash").replace('-', '_');
        AlertRules rules = AlertRules.parse("""
                rules:
                  - name: DashboardTestErrors
                    expr: {field: error_rate, op: ">", threshold: 0.5}
                    for: 0s
                    min_requests: 0  # fires on the handful of calls this test makes
                    severity: critical
                    match: {provider: "%s"}
                    annotations: {summary: "errors for {{tool}}"}
                """.formatted(provider), "test");
        Pipeline.Options options = new Pipeline.Options(cluster.settings(), data, 0, "127.0.0.1", 0, 6, (short) 1,
                Duration.ofSeconds(5), rules);
        try (Pipeline pipeline = Pipeline.start(options);
             ToolformerClient client = new ToolformerClient(pipeline.kafka())) {
            assertThat(pipeline.awaitReady(Duration.ofSeconds(90))).isTrue();
            String base = "http://127.0.0.1:" + pipeline.httpPort();
            awaitAll(submit(client, "echo", "{\"n\":1}", "local", 40));
            await().atMost(Duration.ofSeconds(60)).until(() -> globalRequests(get(base + "/api/dashboard?range=1h")) >= 40);
            // The shared broker holds the results of every earlier test of this JVM, which this pipeline's
            // analytics counts too: let the global figures settle before comparing page and API.
            long[] last = {-1};
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(5)).until(() -> {
                long now = globalRequests(get(base + "/api/dashboard?range=1h"));
                boolean settled = now == last[0];
                last[0] = now;
                return settled;
            });

            WebDriver browser = chrome();
            try {
                browser.get(base + "/");
                await().atMost(Duration.ofSeconds(30)).until(() -> "true".equals(
                        browser.findElement(By.tagName("body")).getDomAttribute("data-ready")));
                ((JavascriptExecutor) browser).executeScript("window.__notReloaded = true;");
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    JsonNode api = get(base + "/api/dashboard?range=1h");
                    assertThat(tile(browser, "requests")).isEqualTo(String.valueOf(globalRequests(api)));
                    assertThat(tile(browser, "error-rate")).isEqualTo(errorRate(api));
                    assertThat(tile(browser, "executors-up")).isEqualTo(String.valueOf(executorsUp(api)));
                });

                awaitAll(submit(client, "simulated", "{\"fail_probability\":1}", provider, 3));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(
                        browser.findElements(By.cssSelector("#alerts-active [data-state='FIRING']")))
                        .anySatisfy(row -> assertThat(row.getText()).contains("DashboardTestErrors").contains(provider)));
                assertThat(((JavascriptExecutor) browser).executeScript("return window.__notReloaded === true;"))
                        .isEqualTo(true);
                assertThat(tile(browser, "alerts-firing")).isNotEqualTo("0");

                Path screenshot = Path.of("target", "dashboard.png");
                Files.write(screenshot, ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
                assertThat(Files.size(screenshot)).isGreaterThan(10_000);
            } finally {
                browser.quit();
            }
        }
    }

    private static WebDriver chrome() {
        ChromeOptions chrome = new ChromeOptions();
        chrome.setBinary(CHROMIUM.toFile());
        chrome.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1600,2400", "--disable-dev-shm-usage");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, chrome);
    }

    private static String tile(WebDriver browser, String metric) {
        WebElement element = browser.findElement(By.cssSelector("[data-metric='" + metric + "']"));
        return element.getText().trim();
    }

    private static List<CompletableFuture<ToolResult>> submit(ToolformerClient client, String tool, String args,
                                                              String provider, int count) {
        List<CompletableFuture<ToolResult>> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            results.add(client.submit(client.newRequest(tool, args, Duration.ofSeconds(10)).setProvider(provider).build(),
                    Duration.ofSeconds(60)));
        }
        return results;
    }

    private static void awaitAll(List<CompletableFuture<ToolResult>> results) {
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).join();
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(url).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static List<JsonNode> globalWindows(JsonNode api) {
        List<JsonNode> out = new ArrayList<>();
        api.get("slo").forEach(item -> {
            JsonNode v = item.get("value");
            if (v.get("tool").asText().equals("*") && v.get("provider").asText().equals("*")) {
                out.add(v);
            }
        });
        return out;
    }

    private static long globalRequests(JsonNode api) {
        return globalWindows(api).stream().mapToLong(v -> v.get("requests").asLong()).sum();
    }

    private static String errorRate(JsonNode api) {
        long eligible = globalWindows(api).stream().mapToLong(v -> v.get("requests").asLong()
                - v.get("rejected").asLong() - v.get("cancelled").asLong()).sum();
        long bad = globalWindows(api).stream().mapToLong(v -> v.get("errors").asLong() + v.get("timeouts").asLong()
                + v.get("unavailable").asLong()).sum();
        return eligible == 0 ? "–" : String.format(Locale.ROOT, "%.2f %%", 100.0 * bad / eligible);
    }

    private static long executorsUp(JsonNode api) {
        long up = 0;
        for (JsonNode item : api.get("health")) {
            up += item.get("value").get("state").asText().equals("UP") ? 1 : 0;
        }
        return up;
    }
}
