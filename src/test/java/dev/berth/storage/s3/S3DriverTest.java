package dev.berth.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.storage.StorageDriver;
import dev.berth.storage.StorageDriverContract;
import dev.berth.storage.StorageWriter;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The {@link StorageDriverContract} on {@link S3Driver} against a real S3-compatible server (s3proxy, its own
 * process, one per test class; a fresh bucket per test), and what is particular to S3: multipart uploads continued
 * across writers and driver instances, parts of at least 5 MiB out of small chunks, bounded spooling, server-side
 * moves, pre-signed URLs.
 */
class S3DriverTest extends StorageDriverContract {

    private static final long MIB = 1024 * 1024;
    private static final String ROOT = "registry";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private static Path proxyDirectory;
    private static S3Proxy proxy;
    private static S3Client admin;

    @TempDir
    Path temp;

    private String bucket;
    private final List<StorageDriver> extraDrivers = new ArrayList<>();
    /** Every S3 request the drivers of this test made, as "Operation key". */
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    /** "Operation header" for every request that carried x-amz-server-side-encryption. */
    private final List<String> encryptionHeaders = Collections.synchronizedList(new ArrayList<>());
    /** The length of every object body the drivers of this test fetched with GetObject. */
    private final List<Long> bytesRead = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startS3Proxy() throws Exception {
        proxyDirectory = Files.createTempDirectory("berth-s3proxy-");
        proxy = S3Proxy.start(proxyDirectory);
        admin = S3Client.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(proxy.endpoint())
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)))
                .httpClientBuilder(Apache5HttpClient.builder())
                .build();
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

    @AfterEach
    void closeExtraDrivers() throws Exception {
        for (StorageDriver d : extraDrivers) {
            d.close();
        }
    }

    @Override
    protected StorageDriver newDriver() throws Exception {
        bucket = String.format("test-%04d", BUCKETS.incrementAndGet());
        admin.createBucket(b -> b.bucket(bucket));
        return s3Driver(b -> { });
    }

    /** A driver on this test's bucket (another instance: as on another node), with its own spool directory. */
    private S3Driver s3Driver(Consumer<S3Settings.Builder> customize) throws IOException {
        S3Settings.Builder settings = S3Settings.builder(bucket, "us-east-1")
                .endpoint(proxy.endpoint())
                .pathStyle(true)
                .credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .rootDirectory(ROOT)
                .spoolDirectory(Files.createTempDirectory(temp, "spool-"));
        customize.accept(settings);
        S3Driver d = new S3Driver(settings.build(), List.of(new Recorder()));
        if (driver != null) {
            extraDrivers.add(d);
        }
        return d;
    }

    private S3Driver s3() {
        return (S3Driver) driver;
    }

    // --- names, keys, listing ----------------------------------------------------------------------------------

    @Test
    void name_isS3() {
        assertThat(driver.name()).isEqualTo("s3");
    }

    @Test
    void rootDirectory_keepsEveryKeyBelowIt() throws Exception {
        admin.putObject(b -> b.bucket(bucket).key("outside"), software.amazon.awssdk.core.sync.RequestBody.fromString("x"));
        put("/docker/registry/v2/blobs/sha256/ab/abcd/data", "blob");

        assertThat(keys()).containsExactlyInAnyOrder("outside", ROOT + "/docker/registry/v2/blobs/sha256/ab/abcd/data");
        assertThat(proxy.baseDirectory().resolve(bucket + "/" + ROOT + "/docker/registry/v2/blobs/sha256/ab/abcd/data"))
                .hasContent("blob");
        assertThat(driver.list("/")).containsExactly("/docker");
    }

    @Test
    void bucketRoot_withoutRootDirectory_usesThePathAsKey() throws Exception {
        S3Driver bare = s3Driver(b -> b.rootDirectory(""));

        bare.putContent("/docker/registry/v2/x", bytes("x"));

        assertThat(keys()).containsExactly("docker/registry/v2/x");
        assertThat(bare.list("/")).containsExactly("/docker");
    }

    @Test
    void list_showsPendingObjectOnce_neverItsStateOrTail() throws Exception {
        writePending("/u/data", 6 * MIB + 100, 5 * MIB);
        put("/u/other", "x");

        assertThat(keys()).anyMatch(k -> k.endsWith("data" + S3Driver.STATE_SUFFIX))
                .anyMatch(k -> k.contains("data" + S3Driver.TAIL_INFIX));
        assertThat(driver.list("/u")).containsExactly("/u/data", "/u/other");
        assertThat(driver.list("/")).containsExactly("/u");
        assertThat(driver.stat("/u")).hasValueSatisfying(info -> assertThat(info.directory()).isTrue());
    }

    @Test
    void credentials_notGiven_comeFromTheDefaultChain() throws Exception {
        String[] properties = {"aws.accessKeyId", "aws.secretAccessKey"};
        String[] saved = {System.getProperty(properties[0]), System.getProperty(properties[1])};
        System.setProperty(properties[0], S3Proxy.ACCESS_KEY);
        System.setProperty(properties[1], S3Proxy.SECRET_KEY);
        try {
            S3Driver chain = s3Driver(b -> b.credentials(null, null));

            chain.putContent("/from-chain", bytes("ok"));

            assertThat(chain.settings().accessKey()).isNull();
            assertThat(content("/from-chain")).isEqualTo("ok");
        } finally {
            for (int i = 0; i < properties.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(properties[i]);
                } else {
                    System.setProperty(properties[i], saved[i]);
                }
            }
        }
    }

    @Test
    void verify_missingBucket_saysWhichBucket() throws Exception {
        S3Driver wrong = s3Driver(b -> { });
        S3Driver missing = new S3Driver(S3Settings.builder("no-such-bucket", "us-east-1")
                .endpoint(proxy.endpoint()).pathStyle(true).credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .spoolDirectory(temp.resolve("spool-missing")).build());
        extraDrivers.add(missing);

        wrong.verify();
        assertThatThrownBy(missing::verify).isInstanceOf(IOException.class).hasMessageContaining("no-such-bucket");
        assertThatThrownBy(() -> missing.getContent("/x"))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(java.nio.file.NoSuchFileException.class)
                .hasMessageContaining("no-such-bucket");
    }

    @Test
    void statOfTheRoot_failsWhileTheBucketIsNotUsable() throws Exception {
        S3Driver missing = new S3Driver(S3Settings.builder("no-such-bucket", "us-east-1")
                .endpoint(proxy.endpoint()).pathStyle(true).credentials(S3Proxy.ACCESS_KEY, S3Proxy.SECRET_KEY)
                .spoolDirectory(temp.resolve("spool-missing")).build());
        extraDrivers.add(missing);

        // readiness and distribution's health check stat the root: it must reach the bucket, not just say "a directory"
        assertThatThrownBy(() -> missing.stat("/")).isInstanceOf(IOException.class)
                .hasMessageContaining("no-such-bucket");
    }

    // --- writers: multipart uploads across writers ---------------------------------------------------------

    @Test
    void writer_smallObject_isWrittenWithOnePutAndNoMultipartUpload() throws Exception {
        try (StorageWriter writer = driver.writer("/small/data", 0)) {
            writer.write(ByteBuffer.wrap(new byte[1000]));
            writer.write(ByteBuffer.wrap(new byte[24]));
            writer.commit();
        }

        assertThat(operations()).doesNotContain("CreateMultipartUpload", "UploadPart");
        assertThat(keys()).containsExactly(ROOT + "/small/data");
        assertThat(driver.stat("/small/data").orElseThrow().size()).isEqualTo(1024);
    }

    @Test
    void writer_oneMiBPieces_areCombinedIntoParts() throws Exception {
        S3Driver fiveMiBParts = s3Driver(b -> b.chunkSize(5 * MIB));
        byte[] expected = pieces(12, MIB);

        try (StorageWriter writer = fiveMiBParts.writer("/w/data", 0)) {
            for (int i = 0; i < 12; i++) {
                writer.write(ByteBuffer.wrap(expected, (int) (i * MIB), (int) MIB));
            }
            writer.commit();
        }

        assertThat(partSizes("/w/data")).containsExactly(5 * MIB, 5 * MIB);
        assertThat(pendingState("/w/data").tailSize()).isEqualTo(2 * MIB);
        assertThat(driver.stat("/w/data").orElseThrow().size()).isEqualTo(12 * MIB);
        assertThat(driver.getContent("/w/data")).isEqualTo(expected);
        assertThat(keys()).as("completed by the read: a plain object").containsExactly(ROOT + "/w/data");
    }

    @Test
    void writer_oneMiBChunksEachInItsOwnWriter_formPartsOfFiveMiBWithoutCopyingEarlierBytesAgain() throws Exception {
        // as a client pushing 1 MiB PATCHes: one writer per request, each continuing at the size so far
        byte[] expected = pieces(23, MIB);
        for (int i = 0; i < 23; i++) {
            S3Driver node = i % 2 == 0 ? s3() : s3Driver(b -> { });
            try (StorageWriter writer = node.writer("/chunked/data", i * MIB)) {
                writer.write(ByteBuffer.wrap(expected, (int) (i * MIB), (int) MIB));
                writer.commit();
            }
        }

        List<Long> parts = partSizes("/chunked/data");
        assertThat(parts).allSatisfy(size -> assertThat(size).isGreaterThanOrEqualTo(5 * MIB));
        assertThat(parts.stream().mapToLong(Long::longValue).sum() + pendingState("/chunked/data").tailSize())
                .isEqualTo(23 * MIB);
        // below 5 MiB the object is plain and its bytes are read back (less than 5 MiB each time); at 5 MiB S3
        // copies them into the first part, once; after that only the tail (less than 5 MiB) is read back
        assertThat(operations()).doesNotContain("CopyObject");
        assertThat(operations()).filteredOn("UploadPartCopy"::equals).hasSize(1);
        assertThat(bytesRead).as("bytes read back by each writer").isNotEmpty()
                .allSatisfy(n -> assertThat(n).isLessThan(5 * MIB));

        assertThat(driver.getContent("/chunked/data")).isEqualTo(expected);
    }

    @Test
    void writer_continuedByAnotherDriverInstance_atItsOffset() throws Exception {
        byte[] expected = pieces(20, MIB);
        int first = (int) (12 * MIB + 300_000);
        try (StorageWriter writer = driver.writer("/upload/data", 0)) {
            writer.write(ByteBuffer.wrap(expected, 0, first));
        }
        driver.close();

        S3Driver otherNode = s3Driver(b -> { });
        try (StorageWriter writer = otherNode.writer("/upload/data", first)) {
            assertThat(writer.size()).isEqualTo(first);
            writer.write(ByteBuffer.wrap(expected, first, expected.length - first));
            writer.commit();
        }

        driver = s3Driver(b -> { });
        assertThat(driver.stat("/upload/data").orElseThrow().size()).isEqualTo(expected.length);
        assertThat(driver.getContent("/upload/data")).isEqualTo(expected);
    }

    @Test
    void writer_continuedBeforeTheEnd_keepsOnlyTheBytesBeforeItsOffset() throws Exception {
        byte[] expected = pieces(13, MIB); // parts of 5 MiB: [0, 5), [5, 10); tail [10, 13)
        S3Driver fiveMiBParts = s3Driver(b -> b.chunkSize(5 * MIB));
        long[] offsets = {11 * MIB + 7, 10 * MIB, 5 * MIB, 7 * MIB + 3};
        String[] cases = {"inside the tail", "at the end of the parts", "at a part boundary", "inside a part"};
        for (int i = 0; i < offsets.length; i++) {
            String path = "/cut/" + i + "/data";
            try (StorageWriter writer = fiveMiBParts.writer(path, 0)) {
                writer.write(ByteBuffer.wrap(expected));
            }
            int offset = (int) offsets[i];

            try (StorageWriter writer = driver.writer(path, offset)) {
                writer.write(ByteBuffer.wrap(bytes("-the-end")));
            }

            byte[] content = driver.getContent(path);
            assertThat(content.length).as(cases[i]).isEqualTo(offset + 8);
            assertThat(java.util.Arrays.mismatch(content, 0, offset, expected, 0, offset)).as(cases[i]).isEqualTo(-1);
            assertThat(new String(content, offset, 8, UTF_8)).as(cases[i]).isEqualTo("-the-end");
        }
    }

    @Test
    void writer_continuingPlainObjectOfFiveMiBOrMore_copiesItsStartInsideS3() throws Exception {
        byte[] start = pieces(6, MIB);
        driver.putContent("/plain/data", start);
        requests.clear();

        try (StorageWriter writer = driver.writer("/plain/data", start.length)) {
            writer.write(ByteBuffer.wrap(bytes("more")));
            writer.commit();
        }

        assertThat(operations()).contains("UploadPartCopy");
        assertThat(requests).doesNotContain("GetObject " + ROOT + "/plain/data");
        byte[] content = driver.getContent("/plain/data");
        assertThat(java.util.Arrays.copyOf(content, start.length)).isEqualTo(start);
        assertThat(new String(content, start.length, 4, UTF_8)).isEqualTo("more");
    }

    @Test
    void writer_atTheEndClosedWithoutWriting_changesNothingAndReadsNothingBack() throws Exception {
        writePending("/p/data", 7 * MIB, 5 * MIB);
        driver.putContent("/plain", pieces(6, MIB));
        List<String> before = keys();
        requests.clear();

        driver.writer("/p/data", 7 * MIB).close();
        StorageWriter committed = driver.writer("/plain", 6 * MIB);
        committed.write(ByteBuffer.allocate(0));
        committed.commit();

        assertThat(operations()).doesNotContain("PutObject", "UploadPartCopy", "CreateMultipartUpload",
                "DeleteObjects", "DeleteObject");
        assertThat(bytesRead).allSatisfy(n -> assertThat(n).isLessThan(1024L));
        assertThat(keys()).isEqualTo(before);
        assertThat(driver.getContent("/p/data")).isEqualTo(pieces(1, 7 * MIB));
        assertThat(driver.getContent("/plain")).isEqualTo(pieces(6, MIB));
    }

    @Test
    void writer_atZeroOnPendingObject_startsAfreshAndAbortsTheOldUpload() throws Exception {
        writePending("/p/data", 6 * MIB, 5 * MIB);

        try (StorageWriter writer = driver.writer("/p/data", 0)) {
            writer.write(ByteBuffer.wrap(bytes("fresh")));
        }

        assertThat(content("/p/data")).isEqualTo("fresh");
        assertThat(uploads()).isEmpty();
        assertThat(keys()).containsExactly(ROOT + "/p/data");
    }

    @Test
    void stat_pendingObject_reportsItsSizeWithoutCompletingIt() throws Exception {
        writePending("/p/data", 11 * MIB + 5, 5 * MIB);

        assertThat(driver.stat("/p/data")).hasValueSatisfying(info -> {
            assertThat(info.size()).isEqualTo(11 * MIB + 5);
            assertThat(info.directory()).isFalse();
        });
        assertThat(uploads()).hasSize(1);
    }

    @Test
    void getContent_pendingObjectReadByManyAtOnce_everyReaderSeesTheWholeObject() throws Exception {
        writePending("/p/data", 12 * MIB + 3, 5 * MIB);
        byte[] expected = pieces(1, 12 * MIB + 3);
        int readers = 6;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(readers);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(readers)) {
            List<java.util.concurrent.Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < readers; i++) {
                int reader = i;
                reads.add(pool.submit(() -> {
                    start.await();
                    if (reader % 2 == 0) {
                        return driver.getContent("/p/data");
                    }
                    try (InputStream in = driver.reader("/p/data", 0)) {
                        return in.readAllBytes();
                    }
                }));
            }
            for (var read : reads) {
                assertThat(read.get()).isEqualTo(expected);
            }
        }
        assertThat(keys()).containsExactly(ROOT + "/p/data");
        assertThat(uploads()).isEmpty();
    }

    @Test
    @Timeout(600)
    void writer_100MiBInOneMiBPieces_spoolsAtMostTwoPartsAndHeapStaysBounded() throws Exception {
        Path spool = Files.createTempDirectory(temp, "watched-spool-");
        S3Driver watched = s3Driver(b -> b.spoolDirectory(spool));
        int pieces = 100;
        byte[] piece = new byte[(int) MIB];
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        long baseline = usedHeapAfterGc();
        long heapMidway = 0;
        long largestSpool = 0;

        try (StorageWriter writer = watched.writer("/big/data", 0)) {
            for (int i = 0; i < pieces; i++) {
                new SplittableRandom(i).nextBytes(piece);
                written.update(piece);
                writer.write(ByteBuffer.wrap(piece));
                try (Stream<Path> files = Files.list(spool)) {
                    List<Path> spooled = files.toList();
                    assertThat(spooled.size()).as("spool files after piece %d", i).isLessThanOrEqualTo(2);
                    long total = 0;
                    for (Path f : spooled) {
                        total += Files.size(f);
                    }
                    largestSpool = Math.max(largestSpool, total);
                }
                if (i == pieces / 2) {
                    heapMidway = usedHeapAfterGc();
                }
            }
            writer.commit();
        }

        assertThat(largestSpool).as("bytes on local disk at once").isLessThanOrEqualTo(2 * S3Settings.DEFAULT_CHUNK_SIZE);
        try (Stream<Path> files = Files.list(spool)) {
            assertThat(files).as("spool files after commit").isEmpty();
        }
        assertThat(heapMidway - baseline).as("heap held with 50 MiB written").isLessThan(32 * MIB);
        assertThat(partSizes("/big/data")).hasSize(10).allMatch(size -> size == S3Settings.DEFAULT_CHUNK_SIZE);

        MessageDigest read = MessageDigest.getInstance("SHA-256");
        long size = 0;
        try (InputStream in = driver.reader("/big/data", 0)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                read.update(buffer, 0, n);
                size += n;
            }
        }
        assertThat(size).isEqualTo(pieces * MIB);
        assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(HexFormat.of().formatHex(written.digest()));
    }

    @Test
    void encryption_isRequestedForEveryObjectWritten() throws Exception {
        // s3proxy implements no server-side encryption and says so (501): this checks what Berth asks for, and that
        // a store's refusal reaches the caller in words
        S3Driver aes = s3Driver(b -> b.encryption(S3Settings.Encryption.AES256, null).chunkSize(5 * MIB));
        S3Driver kms = s3Driver(b -> b.encryption(S3Settings.Encryption.KMS, "alias/berth"));
        put("/plain", "x");

        assertThatThrownBy(() -> aes.putContent("/small", bytes("x")))
                .isInstanceOf(IOException.class).hasMessageContaining("501").hasMessageContaining("encryption");
        assertThatThrownBy(() -> {
            try (StorageWriter writer = aes.writer("/big", 0)) {
                writer.write(ByteBuffer.wrap(new byte[(int) (5 * MIB)]));
            }
        }).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> kms.move("/plain", "/moved")).isInstanceOf(IOException.class);

        assertThat(encryptionHeaders).containsExactly(
                "PutObject AES256", "CreateMultipartUpload AES256", "CopyObject aws:kms");
        assertThat(content("/plain")).isEqualTo("x");
        assertThat(driver.stat("/moved")).isEmpty();
    }

    // --- move, delete, cancel --------------------------------------------------------------------------------

    @Test
    void move_pendingObject_isCompletedAndCopiedInsideS3_neverReadThroughBerth() throws Exception {
        byte[] expected = pieces(12, MIB);
        try (StorageWriter writer = driver.writer("/uploads/u1/data", 0)) {
            writer.write(ByteBuffer.wrap(expected));
            writer.commit();
        }
        requests.clear();

        driver.move("/uploads/u1/data", "/blobs/ab/abcd/data");

        assertThat(operations()).doesNotContain("UploadPart", "PutObject")
                .contains("CompleteMultipartUpload", "DeleteObject");
        assertThat(requests).filteredOn(r -> r.startsWith("GetObject "))
                .allMatch(r -> r.endsWith(S3Driver.STATE_SUFFIX));
        Path files = proxy.baseDirectory().resolve(bucket).resolve(ROOT);
        assertThat(files.resolve("blobs/ab/abcd/data")).isRegularFile().hasSize(expected.length);
        assertThat(files.resolve("uploads/u1/data")).doesNotExist();
        assertThat(driver.getContent("/blobs/ab/abcd/data")).isEqualTo(expected);
    }

    @Test
    void move_aboveMultipartCopyThreshold_copiesInPartsInsideS3() throws Exception {
        S3Driver partCopies = s3Driver(b -> b.multipartCopy(5 * MIB, 5 * MIB, 3));
        byte[] expected = pieces(17, MIB);
        partCopies.putContent("/src", expected);
        requests.clear();

        partCopies.move("/src", "/dst");

        assertThat(operations()).filteredOn("UploadPartCopy"::equals).hasSize(4);
        assertThat(operations()).doesNotContain("CopyObject", "GetObject", "UploadPart");
        assertThat(driver.getContent("/dst")).isEqualTo(expected);
        assertThat(driver.stat("/src")).isEmpty();
    }

    @Test
    void delete_treeWithPendingObject_abortsItsUploadAndRemovesEverything() throws Exception {
        writePending("/repo/_uploads/u1/data", 7 * MIB, 5 * MIB);
        put("/repo/_uploads/u1/hashstates/sha256/7340032", "state");
        assertThat(uploads()).hasSize(1);

        driver.delete("/repo/_uploads/u1");

        assertThat(uploads()).isEmpty();
        assertThat(keys()).isEmpty();
        assertThat(driver.stat("/repo/_uploads/u1/data")).isEmpty();
    }

    @Test
    void cancel_pendingObject_abortsItsUploadAndLeavesNothing() throws Exception {
        writePending("/c/data", 6 * MIB, 5 * MIB);
        StorageWriter writer = driver.writer("/c/data", 6 * MIB);
        writer.write(ByteBuffer.wrap(new byte[(int) (6 * MIB)]));

        writer.cancel();

        assertThat(uploads()).isEmpty();
        assertThat(keys()).isEmpty();
        assertThat(driver.stat("/c/data")).isEmpty();
    }

    // --- pre-signed URLs ---------------------------------------------------------------------------------------

    @Test
    void redirectUrl_isAPresignedGetThatAPlainHttpClientCanFetch() throws Exception {
        put("/docker/registry/v2/blobs/sha256/ab/abcd/data", "blob bytes");

        Optional<URI> url = driver.redirectUrl("/docker/registry/v2/blobs/sha256/ab/abcd/data", Duration.ofMinutes(5));

        assertThat(url).isPresent();
        assertThat(url.get().toString()).startsWith(proxy.endpoint() + "/" + bucket + "/" + ROOT + "/docker/")
                .contains("X-Amz-Signature=").contains("X-Amz-Expires=300");
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(url.get()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("blob bytes");

        URI tampered = URI.create(url.get().toString().replace("/abcd/", "/abce/"));
        assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(tampered).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(403);
    }

    @Test
    void redirectUrl_invalidPath_isRefused() {
        for (String path : INVALID_PATHS) {
            assertThatThrownBy(() -> driver.redirectUrl(path, Duration.ofMinutes(1)))
                    .as(String.valueOf(path)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /** Leaves a pending object of {@code size} bytes written in parts of {@code partSize}. */
    private void writePending(String path, long size, long partSize) throws IOException {
        S3Driver writerDriver = s3Driver(b -> b.chunkSize(partSize));
        try (StorageWriter writer = writerDriver.writer(path, 0)) {
            writer.write(ByteBuffer.wrap(pieces(1, size)));
        }
        assertThat(pendingState(path)).isNotNull();
    }

    private PendingState pendingState(String path) throws IOException {
        S3Driver.Stored<PendingState> stored = s3().readState(ROOT + path);
        return stored == null ? null : stored.value();
    }

    /** Sizes of the parts uploaded so far to the open multipart upload of {@code path}. */
    private List<Long> partSizes(String path) throws IOException {
        PendingState state = pendingState(path);
        assertThat(state).as("pending state of " + path).isNotNull();
        List<Part> parts = admin.listParts(b -> b.bucket(bucket).key(ROOT + path).uploadId(state.uploadId())).parts();
        List<Long> named = state.parts().stream().map(PendingState.Part::size).toList();
        assertThat(parts.stream().filter(p -> state.parts().stream().anyMatch(s -> s.number() == p.partNumber()))
                .map(Part::size).toList()).as("parts in S3 match the state").isEqualTo(named);
        return named;
    }

    private List<String> keys() {
        return admin.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
    }

    private List<MultipartUpload> uploads() {
        return admin.listMultipartUploads(b -> b.bucket(bucket)).uploads();
    }

    /** The operations the drivers requested, in order ("PutObject", "UploadPart", ...). */
    private List<String> operations() {
        synchronized (requests) {
            return requests.stream().map(r -> r.substring(0, r.indexOf(' '))).toList();
        }
    }

    /** {@code count} pieces of {@code size} pseudo-random bytes, the same every time. */
    private static byte[] pieces(int count, long size) {
        byte[] all = new byte[(int) (count * size)];
        byte[] piece = new byte[(int) size];
        for (int i = 0; i < count; i++) {
            new SplittableRandom(i).nextBytes(piece);
            System.arraycopy(piece, 0, all, (int) (i * size), piece.length);
        }
        return all;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Records each request's operation and key. */
    private final class Recorder implements ExecutionInterceptor {
        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            SdkRequest request = context.request();
            String operation = request.getClass().getSimpleName().replaceFirst("Request$", "");
            String key = request.getValueForField("Key", String.class)
                    .or(() -> request.getValueForField("DestinationKey", String.class)).orElse("-");
            requests.add(operation + " " + key);
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            context.httpRequest().firstMatchingHeader("x-amz-server-side-encryption").ifPresent(value ->
                    encryptionHeaders.add(context.request().getClass().getSimpleName().replaceFirst("Request$", "")
                            + " " + value));
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if (context.response() instanceof software.amazon.awssdk.services.s3.model.GetObjectResponse got) {
                bytesRead.add(got.contentLength());
            }
        }
    }
}
