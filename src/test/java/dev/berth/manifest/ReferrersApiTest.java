package dev.berth.manifest;

import static dev.berth.manifest.Content.OCI_INDEX;
import static dev.berth.manifest.Content.OCI_MANIFEST;
import static dev.berth.manifest.Content.SBOM;
import static dev.berth.manifest.Content.SIGNATURE;
import static dev.berth.manifest.Content.blob;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.emptyConfig;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static dev.berth.manifest.Content.sha256;
import static dev.berth.manifest.Content.utf8;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.manifest.Content.Blob;
import dev.berth.manifest.Content.Doc;
import dev.berth.manifest.Content.Json;
import dev.berth.manifest.Registry.Reply;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code GET /v2/<name>/referrers/<digest>} (OCI distribution spec 1.1). */
class ReferrersApiTest {

    private static final String REPO = "ref/app";
    private static final String CUSTOM_CONFIG = "application/vnd.example.config.v1+json";
    private static final String OTHER_CONFIG = "application/vnd.example.other-config.v1+json";
    private static final String BUNDLE = "application/vnd.example.bundle.v1";

    @TempDir
    static Path dir;

    private static Registry registry;

    private static Doc subject;
    /** What the referrers API must say of each referrer of {@link #subject}: digest to expected descriptor. */
    private static final Map<String, Expected> EXPECTED = new LinkedHashMap<>();

    /** A referrer as the API must describe it; {@code artifactType} null when it must be omitted. */
    record Expected(Doc doc, String artifactType, Map<String, String> annotations) {
    }

    @BeforeAll
    static void start() throws Exception {
        registry = Registry.start(dir.resolve("registry"), true);
        subject = registry.pushImage(REPO, "latest", ociImage(config("subject"), layer("subject")),
                config("subject"), layer("subject"));
        Blob empty = registry.push(REPO, emptyConfig());
        Blob spdx = registry.push(REPO, blob("application/spdx+json", "{\"spdxVersion\":\"SPDX-2.3\"}"));
        Blob cyclone = registry.push(REPO, blob("application/vnd.cyclonedx+json", "{\"bomFormat\":\"CycloneDX\"}"));
        Blob sig = registry.push(REPO, blob("application/vnd.example.signature", "signature bytes"));
        Blob custom = registry.push(REPO, blob(CUSTOM_CONFIG, "{\"custom\":true}"));
        Blob other = registry.push(REPO, blob(OTHER_CONFIG, "{\"other\":true}"));

        expect(Json.of(OCI_MANIFEST).artifactType(SBOM).config(empty).layers(spdx).subject(subject)
                .annotations("org.example.kind", "sbom", "org.opencontainers.image.created", "2024-01-01T00:00:00Z")
                .doc(), SBOM, Map.of("org.example.kind", "sbom",
                "org.opencontainers.image.created", "2024-01-01T00:00:00Z"));
        expect(Json.of(OCI_MANIFEST).subject(subject).config(empty).artifactType(SBOM).layers(cyclone).doc(),
                SBOM, Map.of());
        expect(Json.of(OCI_MANIFEST).artifactType(SIGNATURE).config(empty).layers(sig).subject(subject)
                .annotations("org.example.fingerprint", "abcd").doc(), SIGNATURE,
                Map.of("org.example.fingerprint", "abcd"));
        expect(Json.of(OCI_MANIFEST).config(custom).layers(spdx).subject(subject).doc(), CUSTOM_CONFIG, Map.of());
        expect(Json.of(OCI_MANIFEST).config(other).artifactType("").layers(spdx).subject(subject).doc(),
                OTHER_CONFIG, Map.of());
        expect(Json.of(OCI_INDEX).raw("manifests", "[]").subject(subject).annotations("k", "v").doc(), null,
                Map.of("k", "v"));
        expect(Json.of(OCI_INDEX).artifactType("").raw("manifests", "[]").subject(subject)
                .annotations("empty", "artifactType").doc(), null, Map.of("empty", "artifactType"));
        expect(Json.of(OCI_INDEX).artifactType(BUNDLE).raw("manifests", "[]").subject(subject).doc(), BUNDLE,
                Map.of());

        // not referrers of the subject in this repository
        Doc unrelated = registry.pushImage(REPO, "unrelated", ociImage(config("unrelated")), config("unrelated"));
        registry.putManifest(REPO, "of-another-subject", Json.of(OCI_MANIFEST).artifactType(SBOM).config(empty)
                .layers(spdx).subject(unrelated).doc());
        registry.push("ref/other", empty);
        registry.putManifest("ref/other", "sbom", Json.of(OCI_MANIFEST).artifactType(SBOM).config(empty)
                .raw("layers", "[]").subject(subject).doc());
    }

    private static void expect(Doc referrer, String artifactType, Map<String, String> annotations) {
        Reply r = registry.put("/v2/" + REPO + "/manifests/" + referrer.digest(), referrer.contentType(),
                referrer.bytes());
        assertThat(r.status()).as("push of referrer: %s", r).isEqualTo(201);
        assertThat(r.header("OCI-Subject")).contains(subject.digest());
        EXPECTED.put(referrer.digest(), new Expected(referrer, artifactType, annotations));
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    private static String referrersPath(String repo, String digest) {
        return "/v2/" + repo + "/referrers/" + digest;
    }

    /** Asserts an OCI image index answer and returns its descriptors. */
    private static List<JsonNode> index(Reply r) {
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.header("Content-Type")).contains(OCI_INDEX);
        JsonNode json = r.json();
        assertThat(json.get("schemaVersion").asInt()).isEqualTo(2);
        assertThat(json.get("mediaType").asText()).isEqualTo(OCI_INDEX);
        assertThat(json.get("manifests").isArray()).isTrue();
        List<JsonNode> out = new ArrayList<>();
        json.get("manifests").forEach(out::add);
        return out;
    }

    private static List<String> digests(List<JsonNode> descriptors) {
        return descriptors.stream().map(d -> d.get("digest").asText()).toList();
    }

    private static List<String> expectedDigests(String artifactType) {
        return EXPECTED.values().stream()
                .filter(e -> artifactType == null || artifactType.equals(e.artifactType()))
                .map(e -> e.doc().digest()).toList();
    }

    @Test
    void referrers_listsEveryManifestWithThatSubject_withFullDescriptors() {
        Reply r = registry.get(referrersPath(REPO, subject.digest()));

        List<JsonNode> descriptors = index(r);
        assertThat(digests(descriptors)).containsExactlyInAnyOrderElementsOf(expectedDigests(null));
        for (JsonNode d : descriptors) {
            Expected e = EXPECTED.get(d.get("digest").asText());
            assertThat(d.get("mediaType").asText()).isEqualTo(e.doc().mediaType());
            assertThat(d.get("size").asLong()).isEqualTo(e.doc().size());
            if (e.artifactType() == null) {
                assertThat(d.has("artifactType")).as("index without artifactType: %s", d).isFalse();
            } else {
                assertThat(d.path("artifactType").asText()).as("artifactType of %s", d).isEqualTo(e.artifactType());
            }
            Map<String, String> annotations = new LinkedHashMap<>();
            d.path("annotations").properties().forEach(a -> annotations.put(a.getKey(), a.getValue().asText()));
            assertThat(annotations).as("annotations of %s", d).isEqualTo(e.annotations());
        }
        assertThat(r.header("OCI-Filters-Applied")).isEmpty();
        assertThat(r.header("Link")).isEmpty();
    }

    @Test
    void referrers_imageWithoutArtifactType_reportsConfigMediaType() {
        List<JsonNode> descriptors = index(registry.get(referrersPath(REPO, subject.digest())));

        assertThat(descriptors).filteredOn(d -> d.path("artifactType").asText().equals(CUSTOM_CONFIG)).hasSize(1);
    }

    @Test
    void referrers_imageWithEmptyArtifactType_reportsConfigMediaType() {
        List<JsonNode> descriptors = index(registry.get(referrersPath(REPO, subject.digest())));

        assertThat(descriptors).filteredOn(d -> d.path("artifactType").asText().equals(OTHER_CONFIG)).hasSize(1);
        assertThat(descriptors).noneMatch(d -> d.has("artifactType") && d.get("artifactType").asText().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {SBOM, SIGNATURE, BUNDLE, CUSTOM_CONFIG, OTHER_CONFIG})
    void referrers_artifactTypeFilter_returnsOnlyThatTypeAndSaysSo(String artifactType) {
        String encoded = java.net.URLEncoder.encode(artifactType, java.nio.charset.StandardCharsets.UTF_8);

        Reply r = registry.get(referrersPath(REPO, subject.digest()) + "?artifactType=" + encoded);

        assertThat(digests(index(r))).containsExactlyInAnyOrderElementsOf(expectedDigests(artifactType));
        assertThat(expectedDigests(artifactType)).isNotEmpty();
        assertThat(r.header("OCI-Filters-Applied")).contains("artifactType");
    }

    @Test
    void referrers_artifactTypeFilterUnencodedSlash_works() {
        Reply r = registry.get(referrersPath(REPO, subject.digest()) + "?artifactType=" + SBOM);

        assertThat(digests(index(r))).containsExactlyInAnyOrderElementsOf(expectedDigests(SBOM)).hasSize(2);
        assertThat(r.header("OCI-Filters-Applied")).contains("artifactType");
    }

    @Test
    void referrers_artifactTypeMatchingNothing_returnsEmptyIndexWithFilterHeader() {
        Reply r = registry.get(referrersPath(REPO, subject.digest()) + "?artifactType=application/vnd.nothing");

        assertThat(index(r)).isEmpty();
        assertThat(r.header("OCI-Filters-Applied")).contains("artifactType");
    }

    @Test
    void referrers_digestNobodyRefersTo_returns200EmptyIndex() {
        String nobody = sha256(utf8("nobody refers to this"));

        Reply known = registry.get(referrersPath(REPO, config("subject").digest()));
        Reply unknown = registry.get(referrersPath(REPO, nobody));
        Reply noRepository = registry.get(referrersPath("ref/nowhere", subject.digest()));

        assertThat(index(known)).isEmpty();
        assertThat(index(unknown)).isEmpty();
        assertThat(index(noRepository)).as("never 404 on the referrers API").isEmpty();
    }

    @Test
    void referrers_onlyOfThatRepository() {
        List<JsonNode> other = index(registry.get(referrersPath("ref/other", subject.digest())));

        assertThat(other).hasSize(1);
        assertThat(digests(index(registry.get(referrersPath(REPO, subject.digest())))))
                .doesNotContain(other.getFirst().get("digest").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha256:totallywrong", "latest", "sha256:" + "A0", "md5:d41d8cd98f00b204e9800998ecf8427e"})
    void referrers_malformedDigest_returns400(String digest) {
        assertError(registry.get(referrersPath(REPO, digest)), 400, "DIGEST_INVALID");
    }

    @Test
    void referrers_manyReferrers_pagedWithLinkHeaders() {
        String repo = "ref/many";
        Doc target = registry.pushImage(repo, "latest", ociImage(config("many"), layer("many")), config("many"),
                layer("many"));
        Blob empty = registry.push(repo, emptyConfig());
        List<String> all = new ArrayList<>();
        List<String> sboms = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            String type = i % 3 == 0 ? SIGNATURE : SBOM;
            Doc d = registry.putManifest(repo, "r" + i, Json.of(OCI_MANIFEST).artifactType(type).config(empty)
                    .raw("layers", "[]").subject(target).annotations("i", String.valueOf(i)).doc());
            all.add(d.digest());
            if (type.equals(SBOM)) {
                sboms.add(d.digest());
            }
        }

        List<Reply> pages = new ArrayList<>();
        List<String> seen = Links.collect(registry, referrersPath(repo, target.digest()) + "?n=3", 3,
                json -> digests(index(json)), pages);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(all).doesNotHaveDuplicates();
        assertThat(pages).hasSize(3);
        pages.forEach(p -> assertThat(p.header("Content-Type")).contains(OCI_INDEX));

        List<Reply> filteredPages = new ArrayList<>();
        List<String> filtered = Links.collect(registry, referrersPath(repo, target.digest()) + "?n=2&artifactType="
                + SBOM, 2, json -> digests(index(json)), filteredPages);
        assertThat(filtered).containsExactlyInAnyOrderElementsOf(sboms);
        assertThat(filteredPages).hasSize(2).allSatisfy(p ->
                assertThat(p.header("OCI-Filters-Applied")).contains("artifactType"));
    }

    private static List<JsonNode> index(JsonNode json) {
        List<JsonNode> out = new ArrayList<>();
        json.get("manifests").forEach(out::add);
        return out;
    }

    @Test
    void referrers_deletedReferrer_disappears_butDeletedTagDoesNotRemoveIt() {
        String repo = "ref/deletes";
        Doc target = registry.pushImage(repo, "latest", ociImage(config("del"), layer("del")), config("del"),
                layer("del"));
        Blob empty = registry.push(repo, emptyConfig());
        Doc keep = registry.putManifest(repo, "keep", Json.of(OCI_MANIFEST).artifactType(SBOM).config(empty)
                .raw("layers", "[]").subject(target).doc());
        Doc doomed = registry.putManifest(repo, "doomed", Json.of(OCI_MANIFEST).artifactType(SIGNATURE)
                .config(empty).raw("layers", "[]").subject(target).doc());
        String path = referrersPath(repo, target.digest());
        assertThat(digests(index(registry.get(path)))).containsExactlyInAnyOrder(keep.digest(), doomed.digest());

        assertThat(registry.delete("/v2/" + repo + "/manifests/keep").status()).isEqualTo(202);
        assertThat(digests(index(registry.get(path)))).as("a tag deleted, the manifest stays")
                .containsExactlyInAnyOrder(keep.digest(), doomed.digest());

        assertThat(registry.delete("/v2/" + repo + "/manifests/" + doomed.digest()).status()).isEqualTo(202);
        assertThat(digests(index(registry.get(path)))).containsExactly(keep.digest());
        assertThat(index(registry.get(path + "?artifactType=" + SIGNATURE))).isEmpty();
    }

    @Test
    void referrers_ofADeletedSubject_stillAnswer200() {
        String repo = "ref/deleted-subject";
        Doc target = registry.pushImage(repo, "latest", ociImage(config("gone"), layer("gone")), config("gone"),
                layer("gone"));
        Blob empty = registry.push(repo, emptyConfig());
        registry.putManifest(repo, "sig", Json.of(OCI_MANIFEST).artifactType(SIGNATURE).config(empty)
                .raw("layers", "[]").subject(target).doc());

        assertThat(registry.delete("/v2/" + repo + "/manifests/" + target.digest()).status()).isEqualTo(202);

        Reply r = registry.get(referrersPath(repo, target.digest()));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).contains(OCI_INDEX);
    }
}
