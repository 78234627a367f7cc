package dev.berth.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.metadata.jdbc.JdbcMetadataStore;
import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;
import dev.berth.registry.Uploads;
import dev.berth.storage.Layout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Blob uploads ({@link Uploads}) over {@link S3Driver} as two nodes would run them: each node its own driver and
 * service, one bucket and one metadata database between them. Chunks of every size land on alternate nodes; the
 * blob ends up at distribution's blob path, and nothing of the upload is left in the bucket.
 */
class S3UploadsTest {

    private static final int MIB = 1024 * 1024;
    private static final RepositoryName REPOSITORY = RepositoryName.of("library/app");

    private static Path proxyDirectory;
    private static S3Proxy proxy;
    private static S3Client admin;

    @TempDir
    Path temp;

    @BeforeAll
    static void startS3Proxy() throws Exception {
        proxyDirectory = Files.createTempDirectory("berth-s3proxy-uploads-");
        proxy = S3Proxy.start(proxyDirectory);
        admin = S3Client.builder().region(Region.US_EAST_1).endpointOverride(proxy.endpoint()).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder()).build();
        admin.createBucket(b -> b.bucket("uploads"));
    }

    @AfterAll
    static void stopS3Proxy() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (proxyDirectory != null) {
            try (Stream<Path> files = Files.walk(proxyDirectory)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private S3Driver node(String name) throws IOException {
        return new S3Driver(S3Settings.builder("uploads", "us-east-1").endpoint(proxy.endpoint()).pathStyle(true)
                .credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .spoolDirectory(temp.resolve("spool-" + name)).build());
    }

    @Test
    void chunkedUpload_continuedOnAnotherNode_commitsTheBlobAndLeavesNoUploadBehind() throws Exception {
        // sizes that cross part boundaries in every way: under 5 MiB, exactly 5 MiB, one byte, several parts
        int[] chunks = {3 * MIB, 2 * MIB, 1, 5 * MIB, 12 * MIB + 17, 700_000, 4 * MIB};
        int total = 0;
        for (int c : chunks) {
            total += c;
        }
        byte[] blob = new byte[total];
        new SplittableRandom(42).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        String database = "jdbc:sqlite:" + temp.resolve("metadata.db");

        try (S3Driver driverA = node("a"); S3Driver driverB = node("b");
             JdbcMetadataStore metadataA = JdbcMetadataStore.open(database, null, null, 2);
             JdbcMetadataStore metadataB = JdbcMetadataStore.open(database, null, null, 2)) {
            Uploads[] nodes = {
                new Uploads(driverA, metadataA, Clock.systemUTC(), () -> UUID.randomUUID().toString()),
                new Uploads(driverB, metadataB, Clock.systemUTC(), () -> UUID.randomUUID().toString())};
            String id = nodes[0].start(REPOSITORY).id();
            int offset = 0;
            for (int i = 0; i < chunks.length; i++) {
                nodes[i % 2].append(REPOSITORY, id, new ByteArrayInputStream(blob, offset, chunks[i]), chunks[i],
                        Optional.empty());
                offset += chunks[i];
                assertThat(nodes[(i + 1) % 2].status(REPOSITORY, id).size()).isEqualTo(offset);
            }

            Uploads.Committed committed = nodes[chunks.length % 2].finish(REPOSITORY, id, digest, null, -1,
                    Optional.empty());

            assertThat(committed.size()).isEqualTo(total);
            assertThat(driverA.getContent(Layout.blobData(digest))).isEqualTo(blob);
            assertThat(metadataB.linkedBlobSize(REPOSITORY, digest)).contains((long) total);
        }
        List<String> keys = admin.listObjectsV2Paginator(b -> b.bucket("uploads")).contents().stream()
                .map(S3Object::key).toList();
        assertThat(keys).containsExactly(Layout.blobData(digest).substring(1));
        assertThat(admin.listMultipartUploads(b -> b.bucket("uploads")).uploads()).isEmpty();
    }
}
