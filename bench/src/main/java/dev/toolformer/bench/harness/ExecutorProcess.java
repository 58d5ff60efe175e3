package dev.toolformer.bench.harness;

import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.toolformer.common.topic.Namespace;

/**
 * An executor in a JVM of its own, as deployed: {@code toolformer executor} with its own heap limit and a GC log,
 * so that its heap — not the broker's or the load generator's — is what is measured. The heap figures come from
 * the GC log: each collection's heap before and after, and whether any was a full collection.
 */
final class ExecutorProcess implements AutoCloseable {
    private static final String CLI = "dev.toolformer.cli.ToolformerCli";
    private static final Pattern PAUSE = Pattern.compile(
            "GC\\(\\d+\\) (Pause [^(]+)\\(.*?(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\) (\\d+\\.\\d+)ms");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final Path dir;
    private final Path gcLog;
    /** JVM options added to the executor's (a profiler, a flight recording), split at white space. */
    static final String EXTRA_OPTIONS = "TOOLFORMER_BENCH_EXECUTOR_OPTS";

    private final int httpPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ExecutorProcess(Process process, Path dir, Path gcLog, int httpPort) {
        this.process = process;
        this.dir = dir;
        this.gcLog = gcLog;
        this.httpPort = httpPort;
    }

    /** Starts {@code toolformer executor} in a new JVM with {@code maxHeap} ({@code 512m}...); waits until ready. */
    static ExecutorProcess start(BenchCluster cluster, String executorId, String groupId, int maxInFlight,
                                 String maxHeap) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("toolformer-bench-executor-");
        Path gcLog = dir.resolve("gc.log");
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-Xmx" + maxHeap, "-Xlog:gc:file=" + gcLog,
                "-cp", System.getProperty("java.class.path"), CLI, "executor",
                "--bootstrap-servers", cluster.kafka().bootstrapServers(),
                "--executor-id", executorId, "--group-id", groupId,
                "--max-in-flight", String.valueOf(maxInFlight),
                "--data-dir", dir.resolve("data").toString(), "--http-port", String.valueOf(port),
                "--log-level", "WARN"));
        String extra = System.getenv(EXTRA_OPTIONS);
        if (extra != null && !extra.isBlank()) {
            command.addAll(1, List.of(extra.trim().split("\\s+"))); // JVM options, before the class path
        }
        if (!cluster.kafka().overrides().isEmpty()) {
            // The client settings (credentials too) in a file only this user reads, not on a command line.
            Path settings = dir.resolve("kafka.properties");
            Properties properties = new Properties();
            properties.putAll(cluster.kafka().overrides());
            Files.createFile(settings,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Writer out = Files.newBufferedWriter(settings)) {
                properties.store(out, null);
            }
            command.addAll(List.of("--kafka-config", settings.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("executor.log").toFile());
        builder.environment().put(Namespace.ENV, Namespace.prefix()); // this run's topics, whatever set them
        Process process = builder.start();
        ExecutorProcess executor = new ExecutorProcess(process, dir, gcLog, port);
        try {
            executor.awaitReady();
        } catch (RuntimeException | InterruptedException e) {
            executor.close();
            throw e;
        }
        return executor;
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ready()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the executor process did not get ready: " + output());
            }
            Thread.sleep(200);
        }
    }

    private boolean ready() {
        HttpResponse<String> ready = get("/health/ready");
        return ready != null && ready.statusCode() == 200;
    }

    /**
     * Its current in-flight requests, from its {@code /metrics}: that one gauge only. The whole page (700 lines, 67 KB)
     * took 120–370 ms to answer on the busy machine, so a sampler asking for it every 100 ms kept the executor
     * rendering it for most of a burst.
     */
    long inFlight() {
        HttpResponse<String> metrics = get("/metrics?name[]=toolformer_executor_in_flight");
        if (metrics == null) {
            return 0;
        }
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("toolformer_executor_in_flight{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    /** Asks the executor's JVM for a full collection (jcmd), so the GC log shows the heap it keeps. */
    void collect() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), String.valueOf(process.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!gc.waitFor(60, TimeUnit.SECONDS)) {
            gc.destroyForcibly();
            throw new IllegalStateException("jcmd GC.run did not finish within 60 s");
        }
    }

    /** The collections logged so far. */
    List<Collection> collections() throws IOException {
        return Files.exists(gcLog) ? collections(Files.readAllLines(gcLog)) : List.of();
    }

    /** The collections of these {@code -Xlog:gc} lines (a remark or cleanup pause is not one). */
    static List<Collection> collections(List<String> gcLogLines) {
        List<Collection> collections = new ArrayList<>();
        for (String line : gcLogLines) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                collections.add(new Collection(m.group(1).strip(), megabytes(m.group(2), m.group(3)),
                        megabytes(m.group(4), m.group(5)), megabytes(m.group(6), m.group(7)),
                        Double.parseDouble(m.group(8))));
            }
        }
        return collections;
    }

    /**
     * One logged pause: its kind ("Pause Young", "Pause Full", ...), the heap before, after and committed, and how long
     * the executor's threads stood still.
     */
    record Collection(String kind, double beforeMb, double afterMb, double committedMb, double pauseMs) {
        boolean full() {
            return kind.startsWith("Pause Full");
        }
    }

    String output() {
        try {
            return Files.readString(dir.resolve("executor.log"));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** {@code GET path} of its HTTP port, or null when it does not answer. */
    private HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static double megabytes(String amount, String unit) {
        double value = Double.parseDouble(amount);
        return switch (unit) {
            case "K" -> value / 1024;
            case "G" -> value * 1024;
            default -> value;
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Samples {@link #inFlight()} until closed; the largest figure seen. */
    static final class InFlightSampler implements AutoCloseable {
        /** How often: each sample is an HTTP request the executor answers meanwhile. */
        static final long SAMPLE_MILLIS = 100;
        private final AtomicLong peak = new AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        InFlightSampler(ExecutorProcess executor) {
            thread = Thread.ofPlatform().daemon().name("bench-in-flight-sampler").start(() -> {
                while (running) {
                    peak.accumulateAndGet(executor.inFlight(), Math::max);
                    try {
                        Thread.sleep(SAMPLE_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        long peak() {
            return peak.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(5_000);
        }
    }

    /** SIGTERM, then SIGKILL after 30 s; its directory is deleted. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("toolformer bench: could not delete " + dir + ": " + e.getMessage());
        }
    }
}
