package dev.berth.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.berth.api.telemetry.Metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The operations listener ({@code http.debug.addr}), apart from the registry API so it can stay private to the
 * operators' network: Prometheus metrics, liveness and readiness, and the read-only switch. A few requests a
 * minute, so the JDK's own HTTP server is enough; each request runs on a virtual thread.
 *
 * <ul>
 *   <li>{@code GET /metrics} (the path is configurable): every metric in the Prometheus text format;</li>
 *   <li>{@code GET /health/live}: 200 while the process answers at all;</li>
 *   <li>{@code GET /health/ready}: 200 when every check (storage driver, metadata store) passes within the
 *       timeout, else 503; the JSON body says which check failed and why; 503 {@code draining} once shutdown
 *       began;</li>
 *   <li>{@code GET /debug/health}: the same in distribution's shape ({@code {}} or {@code {"check":"error"}});</li>
 *   <li>{@code GET /admin/readonly}; {@code POST /admin/readonly?enabled=true|false}: read-only mode.</li>
 * </ul>
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OpsServer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A readiness check: passes when {@code probe} returns, fails when it throws or takes longer than the timeout. */
    public record Check(String name, Probe probe) {
        public Check {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(probe, "probe");
        }
    }

    @FunctionalInterface
    public interface Probe {
        void run() throws Exception;
    }

    /** The outcome of one check. */
    public record Result(String name, boolean ok, String error, long millis) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ExecutorService checksExecutor;
    private final Metrics metrics;
    private final List<Check> checks;
    private final Duration checkTimeout;
    private final ReadOnlySwitch readOnly;
    private final BooleanSupplier draining;

    /**
     * @param metricsPath where metrics are served, or null to serve none
     * @param draining    true once the server is shutting down (readiness then fails)
     */
    public OpsServer(String host, int port, Metrics metrics, String metricsPath, List<Check> checks,
                     Duration checkTimeout, ReadOnlySwitch readOnly, BooleanSupplier draining) throws IOException {
        this.metrics = metrics;
        this.checks = List.copyOf(checks);
        this.checkTimeout = checkTimeout;
        this.readOnly = readOnly;
        this.draining = draining;
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-ops-", 0).factory());
        this.checksExecutor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("berth-check-", 0).factory());
        this.server = HttpServer.create(new InetSocketAddress(host, port), 64);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange, metricsPath);
            } catch (IOException e) {
                LOG.log(Level.FINE, "operations request failed", e);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "operations request failed", e);
            }
        });
        server.start();
        LOG.info("operations listener on " + server.getAddress() + " (metrics: "
                + (metricsPath == null ? "off" : metricsPath) + ", /health/live, /health/ready, /admin/readonly)");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex, String metricsPath) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        boolean get = method.equals("GET") || method.equals("HEAD");
        if (metricsPath != null && path.equals(metricsPath)) {
            if (!get) {
                send(ex, 405, "text/plain", "method not allowed\n");
                return;
            }
            send(ex, 200, Metrics.CONTENT_TYPE, metrics.scrape());
            return;
        }
        switch (path) {
            case "/health/live" -> send(ex, get ? 200 : 405, "application/json", "{\"status\":\"ok\"}\n");
            case "/health/ready", "/debug/health" -> {
                if (!get) {
                    send(ex, 405, "text/plain", "method not allowed\n");
                    return;
                }
                readiness(ex, path.equals("/debug/health"));
            }
            case "/admin/readonly" -> readOnly(ex, method);
            default -> send(ex, 404, "text/plain", "not found: try /health/live, /health/ready, /admin/readonly"
                    + (metricsPath == null ? "" : ", " + metricsPath) + "\n");
        }
    }

    /** Runs every check at once, each bounded by the timeout. */
    public List<Result> check() {
        List<Future<?>> running = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        for (Check c : checks) {
            starts.add(System.nanoTime());
            running.add(checksExecutor.submit(() -> {
                c.probe().run();
                return null;
            }));
        }
        long deadline = System.nanoTime() + checkTimeout.toNanos();
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            Future<?> f = running.get(i);
            String error = null;
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                error = "no answer within " + checkTimeout.toMillis() + "ms";
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                error = cause.getMessage() == null || cause.getMessage().isBlank()
                        ? cause.getClass().getSimpleName()
                        : cause.getClass().getSimpleName() + ": " + cause.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted";
            }
            results.add(new Result(c.name(), error == null, error,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - starts.get(i))));
        }
        return results;
    }

    /** Runs one check on a virtual thread of its own; null when it passes within {@code timeout}, else why not. */
    public static String run(Check check, Duration timeout) {
        java.util.concurrent.FutureTask<Void> task = new java.util.concurrent.FutureTask<>(() -> {
            check.probe().run();
            return null;
        });
        Thread.ofVirtual().name("berth-check-" + check.name()).start(task);
        try {
            task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return null;
        } catch (TimeoutException e) {
            task.cancel(true);
            return "no answer within " + timeout.toMillis() + "ms";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return cause.getMessage() == null || cause.getMessage().isBlank() ? cause.getClass().getSimpleName()
                    : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private void readiness(HttpExchange ex, boolean distributionShape) throws IOException {
        List<Result> results = check();
        boolean ok = results.stream().allMatch(Result::ok);
        boolean closing = draining.getAsBoolean();
        ObjectNode body = JSON.createObjectNode();
        if (distributionShape) {
            for (Result r : results) {
                if (!r.ok()) {
                    body.put(r.name(), r.error());
                }
            }
            if (closing) {
                body.put("server", "shutting down");
            }
        } else {
            body.put("status", closing ? "draining" : ok ? "ok" : "unavailable");
            ObjectNode detail = body.putObject("checks");
            for (Result r : results) {
                ObjectNode one = detail.putObject(r.name());
                one.put("status", r.ok() ? "ok" : "error");
                if (!r.ok()) {
                    one.put("error", r.error());
                }
                one.put("durationMs", r.millis());
            }
            body.put("readonly", readOnly.enabled());
        }
        if (!ok) {
            LOG.warning("readiness: " + results.stream().filter(r -> !r.ok())
                    .map(r -> r.name() + ": " + r.error()).reduce((a, b) -> a + "; " + b).orElse(""));
        }
        send(ex, ok && !closing ? 200 : 503, "application/json", JSON.writeValueAsString(body) + "\n");
    }

    private void readOnly(HttpExchange ex, String method) throws IOException {
        if (method.equals("POST") || method.equals("PUT")) {
            String enabled = queryParam(ex.getRequestURI(), "enabled");
            Boolean on = enabled == null ? null : switch (enabled.toLowerCase(Locale.ROOT)) {
                case "true", "1", "on", "yes" -> Boolean.TRUE;
                case "false", "0", "off", "no" -> Boolean.FALSE;
                default -> null;
            };
            if (on == null) {
                send(ex, 400, "application/json", "{\"error\":\"expected ?enabled=true or ?enabled=false\"}\n");
                return;
            }
            boolean was = readOnly.enabled();
            readOnly.set(on);
            if (was != on) {
                LOG.warning("read-only mode switched " + (on ? "on" : "off") + " by " + ex.getRemoteAddress());
            }
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
            send(ex, 405, "text/plain", "method not allowed\n");
            return;
        }
        send(ex, 200, "application/json", "{\"readonly\":" + readOnly.enabled() + "}\n");
    }

    private static String queryParam(URI uri, String name) {
        String q = uri.getRawQuery();
        if (q == null) {
            return null;
        }
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            if (k.equals(name)) {
                return eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The checks' names with their outcomes, for logs. */
    public Map<String, String> summary() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Result r : check()) {
            m.put(r.name(), r.ok() ? "ok" : r.error());
        }
        return m;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        checksExecutor.shutdownNow();
    }
}
