package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.config.BerthConfig;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Read-only mode: writes answer 405 UNSUPPORTED, reads keep working; on from the configuration or switched by an admin. */
class ReadOnlyModeTest {

    @TempDir
    Path dir;

    private static void assertRefusedAsReadOnly(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).as(Ops.text(r)).isEqualTo(405);
        JsonNode error = Ops.json(r).path("errors").path(0);
        assertThat(error.path("code").asText()).isEqualTo("UNSUPPORTED");
        assertThat(error.path("message").asText()).isEqualTo("the registry is in read-only mode");
        assertThat(error.path("detail").asText()).contains("storage.maintenance.readonly");
    }

    @Test
    void readOnlyFromConfiguration_refusesEveryWrite_andTheAdminSwitchTurnsItOffAndOn() throws Exception {
        BerthConfig base = Ops.config(dir);
        try (Ops berth = Ops.start(base.withStorage(base.storage().withReadOnly(true)))) {
            byte[] layer = "layer".getBytes(StandardCharsets.UTF_8);
            String digest = Ops.sha256(layer);
            assertRefusedAsReadOnly(berth.request("POST", "/v2/ro/app/blobs/uploads/?digest=" + digest,
                    "application/octet-stream", layer));
            assertRefusedAsReadOnly(berth.request("POST", "/v2/ro/app/blobs/uploads/", null, null));
            assertRefusedAsReadOnly(berth.request("PUT", "/v2/ro/app/manifests/v1",
                    "application/vnd.oci.image.manifest.v1+json", "{}".getBytes(StandardCharsets.UTF_8)));
            assertRefusedAsReadOnly(berth.request("DELETE", "/v2/ro/app/manifests/v1", null, null));
            assertThat(berth.get("/v2/").statusCode()).isEqualTo(200);
            assertThat(Ops.text(berth.opsGet("/admin/readonly"))).contains("\"readonly\":true");
            assertThat(Ops.json(berth.opsGet("/health/ready")).path("readonly").asBoolean()).isTrue();
            assertThat(berth.metrics()).containsEntry("berth_readonly", 1.0);

            HttpResponse<byte[]> off = berth.opsPost("/admin/readonly?enabled=false");
            assertThat(off.statusCode()).isEqualTo(200);
            assertThat(Ops.text(off)).contains("\"readonly\":false");
            String manifest = berth.pushImage("ro/app", "v1", "{\"config\":1}".getBytes(StandardCharsets.UTF_8), layer);

            assertThat(Ops.text(berth.opsPost("/admin/readonly?enabled=true"))).contains("\"readonly\":true");
            assertRefusedAsReadOnly(berth.request("DELETE", "/v2/ro/app/manifests/" + manifest, null, null));
            assertRefusedAsReadOnly(berth.request("DELETE", "/v2/ro/app/blobs/" + digest, null, null));
            assertRefusedAsReadOnly(berth.request("POST", "/v2/other/blobs/uploads/?mount=" + digest + "&from=ro/app",
                    null, null));
            // reads keep working
            assertThat(berth.get("/v2/ro/app/manifests/v1").statusCode()).isEqualTo(200);
            HttpResponse<byte[]> blob = berth.get("/v2/ro/app/blobs/" + digest);
            assertThat(blob.statusCode()).isEqualTo(200);
            assertThat(blob.body()).isEqualTo(layer);
            assertThat(berth.get("/v2/ro/app/tags/list").statusCode()).isEqualTo(200);
            assertThat(berth.get("/v2/_catalog").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void adminSwitch_refusesAWrongValue() throws Exception {
        try (Ops berth = Ops.start(Ops.config(dir))) {
            assertThat(berth.opsPost("/admin/readonly?enabled=maybe").statusCode()).isEqualTo(400);
            assertThat(berth.opsPost("/admin/readonly").statusCode()).isEqualTo(400);
            assertThat(Ops.text(berth.opsGet("/admin/readonly"))).contains("\"readonly\":false");
            assertThat(berth.server.readOnly().enabled()).isFalse();
        }
    }
}
