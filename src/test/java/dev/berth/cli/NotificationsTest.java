package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.berth.config.BerthConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhook notifications against real HTTP receivers in the test: distribution's envelope for push, pull, mount and
 * delete; filters by action and media type; a dead endpoint that never answers slows nothing, and what it cannot
 * take is dropped and counted.
 */
class NotificationsTest {

    @TempDir
    Path dir;

    /** What one receiver path got: each request's headers and events. */
    record Delivery(Map<String, List<String>> headers, List<JsonNode> events) {
    }

    private HttpServer receiver;
    private final Map<String, List<Delivery>> received = new java.util.concurrent.ConcurrentHashMap<>();
    private ServerSocket blackhole;
    private final List<Socket> swallowed = new ArrayList<>();

    @BeforeEach
    void startReceivers() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        for (String path : List.of("/all", "/filtered")) {
            received.put(path, java.util.Collections.synchronizedList(new ArrayList<>()));
            receiver.createContext(path, exchange -> {
                try (exchange) {
                    JsonNode envelope = Ops.JSON.readTree(exchange.getRequestBody());
                    List<JsonNode> events = new ArrayList<>();
                    envelope.path("events").forEach(events::add);
                    received.get(path).add(new Delivery(Map.copyOf(exchange.getRequestHeaders()), events));
                    exchange.sendResponseHeaders(200, -1);
                }
            });
        }
        receiver.start();
        // accepts connections and never reads or answers: a dead endpoint that hangs every attempt
        blackhole = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!blackhole.isClosed()) {
                try {
                    Socket s = blackhole.accept();
                    synchronized (swallowed) {
                        swallowed.add(s);
                    }
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stopReceivers() throws IOException {
        receiver.stop(0);
        blackhole.close();
        synchronized (swallowed) {
            for (Socket s : swallowed) {
                s.close();
            }
        }
    }

    private URI at(String path) {
        return URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + path);
    }

    private List<JsonNode> events(String path) {
        List<JsonNode> all = new ArrayList<>();
        synchronized (received.get(path)) {
            for (Delivery d : received.get(path)) {
                all.addAll(d.events());
            }
        }
        return all;
    }

    private static JsonNode find(List<JsonNode> events, String action, String mediaTypePrefix) {
        return events.stream()
                .filter(e -> e.path("action").asText().equals(action)
                        && e.path("target").path("mediaType").asText().startsWith(mediaTypePrefix))
                .findFirst().orElseThrow(() -> new AssertionError("no " + action + " of " + mediaTypePrefix + " in "
                        + events));
    }

    @Test
    void pushPullMountDelete_reachTheEndpoints_inDistributionsEnvelope_throughTheirFilters() throws Exception {
        BerthConfig base = Ops.config(dir);
        BerthConfig config = base.withNotifications(new BerthConfig.Notifications(List.of(
                BerthConfig.Endpoint.of("all", at("/all"))
                        .withHeaders(Map.of("Authorization", List.of("Bearer hook-token"))),
                BerthConfig.Endpoint.of("filtered", at("/filtered"))
                        .withIgnored(List.of("application/octet-stream"), List.of("pull"))),
                true));
        try (Ops berth = Ops.start(config)) {
            byte[] configBlob = "{\"architecture\":\"amd64\"}".getBytes(StandardCharsets.UTF_8);
            byte[] layer = "layer bytes".getBytes(StandardCharsets.UTF_8);
            String manifest = berth.pushImage("team/app", "v1", configBlob, layer);       // 2 blob pushes, 1 manifest
            String layerDigest = Ops.sha256(layer);
            assertThat(berth.get("/v2/team/app/manifests/v1").statusCode()).isEqualTo(200);       // pull
            assertThat(berth.get("/v2/team/app/blobs/" + layerDigest).statusCode()).isEqualTo(200); // pull
            assertThat(berth.request("HEAD", "/v2/team/app/blobs/" + layerDigest, null, null).statusCode())
                    .isEqualTo(200);                                                               // not a pull
            assertThat(berth.request("POST", "/v2/team/copy/blobs/uploads/?mount=" + layerDigest + "&from=team/app",
                    null, null).statusCode()).isEqualTo(201);                                      // mount
            assertThat(berth.request("DELETE", "/v2/team/app/manifests/" + manifest, null, null).statusCode())
                    .isEqualTo(202);                                                               // delete

            Ops.await("7 events at the first endpoint", () -> events("/all").size() >= 7);
            Ops.await("2 events at the filtered endpoint", () -> events("/filtered").size() >= 2);
            List<JsonNode> all = events("/all");
            assertThat(all).extracting(e -> e.path("action").asText())
                    .containsExactly("push", "push", "push", "pull", "pull", "mount", "delete");
            Delivery first = received.get("/all").get(0);
            assertThat(first.headers().get("Content-type"))
                    .containsExactly("application/vnd.docker.distribution.events.v1+json");
            assertThat(first.headers().get("Authorization")).containsExactly("Bearer hook-token");

            JsonNode push = find(all, "push", "application/vnd.oci.image.manifest");
            JsonNode target = push.path("target");
            assertThat(target.path("digest").asText()).isEqualTo(manifest);
            assertThat(target.path("repository").asText()).isEqualTo("team/app");
            assertThat(target.path("tag").asText()).isEqualTo("v1");
            assertThat(target.path("size").asLong()).isEqualTo(target.path("length").asLong()).isPositive();
            assertThat(target.path("url").asText())
                    .isEqualTo("http://127.0.0.1:" + berth.server.port() + "/v2/team/app/manifests/" + manifest);
            assertThat(target.path("references").size()).isEqualTo(2);
            assertThat(target.path("references").path(1).path("digest").asText()).isEqualTo(layerDigest);
            assertThat(push.path("id").asText()).isNotBlank();
            assertThat(push.path("timestamp").asText()).endsWith("Z");
            assertThat(push.path("request").path("method").asText()).isEqualTo("PUT");
            assertThat(push.path("request").path("addr").asText()).startsWith("127.0.0.1:");
            assertThat(push.path("request").path("useragent").asText()).isNotBlank();
            assertThat(push.path("source").path("addr").asText()).isEqualTo("127.0.0.1:" + berth.server.port());
            assertThat(push.path("source").path("instanceID").asText()).isNotBlank();

            JsonNode blobPush = find(all, "push", "application/octet-stream");
            assertThat(blobPush.path("target").path("url").asText()).contains("/v2/team/app/blobs/sha256:");
            JsonNode pull = find(all, "pull", "application/vnd.oci.image.manifest");
            assertThat(pull.path("target").path("tag").asText()).isEqualTo("v1");
            assertThat(pull.path("request").path("method").asText()).isEqualTo("GET");
            JsonNode mount = find(all, "mount", "application/octet-stream");
            assertThat(mount.path("target").path("repository").asText()).isEqualTo("team/copy");
            assertThat(mount.path("target").path("fromRepository").asText()).isEqualTo("team/app");
            assertThat(mount.path("target").path("digest").asText()).isEqualTo(layerDigest);
            JsonNode delete = all.get(6);
            assertThat(delete.path("target").path("digest").asText()).isEqualTo(manifest);
            assertThat(delete.path("target").path("repository").asText()).isEqualTo("team/app");

            // the filtered endpoint: no pulls, nothing of media type application/octet-stream (blobs)
            assertThat(events("/filtered")).extracting(e -> e.path("action").asText() + " "
                            + e.path("target").path("mediaType").asText(""))
                    .containsExactly("push application/vnd.oci.image.manifest.v1+json", "delete ");
            Ops.await("deliveries counted", () -> berth.metrics()
                    .getOrDefault("berth_notifications_sent_total{endpoint=\"all\"}", 0.0) == 7);
        }
    }

    @Test
    void deadEndpoint_slowsNoPush_andWhatItCannotTakeIsDroppedAndCounted() throws Exception {
        BerthConfig base = Ops.config(dir);
        URI dead = URI.create("http://127.0.0.1:" + blackhole.getLocalPort() + "/hook");
        BerthConfig config = base.withNotifications(new BerthConfig.Notifications(List.of(
                BerthConfig.Endpoint.of("dead", dead)
                        .withDelivery(Duration.ofMinutes(10), 3, Duration.ofMinutes(10), 2),
                BerthConfig.Endpoint.of("all", at("/all"))), false));
        int pushes = 20;
        try (Ops berth = Ops.start(config)) {
            for (int i = 0; i < pushes; i++) {
                // each push waits for its answer: had delivery been in the way, the first would hang for 10 minutes
                berth.pushBlob("busy/app", ("blob " + i).getBytes(StandardCharsets.UTF_8));
            }
            Ops.await("every event at the live endpoint", () -> events("/all").size() == pushes);
            Ops.await("the dead endpoint holds its attempt open", () -> {
                synchronized (swallowed) {
                    return !swallowed.isEmpty();
                }
            });
            // the endpoint has the 20th event before the sender has read the answer and counted it
            Ops.await("every delivery to the live endpoint counted", () -> berth.metrics()
                    .getOrDefault("berth_notifications_sent_total{endpoint=\"all\"}", 0.0) == pushes);
            Map<String, Double> m = berth.metrics();
            // one batch hangs in flight (it took at most the 2 queued events and the first), 2 more wait in the queue
            assertThat(m.get("berth_notifications_dropped_total{endpoint=\"dead\"}"))
                    .isGreaterThanOrEqualTo(pushes - 5.0).isLessThanOrEqualTo(pushes - 3.0);
            assertThat(m.get("berth_notifications_pending{endpoint=\"dead\"}") + m.get(
                    "berth_notifications_dropped_total{endpoint=\"dead\"}")).isEqualTo(pushes);
            assertThat(m).containsEntry("berth_notifications_sent_total{endpoint=\"dead\"}", 0.0)
                    .containsEntry("berth_notifications_dropped_total{endpoint=\"all\"}", 0.0)
                    .containsEntry("berth_notifications_sent_total{endpoint=\"all\"}", (double) pushes);
        }
        // closing did not wait for the hanging attempt (the try block ended): nothing else to assert
    }
}
