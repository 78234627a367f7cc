package dev.berth.storage.s3;

import dev.berth.storage.FileInfo;
import dev.berth.storage.StorageDriver;
import dev.berth.storage.StoragePath;
import dev.berth.storage.StorageWriter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Keeps each object as an S3 object whose key is the storage path below {@link S3Settings#rootDirectory} (so
 * {@code /docker/registry/v2/blobs/...} is the key {@code <root>/docker/registry/v2/blobs/...}, exactly where CNCF
 * distribution's S3 driver keeps it). Works with AWS and with S3-compatible stores (path-style addressing, a custom
 * endpoint). Directories are key prefixes: one exists while some object lies below it.
 *
 * <p><b>Writers</b> ({@link S3Writer}) spool client bytes to a local file and upload them as the parts of an S3
 * multipart upload, one part per {@link S3Settings#chunkSize} (two spool files per writer at most: one filling, one
 * uploading). {@link StorageWriter#commit()} and {@link StorageWriter#close()} both leave the multipart upload open
 * and write a small state object beside the key ({@code <key>~writer}, see {@link PendingState}) plus the bytes after
 * the last part ({@code <key>~tail.<n>}, under 5 MiB), so that any writer, on any node, can continue at the next
 * offset without a byte being copied again. Readers see such a pending object: {@link #stat} reports its size from
 * the state; {@link #getContent}, {@link #reader} and {@link #move} first complete the multipart upload (the tail
 * becomes the last part by a server-side copy), after which it is a plain object. A writer that never fills a part
 * opens no multipart upload: its object is written with one {@code PutObject}. {@code ~} never occurs in
 * a storage path, so these keys never collide with objects and {@link #list} never shows them.
 *
 * <p>{@link #move} is a server-side {@code CopyObject} (a multipart copy of parallel {@code UploadPartCopy} requests
 * above {@link S3Settings#multipartCopyThreshold}) followed by a delete of the source: the bytes never pass through
 * Berth. {@link #delete} deletes by prefix in batches of 1000 and aborts the multipart uploads of pending objects in
 * the tree.
 *
 * <p>Not handled: mixing {@link #putContent} and {@link #writer} on one path (a pending state left by a writer wins
 * over an object put later, for writers); Berth does neither. Multipart uploads orphaned by a crash between starting
 * them and writing their state cost storage until aborted: give the bucket a lifecycle rule that aborts incomplete
 * multipart uploads after a few days more than {@code storage.maintenance.uploadpurging.age}.
 */
public final class S3Driver implements StorageDriver {

    /** Suffix of the state object of a pending object. */
    static final String STATE_SUFFIX = "~writer";
    /** Infix of the tail objects of pending objects. */
    static final String TAIL_INFIX = "~tail.";
    static final int MAX_PARTS = 10_000;
    private static final int DELETE_BATCH = 1000;
    /** Connections to the store: part uploads and copies of many requests at once. */
    private static final int MAX_CONNECTIONS = 128;

    private final S3Settings settings;
    private final S3Client s3;
    private final S3Presigner presigner;
    private final AwsCredentialsProvider credentials;
    private final String bucket;
    private final String prefix;

    /** A driver over the bucket of {@code settings}; the bucket is not contacted until used (see {@link #verify}). */
    public S3Driver(S3Settings settings) throws IOException {
        this(settings, List.of());
    }

    /** As {@link #S3Driver(S3Settings)}, with SDK interceptors (tests count the requests a method makes). */
    S3Driver(S3Settings settings, List<ExecutionInterceptor> interceptors) throws IOException {
        this.settings = settings;
        this.bucket = settings.bucket();
        this.prefix = settings.keyPrefix();
        Files.createDirectories(settings.spoolDirectory());
        this.credentials = settings.accessKey() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(),
                        settings.secretKey()));
        Region region = Region.of(settings.region());
        var builder = S3Client.builder()
                .region(region)
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMinutes(5))
                        .maxConnections(MAX_CONNECTIONS))
                // S3-compatible stores differ in the newer checksum headers: send and check them only where the
                // API requires them (Berth verifies content digests itself)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.executionInterceptors(List.copyOf(interceptors)));
        var presignerBuilder = S3Presigner.builder()
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
            presignerBuilder.endpointOverride(settings.endpoint());
        }
        this.s3 = builder.build();
        this.presigner = presignerBuilder.build();
    }

    /** The settings this driver was made with. */
    public S3Settings settings() {
        return settings;
    }

    /** Checks that the bucket exists and the credentials may use it; throws an IOException saying why not. */
    public void verify() throws IOException {
        try {
            s3.headBucket(b -> b.bucket(bucket));
        } catch (SdkException e) {
            throw new IOException("S3 bucket " + bucket + " is not usable"
                    + (settings.endpoint() == null ? "" : " at " + settings.endpoint()) + ": " + describe(e), e);
        }
    }

    @Override
    public String name() {
        return "s3";
    }

    @Override
    public byte[] getContent(String path) throws IOException {
        String key = readableKey(path);
        for (int attempt = 0; ; attempt++) {
            try {
                return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
            } catch (SdkException e) {
                throwUnlessNotFound("read", path, e);
            }
            if (attempt > 0) {
                throw new NoSuchFileException(path);
            }
            // a pending object is completed first; and one completed by someone else since the miss is there now
            materialize(key);
        }
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
        String key = objectKey(path);
        call("write", path, () -> s3.putObject(putRequest(key, true), RequestBody.fromBytes(content)));
    }

    @Override
    public InputStream reader(String path, long offset) throws IOException {
        requireNonNegative(offset);
        String key = readableKey(path);
        for (int attempt = 0; ; attempt++) {
            try {
                ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> {
                    b.bucket(bucket).key(key);
                    if (offset > 0) {
                        b.range("bytes=" + offset + "-");
                    }
                });
                return new AbortingInputStream(in);
            } catch (S3Exception e) {
                if (e.statusCode() == 416) {
                    return InputStream.nullInputStream(); // the object is there, and offset is at or past its end
                }
                throwUnlessNotFound("read", path, e);
            } catch (SdkException e) {
                throw failure("read", path, e);
            }
            if (attempt > 0) {
                throw new NoSuchFileException(path);
            }
            // a pending object is completed first; and one completed by someone else since the miss is there now
            materialize(key);
        }
    }

    @Override
    public StorageWriter writer(String path, long offset) throws IOException {
        String key = objectKey(path);
        requireNonNegative(offset);
        return S3Writer.open(this, path, key, offset);
    }

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
        StoragePath.check(path);
        if (path.equals("/")) {
            verify(); // the root is there while the bucket is usable: readiness and health checks rely on it
            return Optional.of(new FileInfo(path, 0, Instant.EPOCH, true));
        }
        String key = key(path);
        HeadObjectResponse head = head(key, path);
        if (head != null) {
            return Optional.of(new FileInfo(path, head.contentLength(), head.lastModified(), false));
        }
        Stored<PendingState> pending = readState(key);
        if (pending != null) {
            return Optional.of(new FileInfo(path, pending.value().size(), pending.modified(), false));
        }
        ListObjectsV2Response below = call("stat", path,
                () -> s3.listObjectsV2(b -> b.bucket(bucket).prefix(key + "/").maxKeys(1)));
        if (below.contents().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new FileInfo(path, 0, below.contents().getFirst().lastModified(), true));
    }

    @Override
    public List<String> list(String path) throws IOException {
        StoragePath.check(path);
        String directory = path.equals("/") ? prefix : key(path) + "/";
        String base = path.equals("/") ? "/" : path + "/";
        // keys sort "a/b-c" < "a/b/" < "a/b~writer", so children do not come in storage-path order: collect sorted
        SortedSet<String> children = new TreeSet<>();
        try {
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(directory)
                    .delimiter("/"))) {
                for (var common : page.commonPrefixes()) {
                    String name = common.prefix().substring(directory.length(), common.prefix().length() - 1);
                    addChild(children, name);
                }
                for (S3Object object : page.contents()) {
                    String name = object.key().substring(directory.length());
                    if (name.endsWith(STATE_SUFFIX)) {
                        name = name.substring(0, name.length() - STATE_SUFFIX.length()); // a pending object
                    }
                    addChild(children, name);
                }
            }
        } catch (SdkException e) {
            throw failure("list", path, e);
        }
        return children.stream().map(name -> base + name).toList();
    }

    @Override
    public void move(String source, String destination) throws IOException {
        String from = objectKey(source);
        String to = objectKey(destination);
        HeadObjectResponse head = head(from, source);
        if (head == null) {
            materialize(from); // as in getContent: pending, or completed by someone else since the miss
            head = head(from, source);
        }
        if (head == null) {
            throw new NoSuchFileException(source);
        }
        if (from.equals(to)) {
            return;
        }
        copy(from, to, head.contentLength(), source);
        call("move", source, () -> s3.deleteObject(b -> b.bucket(bucket).key(from)));
    }

    @Override
    public void delete(String path) throws IOException {
        String key = objectKey(path);
        List<String> doomed = new ArrayList<>();
        List<String> states = new ArrayList<>();
        boolean object = false;
        boolean tree = false;
        try {
            // one level first: the object, its state and tails, and whether a tree lies below (a sibling's tree,
            // "key-x/...", comes back as one common prefix, never key by key)
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(key)
                    .delimiter("/"))) {
                for (S3Object o : page.contents()) {
                    if (o.key().equals(key)) {
                        object = true;
                        doomed.add(o.key());
                    } else if (o.key().startsWith(key + "~")) {
                        doomed.add(o.key());
                    }
                }
                tree |= page.commonPrefixes().stream().anyMatch(p -> p.prefix().equals(key + "/"));
            }
            if (tree) {
                for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(key + "/"))) {
                    page.contents().forEach(o -> doomed.add(o.key()));
                }
            }
        } catch (SdkException e) {
            throw failure("delete", path, e);
        }
        for (String k : doomed) {
            if (k.endsWith(STATE_SUFFIX)) {
                states.add(k);
            }
        }
        for (String state : states) {
            Stored<PendingState> pending = readStateObject(state);
            if (pending != null) {
                abortQuietly(state.substring(0, state.length() - STATE_SUFFIX.length()), pending.value().uploadId());
            }
        }
        if (!object) {
            // a directory (or nothing): also abort uploads that were opened but never got their state written
            abortUploadsBelow(key + "/", path);
        }
        deleteKeys(doomed, path);
    }

    @Override
    public Optional<URI> redirectUrl(String path, Duration expiry) throws IOException {
        String key = objectKey(path);
        try {
            return Optional.of(presigner.presignGetObject(p -> p.signatureDuration(expiry)
                    .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toURI());
        } catch (SdkException | java.net.URISyntaxException e) {
            throw new IOException("cannot pre-sign a URL for " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
        if (credentials instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // nothing held that outlives the process
            }
        }
    }

    // ---- what writers use ----------------------------------------------------------------------------------

    S3Client client() {
        return s3;
    }

    String bucket() {
        return bucket;
    }

    /** The key of a storage path (checked; the root is refused as an object). */
    String objectKey(String path) {
        StoragePath.check(path);
        if (path.equals("/")) {
            throw new IllegalArgumentException("the storage root is a directory, not an object");
        }
        return key(path);
    }

    /** A value and when its object was last modified. */
    record Stored<T>(T value, Instant modified) {
    }

    /** The pending state of the object at {@code key}, or null when it has none. */
    Stored<PendingState> readState(String key) throws IOException {
        return readStateObject(key + STATE_SUFFIX);
    }

    private Stored<PendingState> readStateObject(String stateKey) throws IOException {
        ResponseBytes<GetObjectResponse> bytes;
        try {
            bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(stateKey));
        } catch (SdkException e) {
            throwUnlessNotFound("read the state of", stateKey, e);
            return null;
        }
        return new Stored<>(PendingState.decode(stateKey, bytes.asByteArray()), bytes.response().lastModified());
    }

    void writeState(String key, PendingState state) throws IOException {
        call("write the state of", key, () -> s3.putObject(putRequest(key + STATE_SUFFIX, false),
                RequestBody.fromBytes(state.encode())));
    }

    /** A fresh key for the tail of the pending object at {@code key}. */
    static String newTailKey(String key) {
        return key + TAIL_INFIX + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    }

    /**
     * Completes the multipart upload of the pending object at {@code key}, making it a plain object (its tail
     * becomes the last part by a server-side copy). Returns false when the key has no pending state.
     */
    boolean materialize(String key) throws IOException {
        Stored<PendingState> pending = readState(key);
        if (pending == null) {
            return false;
        }
        materialize(key, pending.value());
        return true;
    }

    void materialize(String key, PendingState given) throws IOException {
        // Readers on this node that meet the same pending object complete it once, one after the other; the
        // state is read again under the lock because the one before may have completed it already.
        synchronized (MATERIALIZE_LOCKS[Math.floorMod(key.hashCode(), MATERIALIZE_LOCKS.length)]) {
            Stored<PendingState> current = readState(key);
            if (current == null) {
                return;
            }
            materializeLocked(key, current.value());
        }
    }

    private static final Object[] MATERIALIZE_LOCKS = new Object[64];

    static {
        for (int i = 0; i < MATERIALIZE_LOCKS.length; i++) {
            MATERIALIZE_LOCKS[i] = new Object();
        }
    }

    private void materializeLocked(String key, PendingState state) throws IOException {
        List<PendingState.Part> parts = new ArrayList<>(state.parts());
        try {
            if (state.tailKey() != null) {
                int number = state.nextPartNumber();
                String etag = s3.uploadPartCopy(UploadPartCopyRequest.builder()
                        .sourceBucket(bucket).sourceKey(state.tailKey())
                        .destinationBucket(bucket).destinationKey(key)
                        .uploadId(state.uploadId()).partNumber(number).build()).copyPartResult().eTag();
                parts.add(new PendingState.Part(number, state.tailSize(), etag));
            }
            complete(key, state.uploadId(), parts);
        } catch (SdkException e) {
            if (head(key, key) == null) {
                throw failure("complete the upload of", key, e);
            }
            // NoSuchUpload or InvalidPart, and the object is there: another node completed it first (completion
            // is atomic, so an object at the key is the whole object)
        }
        deleteKeys(state.tailKey() == null ? List.of(key + STATE_SUFFIX)
                : List.of(key + STATE_SUFFIX, state.tailKey()), key);
    }

    /** Drops a pending state: aborts its upload and deletes its state and tail objects. */
    void discard(String key, PendingState state) throws IOException {
        abortQuietly(key, state.uploadId());
        deleteKeys(state.tailKey() == null ? List.of(key + STATE_SUFFIX)
                : List.of(key + STATE_SUFFIX, state.tailKey()), key);
    }

    void complete(String key, String uploadId, List<PendingState.Part> parts) {
        List<CompletedPart> completed = parts.stream()
                .map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).build()).toList();
        s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(completed)));
    }

    String createUpload(String key) throws IOException {
        CreateMultipartUploadRequest.Builder b = CreateMultipartUploadRequest.builder().bucket(bucket).key(key);
        if (settings.storageClass() != null) {
            b.storageClass(StorageClass.fromValue(settings.storageClass()));
        }
        encryption(b::serverSideEncryption, b::ssekmsKeyId);
        return call("start an upload of", key, () -> s3.createMultipartUpload(b.build()).uploadId());
    }

    void abortQuietly(String key, String uploadId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            // already gone, or the lifecycle rule will get it
        }
    }

    /** A PutObject request for {@code key}; temporary objects (state, tail) get no storage class. */
    PutObjectRequest putRequest(String key, boolean withStorageClass) {
        PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key);
        if (withStorageClass && settings.storageClass() != null) {
            b.storageClass(StorageClass.fromValue(settings.storageClass()));
        }
        encryption(b::serverSideEncryption, b::ssekmsKeyId);
        return b.build();
    }

    private void encryption(java.util.function.Function<ServerSideEncryption, ?> sse,
                            java.util.function.Function<String, ?> kmsKey) {
        if (settings.encryption() != S3Settings.Encryption.NONE) {
            sse.apply(ServerSideEncryption.fromValue(settings.encryption().header()));
            if (settings.kmsKeyId() != null) {
                kmsKey.apply(settings.kmsKeyId());
            }
        }
    }

    /** The object at {@code key}, or null when there is none. */
    HeadObjectResponse head(String key, String path) throws IOException {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throwUnlessNotFound("stat", path, e);
            return null;
        }
    }

    /** Deletes keys in batches; keys already gone are not an error. */
    void deleteKeys(List<String> keys, String path) throws IOException {
        for (int from = 0; from < keys.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = keys.subList(from, Math.min(keys.size(), from + DELETE_BATCH)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
            DeleteObjectsResponse response = call("delete", path,
                    () -> s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true))));
            for (S3Error error : response.errors()) {
                if (!"NoSuchKey".equals(error.code())) {
                    throw new IOException("cannot delete " + error.key() + " (below " + path + "): " + error.code()
                            + " " + error.message());
                }
            }
        }
    }

    private void abortUploadsBelow(String keyPrefix, String path) throws IOException {
        try {
            for (var page : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(keyPrefix))) {
                for (MultipartUpload upload : page.uploads()) {
                    abortQuietly(upload.key(), upload.uploadId());
                }
            }
        } catch (SdkException e) {
            throw failure("delete", path, e);
        }
    }

    /**
     * Copies an object within the bucket, never through Berth: one CopyObject up to the multipart copy threshold,
     * else a multipart upload of the destination whose parts are UploadPartCopy ranges, several at once.
     */
    private void copy(String from, String to, long size, String path) throws IOException {
        if (size <= settings.multipartCopyThreshold()) {
            CopyObjectRequest.Builder b = CopyObjectRequest.builder().sourceBucket(bucket).sourceKey(from)
                    .destinationBucket(bucket).destinationKey(to);
            if (settings.storageClass() != null) {
                b.storageClass(StorageClass.fromValue(settings.storageClass()));
            }
            encryption(b::serverSideEncryption, b::ssekmsKeyId);
            call("move", path, () -> s3.copyObject(b.build()));
            return;
        }
        // parts of the chunk size (more when 10,000 would not do), the last one whatever is left
        long partSize = Math.max(settings.multipartCopyChunkSize(), ceilDiv(size, MAX_PARTS));
        List<long[]> ranges = new ArrayList<>();
        for (long first = 0; first < size; first += partSize) {
            ranges.add(new long[] {first, Math.min(size, first + partSize)});
        }
        String uploadId = createUpload(to);
        try {
            List<PendingState.Part> parts = copyRanges(from, to, uploadId, 1, ranges, path);
            call("move", path, () -> {
                complete(to, uploadId, parts);
                return null;
            });
        } catch (IOException | RuntimeException e) {
            abortQuietly(to, uploadId);
            throw e;
        }
    }

    /**
     * Copies byte ranges ({@code [first, end)} pairs) of {@code from} into parts of the upload of {@code to},
     * numbered from {@code firstNumber}, at most {@link S3Settings#multipartCopyMaxConcurrency} at once.
     */
    List<PendingState.Part> copyRanges(String from, String to, String uploadId, int firstNumber,
                                       List<long[]> ranges, String path) throws IOException {
        Semaphore slots = new Semaphore(settings.multipartCopyMaxConcurrency());
        List<Future<PendingState.Part>> futures = new ArrayList<>(ranges.size());
        try {
            for (int i = 0; i < ranges.size(); i++) {
                long first = ranges.get(i)[0];
                long end = ranges.get(i)[1]; // exclusive
                int number = firstNumber + i;
                slots.acquire();
                FutureTask<PendingState.Part> task = new FutureTask<>(() -> {
                    try {
                        String etag = s3.uploadPartCopy(UploadPartCopyRequest.builder()
                                .sourceBucket(bucket).sourceKey(from)
                                .destinationBucket(bucket).destinationKey(to)
                                .uploadId(uploadId).partNumber(number)
                                .copySourceRange("bytes=" + first + "-" + (end - 1)).build())
                                .copyPartResult().eTag();
                        return new PendingState.Part(number, end - first, etag);
                    } finally {
                        slots.release();
                    }
                });
                Thread.ofVirtual().name("berth-s3-copy").start(task);
                futures.add(task);
            }
            List<PendingState.Part> parts = new ArrayList<>(ranges.size());
            for (Future<PendingState.Part> f : futures) {
                parts.add(f.get());
            }
            return parts;
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while copying " + path);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof SdkException sdk) {
                throw failure("copy", path, sdk);
            }
            throw new IOException("cannot copy " + path + ": " + e.getCause(), e.getCause());
        }
    }

    // ---- plumbing ------------------------------------------------------------------------------------------

    private String key(String path) {
        return prefix + path.substring(1);
    }

    /** The key to read at {@code path}; the root, a directory, is never an object. */
    private String readableKey(String path) throws NoSuchFileException {
        StoragePath.check(path);
        if (path.equals("/")) {
            throw new NoSuchFileException(path);
        }
        return key(path);
    }

    private static void addChild(SortedSet<String> children, String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0 || name.indexOf('~') >= 0) {
            return; // a "directory marker" some tools write, or one of our own state and tail objects
        }
        try {
            StoragePath.check("/" + name);
            children.add(name);
        } catch (IllegalArgumentException e) {
            // a key written by something else that no storage path can name
        }
    }

    @FunctionalInterface
    interface Call<T> {
        T run();
    }

    <T> T call(String operation, String path, Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (SdkException e) {
            if (isNotFound(e) && !isMissingBucket(e)) {
                NoSuchFileException missing = new NoSuchFileException(path, null, describe(e));
                missing.initCause(e);
                throw missing;
            }
            throw failure(operation, path, e);
        }
    }

    private void throwUnlessNotFound(String operation, String path, SdkException e) throws IOException {
        if (!isNotFound(e) || isMissingBucket(e)) {
            throw failure(operation, path, e);
        }
    }

    static boolean isNotFound(SdkException e) {
        return e instanceof S3Exception s && s.statusCode() == 404;
    }

    private static boolean isMissingBucket(SdkException e) {
        return e instanceof S3Exception s && s.awsErrorDetails() != null
                && "NoSuchBucket".equals(s.awsErrorDetails().errorCode());
    }

    IOException failure(String operation, String path, SdkException e) {
        return new IOException("S3 could not " + operation + " " + path + " in bucket " + bucket + ": "
                + describe(e), e);
    }

    private static String describe(SdkException e) {
        if (e instanceof S3Exception s && s.awsErrorDetails() != null) {
            return s.statusCode() + " " + s.awsErrorDetails().errorCode() + " " + s.awsErrorDetails().errorMessage();
        }
        return e.getMessage();
    }

    static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private static void requireNonNegative(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must not be negative: " + offset);
        }
    }

    /**
     * A response body that, when closed before its end, aborts the request instead of reading the rest (which for a
     * blob a client stopped fetching could be gigabytes).
     */
    private static final class AbortingInputStream extends FilterInputStream {

        private final ResponseInputStream<GetObjectResponse> response;
        private final Long length;
        private long read;
        private boolean ended;

        AbortingInputStream(ResponseInputStream<GetObjectResponse> response) {
            super(response);
            this.response = response;
            this.length = response.response().contentLength();
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            count(n);
            return n;
        }

        private void count(int n) {
            if (n < 0) {
                ended = true;
            } else {
                read += n;
                ended |= length != null && read >= length;
            }
        }

        @Override
        public void close() throws IOException {
            if (!ended) {
                response.abort();
            }
            super.close();
        }
    }
}
