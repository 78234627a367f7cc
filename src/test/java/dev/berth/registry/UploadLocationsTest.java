package dev.berth.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.api.ErrorCode;
import dev.berth.api.RegistryException;
import dev.berth.metadata.UploadSession;
import dev.berth.oci.RepositoryName;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadLocationsTest {

    private static final RepositoryName REPO = RepositoryName.of("team/app");
    private static final String ID = "2f1c7a52-7d1f-4b7e-9a55-0c2d8f3e6b1a";
    private static final Instant STARTED = Instant.parse("2026-11-29T12:00:00Z");
    private static final UploadSession SESSION = new UploadSession(ID, REPO, 1234, STARTED, STARTED);

    private final UploadLocations node1 = UploadLocations.of("shared secret of all the nodes");
    private final UploadLocations node2 = UploadLocations.of("shared secret of all the nodes");

    private static String stateOf(String location) {
        return location.substring(location.indexOf("?_state=") + "?_state=".length());
    }

    private static void assertUnknown(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
    }

    @Test
    void location_isThePathWithASignedStateNamingTheSession() throws Exception {
        String location = node1.location(SESSION);

        assertThat(location).startsWith("/v2/team/app/blobs/uploads/" + ID + "?_state=")
                .matches("[A-Za-z0-9/_?=.:-]+");
        JsonNode state = UploadLocations.decode(stateOf(location));
        assertThat(state.path("name").asText()).isEqualTo("team/app");
        assertThat(state.path("uuid").asText()).isEqualTo(ID);
        assertThat(state.path("offset").asLong()).isEqualTo(1234);
        assertThat(state.path("startedAt").asText()).isEqualTo("2026-11-29T12:00:00Z");
    }

    @Test
    void stateSignedOnOneNode_verifiesOnAnotherWithTheSameSecret() {
        String state = stateOf(node1.location(SESSION));
        assertThatCode(() -> node2.verify(REPO, ID, List.of(state))).doesNotThrowAnyException();
    }

    @Test
    void stateSignedWithAnotherSecret_isUnknown() {
        String state = stateOf(UploadLocations.random().location(SESSION));
        assertUnknown(() -> node1.verify(REPO, ID, List.of(state)));
    }

    @Test
    void stateOfAnotherRepositoryOrSession_isUnknown() {
        String state = stateOf(node1.location(SESSION));
        assertUnknown(() -> node1.verify(RepositoryName.of("team/other"), ID, List.of(state)));
        assertUnknown(() -> node1.verify(REPO, "3f1c7a52-7d1f-4b7e-9a55-0c2d8f3e6b1a", List.of(state)));
    }

    @Test
    void forgedPayloadWithAnOldSignature_isUnknown() {
        String state = stateOf(node1.location(SESSION));
        String signature = state.substring(state.indexOf('.'));
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"name\":\"team/other\",\"uuid\":\"" + ID + "\",\"offset\":0}").getBytes(StandardCharsets.UTF_8));
        assertUnknown(() -> node1.verify(RepositoryName.of("team/other"), ID, List.of(forged + signature)));
    }

    @Test
    void missingDuplicatedOrMalformedStates_areUnknown() {
        String state = stateOf(node1.location(SESSION));
        assertUnknown(() -> node1.verify(REPO, ID, null));
        assertUnknown(() -> node1.verify(REPO, ID, List.of()));
        assertUnknown(() -> node1.verify(REPO, ID, List.of(state, state)));
        for (String bad : List.of("", ".", "abc", "abc.", ".abc", "a.b.c", "!!!.???", state + "x",
                state.replace('.', '_'), "x".repeat(5000) + "." + "y")) {
            assertUnknown(() -> node1.verify(REPO, ID, List.of(bad)));
        }
    }

    @Test
    void shortSecret_isRefused() {
        assertThatThrownBy(() -> UploadLocations.of("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 16 bytes");
        assertThat(UploadLocations.randomSecret()).hasSize(64).matches("[0-9a-f]+");
        assertThat(node1.toString()).doesNotContain("shared secret");
    }
}
