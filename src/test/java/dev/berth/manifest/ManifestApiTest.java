package dev.berth.manifest;

import static dev.berth.manifest.Content.DOCKER_CONFIG;
import static dev.berth.manifest.Content.DOCKER_FOREIGN_LAYER;
import static dev.berth.manifest.Content.DOCKER_LAYER;
import static dev.berth.manifest.Content.DOCKER_LIST;
import static dev.berth.manifest.Content.DOCKER_MANIFEST;
import static dev.berth.manifest.Content.HELM_CHART;
import static dev.berth.manifest.Content.HELM_CONFIG;
import static dev.berth.manifest.Content.OCI_INDEX;
import static dev.berth.manifest.Content.OCI_LAYER;
import static dev.berth.manifest.Content.OCI_MANIFEST;
import static dev.berth.manifest.Content.SBOM;
import static dev.berth.manifest.Content.SCHEMA1;
import static dev.berth.manifest.Content.SCHEMA1_SIGNED;
import static dev.berth.manifest.Content.blob;
import static dev.berth.manifest.Content.config;
import static dev.berth.manifest.Content.doc;
import static dev.berth.manifest.Content.emptyConfig;
import static dev.berth.manifest.Content.layer;
import static dev.berth.manifest.Content.ociImage;
import static dev.berth.manifest.Content.sha256;
import static dev.berth.manifest.Content.sha512;
import static dev.berth.manifest.Content.utf8;
import static dev.berth.manifest.ErrorAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.manifest.Content.Blob;
import dev.berth.manifest.Content.Doc;
import dev.berth.manifest.Content.Json;
import dev.berth.manifest.Registry.Reply;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PUT, GET, HEAD and DELETE of manifests by tag and by digest, and every way a push can be refused. */
class ManifestApiTest {

    @TempDir
    static Path dir;

    /** Deletes enabled, default 4 MiB manifest cap. */
    private static Registry registry;

    private static final AtomicInteger REPOS = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        registry = Registry.start(dir.resolve("registry"), true);
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    /** A repository no other test uses. */
    private static String freshRepo(String prefix) {
        return prefix + "/r" + REPOS.incrementAndGet();
    }

    // ---- the media types, pushed and served byte for byte ------------------------------------------------

    /**
     * One manifest to push: the blobs and manifests it needs in the repository first, and the Content-Type it must
     * be served with.
     */
    record Case(String name, List<Blob> blobs, List<Doc> prerequisites, Doc doc, String servedAs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> mediaTypes() {
        Blob config = config("media");
        Blob layer1 = layer("one");
        Blob layer2 = layer("two");
        Doc image = Json.of(OCI_MANIFEST).config(config).layers(layer1, layer2)
                .annotations("org.opencontainers.image.title", "t\u00e9st", "a.first", "1").doc();
        Doc index = Json.of(OCI_INDEX)
                .manifests(new Doc(OCI_MANIFEST, OCI_MANIFEST, image.bytes()))
                .annotations("z", "last").doc();
        Blob dockerConfig = blob(DOCKER_CONFIG, "{\"architecture\":\"arm64\",\"os\":\"linux\"}");
        Blob dockerLayer = blob(DOCKER_LAYER, "docker layer");
        Doc dockerImage = Json.of(DOCKER_MANIFEST).config(dockerConfig).layers(dockerLayer).doc();
        Doc dockerList = Json.of(DOCKER_LIST).raw("manifests", "[" + dockerImage.descriptor(
                ", \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\"}") + "]").doc();
        Blob empty = emptyConfig();
        Blob sbom = blob("application/spdx+json", "{\"spdxVersion\":\"SPDX-2.3\"}");
        Doc artifact = Json.of(OCI_MANIFEST).artifactType(SBOM).config(empty).layers(sbom)
                .annotations("org.example.kind", "sbom").doc();
        Blob helmConfig = blob(HELM_CONFIG, "{\"name\":\"chart\",\"version\":\"1.0.0\"}");
        Blob helmChart = blob(HELM_CHART, "chart tarball");
        Doc helm = Json.of(OCI_MANIFEST).config(helmConfig).layers(helmChart).doc();
        Doc umociImage = Json.withoutMediaType(OCI_MANIFEST).config(config).layers(layer1).doc();
        Doc umociIndex = Json.withoutMediaType(OCI_INDEX).manifests(image).doc();
        Doc noLayers = Json.of(OCI_MANIFEST).config(config).raw("layers", "[ ]").doc();
        Doc emptyIndex = Json.of(OCI_INDEX).raw("manifests", "[]").doc();
        Doc withParameters = ociImage(config, layer2).withContentType(OCI_MANIFEST + "; charset=utf-8");
        return Stream.of(
                new Case("OCI image manifest", List.of(config, layer1, layer2), List.of(), image, OCI_MANIFEST),
                new Case("OCI index", List.of(config, layer1, layer2), List.of(image), index, OCI_INDEX),
                new Case("Docker v2s2 manifest", List.of(dockerConfig, dockerLayer), List.of(), dockerImage,
                        DOCKER_MANIFEST),
                new Case("Docker manifest list", List.of(dockerConfig, dockerLayer), List.of(dockerImage), dockerList,
                        DOCKER_LIST),
                new Case("artifact with artifactType", List.of(empty, sbom), List.of(), artifact, OCI_MANIFEST),
                new Case("artifact with a non-image config", List.of(helmConfig, helmChart), List.of(), helm,
                        OCI_MANIFEST),
                new Case("image without mediaType (umoci)", List.of(config, layer1), List.of(), umociImage,
                        OCI_MANIFEST),
                new Case("index without mediaType", List.of(config, layer1, layer2), List.of(image), umociIndex,
                        OCI_INDEX),
                new Case("image without layers", List.of(config), List.of(), noLayers, OCI_MANIFEST),
                new Case("index without manifests", List.of(), List.of(), emptyIndex, OCI_INDEX),
                new Case("Content-Type with parameters", List.of(config, layer2), List.of(), withParameters,
                        OCI_MANIFEST),
                new Case("no Content-Type, mediaType in body", List.of(dockerConfig, dockerLayer), List.of(),
                        dockerImage.withContentType(null), DOCKER_MANIFEST),
                new Case("generic Content-Type, mediaType in body", List.of(config, layer1, layer2), List.of(image),
                        index.withContentType("application/json"), OCI_INDEX));
    }

    private static String prepare(Case c) {
        String repo = freshRepo("media");
        c.blobs().forEach(b -> registry.push(repo, b));
        c.prerequisites().forEach(p -> registry.putManifest(repo, p.digest(), p));
        return repo;
    }

    private static void assertServedAsPushed(Reply r, Case c) {
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        assertThat(r.body()).as("bytes exactly as pushed").isEqualTo(c.doc().bytes());
        assertHeaders(r, c);
    }

    private static void assertHeaders(Reply r, Case c) {
        assertThat(r.header("Content-Type")).contains(c.servedAs());
        assertThat(r.header("Docker-Content-Digest")).contains(c.doc().digest());
        assertThat(r.header("Content-Length")).contains(String.valueOf(c.doc().bytes().length));
        assertThat(r.header("ETag")).contains("\"" + c.doc().digest() + "\"");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mediaTypes")
    void putByTag_thenGetAndHeadByTagAndDigest_serveBytesAsPushed(Case c) {
        String repo = prepare(c);

        Reply put = registry.put("/v2/" + repo + "/manifests/v1", c.doc().contentType(), c.doc().bytes());

        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("Location")).contains("/v2/" + repo + "/manifests/" + c.doc().digest());
        assertThat(put.header("Docker-Content-Digest")).contains(c.doc().digest());
        assertThat(put.header("OCI-Subject")).isEmpty();
        for (String reference : List.of("v1", c.doc().digest())) {
            assertServedAsPushed(registry.get("/v2/" + repo + "/manifests/" + reference), c);
            Reply head = registry.head("/v2/" + repo + "/manifests/" + reference);
            assertThat(head.status()).as("HEAD %s: %s", reference, head).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertHeaders(head, c);
        }
        Reply location = registry.get(put.headerValue("Location"));
        assertServedAsPushed(location, c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mediaTypes")
    void putByDigest_thenGetByDigest_servesBytesAsPushed_andMakesNoTag(Case c) {
        String repo = prepare(c);

        Reply put = registry.put("/v2/" + repo + "/manifests/" + c.doc().digest(), c.doc().contentType(),
                c.doc().bytes());

        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("Location")).contains("/v2/" + repo + "/manifests/" + c.doc().digest());
        assertServedAsPushed(registry.get("/v2/" + repo + "/manifests/" + c.doc().digest()), c);
        assertThat(registry.get("/v2/" + repo + "/tags/list").json().get("tags")).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mediaTypes")
    void deleteByTag_thenByDigest_removeTagThenManifest(Case c) {
        String repo = prepare(c);
        registry.putManifest(repo, "v1", c.doc());
        registry.putManifest(repo, "v2", c.doc());

        assertThat(registry.delete("/v2/" + repo + "/manifests/v1").status()).isEqualTo(202);

        assertError(registry.get("/v2/" + repo + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
        assertServedAsPushed(registry.get("/v2/" + repo + "/manifests/v2"), c);

        assertThat(registry.delete("/v2/" + repo + "/manifests/" + c.doc().digest()).status()).isEqualTo(202);

        assertError(registry.get("/v2/" + repo + "/manifests/" + c.doc().digest()), 404, "MANIFEST_UNKNOWN");
        assertError(registry.get("/v2/" + repo + "/manifests/v2"), 404, "MANIFEST_UNKNOWN");
        assertThat(registry.head("/v2/" + repo + "/manifests/v2").status()).isEqualTo(404);
    }

    // ---- reads ---------------------------------------------------------------------------------------------

    @Test
    void get_ifNoneMatchWithEtag_returns304() {
        String repo = freshRepo("etag");
        Doc image = registry.pushImage(repo, "latest", ociImage(config("etag"), layer("etag")), config("etag"),
                layer("etag"));

        Reply r = registry.send("GET", "/v2/" + repo + "/manifests/latest",
                Registry.headers("If-None-Match", "\"" + image.digest() + "\""), null);

        assertThat(r.status()).isEqualTo(304);
        assertThat(r.body()).isEmpty();
        assertThat(r.header("ETag")).contains("\"" + image.digest() + "\"");
        assertThat(registry.send("GET", "/v2/" + repo + "/manifests/latest",
                Registry.headers("If-None-Match", "\"sha256:other\""), null).status()).isEqualTo(200);
    }

    @Test
    void get_unknownTagDigestOrRepository_returns404ManifestUnknown() {
        String repo = freshRepo("unknown");
        registry.pushImage(repo, "latest", ociImage(config("u"), layer("u")), config("u"), layer("u"));
        String nobody = sha256(utf8("nobody pushed this"));

        assertError(registry.get("/v2/" + repo + "/manifests/nope"), 404, "MANIFEST_UNKNOWN");
        assertError(registry.get("/v2/" + repo + "/manifests/LATEST"), 404, "MANIFEST_UNKNOWN");
        assertError(registry.get("/v2/" + repo + "/manifests/" + nobody), 404, "MANIFEST_UNKNOWN");
        assertError(registry.get("/v2/no/such/repo/manifests/latest"), 404, "MANIFEST_UNKNOWN");
        Reply head = registry.head("/v2/" + repo + "/manifests/nope");
        assertThat(head.status()).isEqualTo(404);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void get_blobDigestAsManifest_returns404ManifestUnknown() {
        String repo = freshRepo("blobasmanifest");
        Blob layer = registry.push(repo, layer("not a manifest"));

        assertError(registry.get("/v2/" + repo + "/manifests/" + layer.digest()), 404, "MANIFEST_UNKNOWN");
    }

    @Test
    void get_manifestOfAnotherRepository_returns404() {
        String repo = freshRepo("owner");
        Doc image = registry.pushImage(repo, "latest", ociImage(config("o"), layer("o")), config("o"),
                layer("o"));

        assertError(registry.get("/v2/" + freshRepo("stranger") + "/manifests/" + image.digest()), 404,
                "MANIFEST_UNKNOWN");
        assertError(registry.get("/v2/" + repo + "x/manifests/latest"), 404, "MANIFEST_UNKNOWN");
    }

    // ---- pushes --------------------------------------------------------------------------------------------

    @Test
    void putByTag_existingTag_movesItToTheNewManifest() {
        String repo = freshRepo("move");
        Doc first = registry.pushImage(repo, "latest", ociImage(config("m1"), layer("m")), config("m1"), layer("m"));
        Doc second = registry.pushImage(repo, "latest", ociImage(config("m2"), layer("m")), config("m2"));

        assertThat(registry.get("/v2/" + repo + "/manifests/latest").body()).isEqualTo(second.bytes());
        assertThat(registry.get("/v2/" + repo + "/manifests/" + first.digest()).status())
                .as("the old manifest stays, untagged").isEqualTo(200);
        assertThat(registry.get("/v2/" + repo + "/tags/list").json().get("tags").toString())
                .isEqualTo("[\"latest\"]");
    }

    @Test
    void put_sameManifestAgain_isIdempotent() {
        String repo = freshRepo("again");
        Doc image = ociImage(config("again"), layer("again"));
        registry.pushImage(repo, "a", image, config("again"), layer("again"));

        registry.putManifest(repo, "a", image);
        registry.putManifest(repo, image.digest(), image);
        registry.putManifest(repo, "b", image);

        assertThat(registry.get("/v2/" + repo + "/tags/list").json().get("tags").toString())
                .isEqualTo("[\"a\",\"b\"]");
        assertThat(registry.get("/v2/" + repo + "/manifests/b").body()).isEqualTo(image.bytes());
    }

    @Test
    void putByTag_referrersTagSchemaName_isAnOrdinaryTag() {
        String repo = freshRepo("schema");
        Doc image = registry.pushImage(repo, "latest", ociImage(config("schema"), layer("schema")),
                config("schema"), layer("schema"));
        String tag = image.digest().replace(':', '-');
        Doc list = Json.of(OCI_INDEX).raw("manifests", "[]").doc();

        registry.putManifest(repo, tag, list);

        assertThat(registry.get("/v2/" + repo + "/manifests/" + tag).body()).isEqualTo(list.bytes());
        assertThat(registry.get("/v2/" + repo + "/manifests/" + image.digest()).body()).isEqualTo(image.bytes());
    }

    @Test
    void putByDigest_bodyOfOtherDigest_returnsDigestInvalid() {
        String repo = freshRepo("digest");
        Doc image = ociImage(config("d"), layer("d"));
        registry.push(repo, config("d"));
        registry.push(repo, layer("d"));
        Doc other = ociImage(config("d"));

        Reply r = registry.put("/v2/" + repo + "/manifests/" + other.digest(), OCI_MANIFEST, image.bytes());

        assertError(r, 400, "DIGEST_INVALID");
        assertThat(registry.get("/v2/" + repo + "/manifests/" + other.digest()).status()).isEqualTo(404);
        assertThat(registry.get("/v2/" + repo + "/manifests/" + image.digest()).status()).isEqualTo(404);
    }

    @Test
    void putByDigest_sha512_isServedBySha512() {
        String repo = freshRepo("sha512");
        Doc image = ociImage(config("512"), layer("512"));
        registry.push(repo, config("512"));
        registry.push(repo, layer("512"));
        String digest = sha512(image.bytes());

        Reply put = registry.put("/v2/" + repo + "/manifests/" + digest, OCI_MANIFEST, image.bytes());

        assertThat(put.status()).as("%s", put).isEqualTo(201);
        assertThat(put.header("Docker-Content-Digest")).contains(digest);
        Reply get = registry.get("/v2/" + repo + "/manifests/" + digest);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(image.bytes());
        assertThat(get.header("Docker-Content-Digest")).contains(digest);
    }

    @Test
    void put_missingConfigBlob_returnsManifestBlobUnknownNamingIt() {
        String repo = freshRepo("missing");
        Blob config = config("never pushed");
        Blob layer = registry.push(repo, layer("pushed"));

        Reply r = registry.put("/v2/" + repo + "/manifests/latest", OCI_MANIFEST, ociImage(config, layer).bytes());

        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(ErrorAssert.detail(r)).contains(config.digest()).doesNotContain(layer.digest());
        assertThat(registry.get("/v2/" + repo + "/manifests/latest").status()).isEqualTo(404);
    }

    @Test
    void put_missingLayerBlobs_returnsManifestBlobUnknownNamingEach() {
        String repo = freshRepo("missing");
        Blob config = registry.push(repo, config("pushed"));
        Blob pushed = registry.push(repo, layer("pushed"));
        Blob missing1 = layer("missing 1");
        Blob missing2 = layer("missing 2");

        Reply r = registry.put("/v2/" + repo + "/manifests/latest", OCI_MANIFEST,
                ociImage(config, pushed, missing1, missing2).bytes());

        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(ErrorAssert.detail(r)).contains(missing1.digest(), missing2.digest())
                .doesNotContain(pushed.digest());
    }

    @Test
    void put_blobPresentInAnotherRepositoryOnly_returnsManifestBlobUnknown() {
        String elsewhere = freshRepo("elsewhere");
        String repo = freshRepo("here");
        Blob config = registry.push(elsewhere, config("shared"));
        Blob layer = registry.push(repo, layer("own"));
        registry.push(elsewhere, layer);

        Reply r = registry.put("/v2/" + repo + "/manifests/latest", OCI_MANIFEST, ociImage(config, layer).bytes());

        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(ErrorAssert.detail(r)).contains(config.digest());
        registry.putManifest(elsewhere, "latest", ociImage(config, layer));
    }

    @Test
    void putIndex_manifestNotInRepository_returnsManifestBlobUnknownNamingIt() {
        String elsewhere = freshRepo("elsewhere");
        String repo = freshRepo("here");
        Doc there = registry.pushImage(elsewhere, "latest", ociImage(config("i"), layer("i")), config("i"),
                layer("i"));
        Doc here = registry.pushImage(repo, "one", ociImage(config("j"), layer("j")), config("j"), layer("j"));
        Doc nowhere = ociImage(config("k"));

        Reply r = registry.put("/v2/" + repo + "/manifests/index", OCI_INDEX,
                Json.of(OCI_INDEX).manifests(here, there, nowhere).doc().bytes());

        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(ErrorAssert.detail(r)).contains(there.digest(), nowhere.digest()).doesNotContain(here.digest());
    }

    @Test
    void putIndex_entryThatIsABlobNotAManifest_returnsManifestBlobUnknown() {
        String repo = freshRepo("indexblob");
        Blob config = registry.push(repo, config("b"));

        Reply r = registry.put("/v2/" + repo + "/manifests/index", OCI_INDEX,
                Json.of(OCI_INDEX).raw("manifests", "[" + new Doc(OCI_MANIFEST, OCI_MANIFEST, config.bytes())
                        .descriptor() + "]").doc().bytes());

        assertError(r, 400, "MANIFEST_BLOB_UNKNOWN");
        assertThat(ErrorAssert.detail(r)).contains(config.digest());
    }

    @Test
    void put_foreignLayerNotPushed_isAccepted() {
        String repo = freshRepo("foreign");
        Blob config = registry.push(repo, blob(DOCKER_CONFIG, "{\"os\":\"windows\"}"));
        Blob foreign = blob(DOCKER_FOREIGN_LAYER, "lives on another server");
        Doc windows = Json.of(DOCKER_MANIFEST).config(config).layers(foreign).doc();

        registry.putManifest(repo, "ltsc", windows);

        assertThat(registry.get("/v2/" + repo + "/manifests/ltsc").body()).isEqualTo(windows.bytes());
    }

    @Test
    void put_withSubject_answersOciSubjectHeader() {
        String repo = freshRepo("subject");
        Doc image = registry.pushImage(repo, "latest", ociImage(config("s"), layer("s")), config("s"), layer("s"));
        registry.push(repo, emptyConfig());
        Blob sbom = registry.push(repo, blob("application/spdx+json", "{}\n"));
        Doc artifact = Json.of(OCI_MANIFEST).artifactType(SBOM).config(emptyConfig()).layers(sbom).subject(image)
                .doc();

        Reply r = registry.put("/v2/" + repo + "/manifests/" + artifact.digest(), OCI_MANIFEST, artifact.bytes());

        assertThat(r.status()).as("%s", r).isEqualTo(201);
        assertThat(r.header("OCI-Subject")).contains(image.digest());
    }

    @Test
    void put_withSubjectNotInRepository_isAccepted() {
        String repo = freshRepo("subject");
        registry.push(repo, emptyConfig());
        Doc absent = ociImage(config("absent"));
        Doc artifact = Json.of(OCI_MANIFEST).artifactType(SBOM).config(emptyConfig()).raw("layers", "[]")
                .subject(absent).doc();

        Reply r = registry.put("/v2/" + repo + "/manifests/sig", OCI_MANIFEST, artifact.bytes());

        assertThat(r.status()).as("a referrer may be pushed before its subject: %s", r).isEqualTo(201);
        assertThat(r.header("OCI-Subject")).contains(absent.digest());
    }

    // ---- invalid manifests ---------------------------------------------------------------------------------

    static Stream<Arguments> invalidManifests() {
        Blob c = config("invalid");
        Blob l = layer("invalid");
        String cfg = c.descriptor();
        String lyr = l.descriptor();
        String hex = c.digest().substring("sha256:".length());
        String good = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + cfg
                + ",\"layers\":[" + lyr + "]}";
        return Stream.of(
                Arguments.of("not JSON", OCI_MANIFEST, "this is not json", "JSON"),
                Arguments.of("truncated JSON", OCI_MANIFEST, good.substring(0, good.length() - 2), "JSON"),
                Arguments.of("empty body", OCI_MANIFEST, "", "JSON object"),
                Arguments.of("JSON array", OCI_MANIFEST, "[" + good + "]", "JSON object"),
                Arguments.of("trailing data after the object", OCI_MANIFEST, good + "{}", "JSON"),
                Arguments.of("single-quoted strings", OCI_MANIFEST, good.replace("\"schemaVersion\"",
                        "'schemaVersion'"), "JSON"),
                Arguments.of("duplicate top-level key", OCI_MANIFEST,
                        good.replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"schemaVersion\":2,"),
                        "schemaVersion"),
                Arguments.of("duplicate key in a descriptor", OCI_MANIFEST,
                        good.replace("\"size\" :", "\"size\": 1, \"size\" :"), "size"),
                Arguments.of("schemaVersion 1", OCI_MANIFEST, good.replace("\"schemaVersion\":2",
                        "\"schemaVersion\":1"), "schemaVersion"),
                Arguments.of("schemaVersion 3", OCI_MANIFEST, good.replace("\"schemaVersion\":2",
                        "\"schemaVersion\":3"), "schemaVersion"),
                Arguments.of("schemaVersion as a string", OCI_MANIFEST, good.replace("\"schemaVersion\":2",
                        "\"schemaVersion\":\"2\""), "schemaVersion"),
                Arguments.of("schemaVersion 2.5", OCI_MANIFEST, good.replace("\"schemaVersion\":2",
                        "\"schemaVersion\":2.5"), "schemaVersion"),
                Arguments.of("schemaVersion 2^32+2", OCI_MANIFEST, good.replace("\"schemaVersion\":2",
                        "\"schemaVersion\":4294967298"), "schemaVersion"),
                Arguments.of("schemaVersion missing", OCI_MANIFEST, good.replace("\"schemaVersion\":2,", ""),
                        "schemaVersion"),
                Arguments.of("config missing", OCI_MANIFEST, good.replace("\"config\":" + cfg + ",", ""),
                        "config"),
                Arguments.of("config not an object", OCI_MANIFEST, good.replace(cfg, "\"" + c.digest() + "\""),
                        "config"),
                Arguments.of("config without mediaType", OCI_MANIFEST, good.replace(
                        ",  \"mediaType\":\"" + c.mediaType() + "\"", ""), "config.mediaType"),
                Arguments.of("descriptor digest not hex", OCI_MANIFEST, good.replace(c.digest(),
                        "sha256:" + "z".repeat(64)), "config.digest"),
                Arguments.of("descriptor digest upper-case", OCI_MANIFEST, good.replace(c.digest(),
                        "sha256:" + hex.toUpperCase()), "config.digest"),
                Arguments.of("descriptor digest of unknown algorithm", OCI_MANIFEST, good.replace(c.digest(),
                        "md5:" + hex.substring(0, 32)), "config.digest"),
                Arguments.of("descriptor digest missing", OCI_MANIFEST, good.replace(
                        "\"digest\":\"" + l.digest() + "\" ,", ""), "layers[0].digest"),
                Arguments.of("descriptor size negative", OCI_MANIFEST, good.replace("\"size\" :" + l.size(),
                        "\"size\" :-1"), "layers[0].size"),
                Arguments.of("descriptor size a string", OCI_MANIFEST, good.replace("\"size\" :" + l.size(),
                        "\"size\" :\"" + l.size() + "\""), "layers[0].size"),
                Arguments.of("descriptor size fractional", OCI_MANIFEST, good.replace("\"size\" :" + l.size(),
                        "\"size\" :" + l.size() + ".5"), "layers[0].size"),
                Arguments.of("descriptor size missing", OCI_MANIFEST, good.replace("\"size\" :" + l.size() + ",",
                        ""), "layers[0].size"),
                Arguments.of("layers not an array", OCI_MANIFEST, good.replace("[" + lyr + "]", lyr), "layers"),
                Arguments.of("annotation value not a string", OCI_MANIFEST, good.replace("{\"schemaVersion\":2,",
                        "{\"schemaVersion\":2,\"annotations\":{\"n\":1},"), "annotations"),
                Arguments.of("mediaType not a string", OCI_MANIFEST, good.replace("\"mediaType\":\"" + OCI_MANIFEST
                        + "\"", "\"mediaType\":7"), "mediaType"),
                Arguments.of("body mediaType differs from Content-Type", DOCKER_MANIFEST, good, "Content-Type"),
                Arguments.of("index body under manifest Content-Type", OCI_MANIFEST,
                        "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[]}",
                        "Content-Type"),
                Arguments.of("index with config", OCI_INDEX, "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX
                        + "\",\"manifests\":[],\"config\":" + cfg + "}", "config"),
                Arguments.of("index without manifests", OCI_INDEX, "{\"schemaVersion\":2,\"mediaType\":\""
                        + OCI_INDEX + "\"}", "manifests"),
                Arguments.of("image with manifests", OCI_MANIFEST, good.replace("{\"schemaVersion\":2,",
                        "{\"schemaVersion\":2,\"manifests\":[],"), "manifests"),
                Arguments.of("Docker manifest without layers", DOCKER_MANIFEST,
                        "{\"schemaVersion\":2,\"mediaType\":\"" + DOCKER_MANIFEST + "\",\"config\":" + cfg + "}",
                        "layers"),
                Arguments.of("schema1 media type in body", SCHEMA1_SIGNED, "{\"schemaVersion\":2,\"mediaType\":\""
                        + SCHEMA1 + "\",\"config\":" + cfg + "}", "unsupported"),
                Arguments.of("schema1 signed manifest", SCHEMA1_SIGNED, "{\"schemaVersion\":1,\"name\":\"x\","
                        + "\"tag\":\"latest\",\"architecture\":\"amd64\",\"fsLayers\":[],\"history\":[],"
                        + "\"signatures\":[]}", "unsupported"),
                Arguments.of("schema1 unsigned manifest", SCHEMA1, "{\"schemaVersion\":1,\"name\":\"x\","
                        + "\"tag\":\"latest\",\"fsLayers\":[],\"history\":[]}", "unsupported"),
                Arguments.of("unknown mediaType in body", OCI_MANIFEST, good.replace("\"mediaType\":\""
                        + OCI_MANIFEST + "\"", "\"mediaType\":\"application/vnd.example.thing+json\""),
                        "unsupported"),
                Arguments.of("no mediaType, no Content-Type hint, no config or manifests", "application/json",
                        "{\"schemaVersion\":2}", "mediaType"),
                Arguments.of("subject not a descriptor", OCI_MANIFEST, good.replace("{\"schemaVersion\":2,",
                        "{\"schemaVersion\":2,\"subject\":\"sha256:" + hex + "\","), "subject"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManifests")
    void put_invalidManifest_returnsManifestInvalidWithDetail(String name, String contentType, String body,
                                                             String detailMentions) {
        String repo = freshRepo("invalid");
        registry.push(repo, config("invalid"));
        registry.push(repo, layer("invalid"));

        for (String reference : List.of("latest", sha256(utf8(body)))) {
            Reply r = registry.put("/v2/" + repo + "/manifests/" + reference, contentType, utf8(body));

            assertError(r, 400, "MANIFEST_INVALID");
            assertThat(ErrorAssert.detail(r)).as("detail of %s", r).containsIgnoringCase(detailMentions);
            assertThat(registry.get("/v2/" + repo + "/manifests/" + reference).status()).isEqualTo(404);
        }
        assertThat(registry.get("/v2/" + repo + "/tags/list").json().get("tags")).isEmpty();
    }

    @Test
    void put_validBaseOfTheInvalidTable_isAccepted() {
        String repo = freshRepo("invalid");
        Blob c = registry.push(repo, config("invalid"));
        Blob l = registry.push(repo, layer("invalid"));
        String good = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":" + c.descriptor()
                + ",\"layers\":[" + l.descriptor() + "]}";

        assertThat(registry.put("/v2/" + repo + "/manifests/latest", OCI_MANIFEST, utf8(good)).status())
                .as("the table's cases differ from this manifest by the one fault each names").isEqualTo(201);
        assertThat(registry.put("/v2/" + repo + "/manifests/nl", OCI_MANIFEST, utf8(good + "\n\t ")).status())
                .as("trailing whitespace is still one JSON document").isEqualTo(201);
    }

    // ---- references that are not valid ----------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"sha256:totallywrong", "sha256:", "sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
            "sha384:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ":", "a:b:c"})
    void anyMethod_malformedDigestReference_returns400(String reference) {
        String repo = freshRepo("badref");
        String path = "/v2/" + repo + "/manifests/" + reference;
        Doc image = ociImage(config("x"));

        assertError(registry.get(path), 400, "DIGEST_INVALID");
        assertError(registry.put(path, OCI_MANIFEST, image.bytes()), 400, "DIGEST_INVALID");
        assertError(registry.delete(path), 400, "DIGEST_INVALID");
        assertThat(registry.head(path).status()).isEqualTo(400);
    }

    @ParameterizedTest
    @ValueSource(strings = {".hidden", "-dash", "a+b", "caf%C3%A9", "a%20b", "tag%2Fwith%2Fslash"})
    void anyMethod_malformedTag_returns400TagInvalid(String tag) {
        String repo = freshRepo("badtag");
        String path = "/v2/" + repo + "/manifests/" + tag;

        assertError(registry.get(path), 400, "TAG_INVALID");
        assertError(registry.put(path, OCI_MANIFEST, ociImage(config("x")).bytes()), 400, "TAG_INVALID");
        assertError(registry.delete(path), 400, "TAG_INVALID");
    }

    @Test
    void tagOver128Characters_returns400TagInvalid_and128IsAccepted() {
        String repo = freshRepo("long");
        Doc image = ociImage(config("long"), layer("long"));
        registry.push(repo, config("long"));
        registry.push(repo, layer("long"));
        String longest = "t" + "a".repeat(127);
        String tooLong = longest + "a";

        assertError(registry.put("/v2/" + repo + "/manifests/" + tooLong, OCI_MANIFEST, image.bytes()), 400,
                "TAG_INVALID");
        assertError(registry.get("/v2/" + repo + "/manifests/" + tooLong), 400, "TAG_INVALID");
        registry.putManifest(repo, longest, image);
        assertThat(registry.get("/v2/" + repo + "/manifests/" + longest).body()).isEqualTo(image.bytes());
        assertThat(registry.get("/v2/" + repo + "/tags/list").json().get("tags").get(0).asText()).isEqualTo(longest);
    }

    @Test
    void put_invalidRepositoryName_returns400NameInvalid() {
        Doc image = ociImage(config("x"));

        assertError(registry.put("/v2/Upper/manifests/latest", OCI_MANIFEST, image.bytes()), 400, "NAME_INVALID");
        assertError(registry.get("/v2/a..b/manifests/latest"), 400, "NAME_INVALID");
    }
}
