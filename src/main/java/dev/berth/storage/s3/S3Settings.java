package dev.berth.storage.s3;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * How {@link S3Driver} reaches its bucket and writes objects. Validated on construction, with messages that name the
 * setting; build one with {@link #builder(String, String)}. The names follow CNCF distribution's {@code storage.s3}
 * keys, so a distribution {@code config.yml} maps onto them one to one (see docs/scale-out.md).
 *
 * @param bucket                      the bucket (created beforehand; the driver never creates it)
 * @param region                      the AWS region, also used to sign requests to an S3-compatible store
 * @param endpoint                    an S3-compatible endpoint ({@code http://minio:9000}), or null for AWS itself
 * @param pathStyle                   address the bucket as {@code endpoint/bucket/key} instead of
 *                                    {@code bucket.endpoint/key} (most S3-compatible stores want this)
 * @param accessKey                   a static access key id, or null for the SDK's default chain (environment,
 *                                    system properties, web identity, profile, container and instance roles)
 * @param secretKey                   the secret of {@code accessKey}; both or neither
 * @param rootDirectory               a key prefix under which everything is stored ("" for the bucket's root),
 *                                    without leading or trailing {@code /}
 * @param storageClass                the storage class of new objects ({@code STANDARD}, {@code
 *                                    REDUCED_REDUNDANCY}, ...), or null to send none (for stores that refuse the
 *                                    header; distribution's {@code NONE})
 * @param encryption                  server-side encryption of new objects
 * @param kmsKeyId                    the KMS key for {@link Encryption#KMS}, or null for the bucket's default key
 * @param chunkSize                   the size of the parts of a multipart upload (5 MiB to 5 GiB): client bytes are
 *                                    spooled to a local file until a part is full
 * @param multipartCopyThreshold      objects larger than this are moved with a multipart copy of parallel
 *                                    {@code UploadPartCopy} requests instead of one {@code CopyObject} (at most
 *                                    5 GiB, the largest object {@code CopyObject} accepts)
 * @param multipartCopyChunkSize      the size of each part of a multipart copy (5 MiB to 5 GiB)
 * @param multipartCopyMaxConcurrency how many parts of one multipart copy run at once
 * @param spoolDirectory              where writers keep the part being filled (at most two parts per writer)
 */
public record S3Settings(String bucket, String region, URI endpoint, boolean pathStyle, String accessKey,
                         String secretKey, String rootDirectory, String storageClass, Encryption encryption,
                         String kmsKeyId, long chunkSize, long multipartCopyThreshold, long multipartCopyChunkSize,
                         int multipartCopyMaxConcurrency, Path spoolDirectory) {

    public static final long MIB = 1024L * 1024;
    /** S3's smallest part (except the last one of an upload). */
    public static final long MIN_PART_SIZE = 5 * MIB;
    /** S3's largest part, and the largest object one {@code CopyObject} may copy. */
    public static final long MAX_PART_SIZE = 5L * 1024 * MIB;
    public static final long DEFAULT_CHUNK_SIZE = 10 * MIB;
    public static final long DEFAULT_MULTIPART_COPY_THRESHOLD = 32 * MIB;
    public static final long DEFAULT_MULTIPART_COPY_CHUNK_SIZE = 32 * MIB;
    public static final int DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY = 16;

    /** Server-side encryption of the objects Berth writes. */
    public enum Encryption {
        /** None requested (the bucket's default encryption still applies). */
        NONE(null),
        /** SSE-S3: {@code x-amz-server-side-encryption: AES256}. */
        AES256("AES256"),
        /** SSE-KMS: {@code x-amz-server-side-encryption: aws:kms}, with {@link S3Settings#kmsKeyId} if given. */
        KMS("aws:kms");

        private final String header;

        Encryption(String header) {
            this.header = header;
        }

        /** The value of the {@code x-amz-server-side-encryption} header, or null for none. */
        public String header() {
            return header;
        }

        /** {@code none}, {@code AES256} or {@code aws:kms} (case-insensitive). */
        public static Encryption parse(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "none", "" -> NONE;
                case "aes256" -> AES256;
                case "aws:kms", "kms" -> KMS;
                default -> throw new IllegalArgumentException(
                        "server-side encryption must be none, AES256 or aws:kms, got " + value);
            };
        }
    }

    public S3Settings {
        require(bucket != null && !bucket.isBlank(), "bucket must be set");
        require(bucket.matches("[A-Za-z0-9._-]{1,255}"), "bucket must be a bucket name, got " + bucket);
        require(region != null && !region.isBlank(), "region must be set (us-east-1 for most S3-compatible stores)");
        if (endpoint != null) {
            String scheme = endpoint.getScheme();
            require(endpoint.isAbsolute() && ("http".equals(scheme) || "https".equals(scheme))
                            && endpoint.getHost() != null,
                    "endpoint must be an http:// or https:// URL, got " + endpoint);
        }
        require((accessKey == null) == (secretKey == null),
                "access key and secret key must be given together (or neither, for the default credentials chain)");
        require(accessKey == null || !accessKey.isBlank(), "access key must not be blank");
        rootDirectory = normalizeRoot(rootDirectory);
        if (storageClass != null) {
            require(storageClass.matches("[A-Z_]+"), "storage class must be like STANDARD, got " + storageClass);
            if (storageClass.equals("NONE")) {
                storageClass = null;
            }
        }
        Objects.requireNonNull(encryption, "encryption");
        require(kmsKeyId == null || encryption == Encryption.KMS, "a KMS key id needs aws:kms encryption");
        require(chunkSize >= MIN_PART_SIZE && chunkSize <= MAX_PART_SIZE,
                "chunk size must be between 5 MiB (5242880) and 5 GiB, got " + chunkSize);
        require(multipartCopyThreshold >= 0 && multipartCopyThreshold <= MAX_PART_SIZE,
                "multipart copy threshold must be between 0 and 5 GiB, got " + multipartCopyThreshold);
        require(multipartCopyChunkSize >= MIN_PART_SIZE && multipartCopyChunkSize <= MAX_PART_SIZE,
                "multipart copy chunk size must be between 5 MiB (5242880) and 5 GiB, got " + multipartCopyChunkSize);
        require(multipartCopyMaxConcurrency >= 1 && multipartCopyMaxConcurrency <= 1000,
                "multipart copy concurrency must be between 1 and 1000, got " + multipartCopyMaxConcurrency);
        Objects.requireNonNull(spoolDirectory, "spoolDirectory");
    }

    /** Settings with every default: region, no endpoint, virtual-host style, default credentials, ... */
    public static Builder builder(String bucket, String region) {
        return new Builder(bucket, region);
    }

    /** The key prefix for the root: "" or {@code rootDirectory + "/"}. */
    String keyPrefix() {
        return rootDirectory.isEmpty() ? "" : rootDirectory + "/";
    }

    /** As {@link #toString()}, but never shows the secret key. */
    @Override
    public String toString() {
        return "S3Settings[bucket=" + bucket + ", region=" + region + ", endpoint=" + endpoint + ", pathStyle="
                + pathStyle + ", accessKey=" + accessKey + ", secretKey=" + (secretKey == null ? null : "*****")
                + ", rootDirectory=" + rootDirectory + ", storageClass=" + storageClass + ", encryption="
                + encryption + ", kmsKeyId=" + kmsKeyId + ", chunkSize=" + chunkSize + ", multipartCopyThreshold="
                + multipartCopyThreshold + ", multipartCopyChunkSize=" + multipartCopyChunkSize
                + ", multipartCopyMaxConcurrency=" + multipartCopyMaxConcurrency + ", spoolDirectory="
                + spoolDirectory + "]";
    }

    private static String normalizeRoot(String root) {
        if (root == null) {
            return "";
        }
        String r = root.strip();
        while (r.startsWith("/")) {
            r = r.substring(1);
        }
        while (r.endsWith("/")) {
            r = r.substring(0, r.length() - 1);
        }
        if (!r.isEmpty()) {
            for (String segment : r.split("/", -1)) {
                require(!segment.isEmpty() && !segment.equals(".") && !segment.equals("..")
                                && segment.matches("[A-Za-z0-9._:=-]+"),
                        "root directory must be made of [A-Za-z0-9._:=-] segments separated by /, got " + root);
            }
        }
        return r;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds {@link S3Settings}; every setting but bucket and region has a default. */
    public static final class Builder {

        private final String bucket;
        private final String region;
        private URI endpoint;
        private boolean pathStyle;
        private String accessKey;
        private String secretKey;
        private String rootDirectory = "";
        private String storageClass = "STANDARD";
        private Encryption encryption = Encryption.NONE;
        private String kmsKeyId;
        private long chunkSize = DEFAULT_CHUNK_SIZE;
        private long multipartCopyThreshold = DEFAULT_MULTIPART_COPY_THRESHOLD;
        private long multipartCopyChunkSize = DEFAULT_MULTIPART_COPY_CHUNK_SIZE;
        private int multipartCopyMaxConcurrency = DEFAULT_MULTIPART_COPY_MAX_CONCURRENCY;
        private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"), "berth-s3-spool");

        private Builder(String bucket, String region) {
            this.bucket = bucket;
            this.region = region;
        }

        public Builder endpoint(URI endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Builder pathStyle(boolean pathStyle) {
            this.pathStyle = pathStyle;
            return this;
        }

        public Builder credentials(String accessKey, String secretKey) {
            this.accessKey = accessKey;
            this.secretKey = secretKey;
            return this;
        }

        public Builder rootDirectory(String rootDirectory) {
            this.rootDirectory = rootDirectory;
            return this;
        }

        public Builder storageClass(String storageClass) {
            this.storageClass = storageClass;
            return this;
        }

        public Builder encryption(Encryption encryption, String kmsKeyId) {
            this.encryption = encryption;
            this.kmsKeyId = kmsKeyId;
            return this;
        }

        public Builder chunkSize(long chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        public Builder multipartCopy(long threshold, long chunkSize, int maxConcurrency) {
            this.multipartCopyThreshold = threshold;
            this.multipartCopyChunkSize = chunkSize;
            this.multipartCopyMaxConcurrency = maxConcurrency;
            return this;
        }

        public Builder spoolDirectory(Path spoolDirectory) {
            this.spoolDirectory = spoolDirectory;
            return this;
        }

        public S3Settings build() {
            return new S3Settings(bucket, region, endpoint, pathStyle, accessKey, secretKey, rootDirectory,
                    storageClass, encryption, kmsKeyId, chunkSize, multipartCopyThreshold, multipartCopyChunkSize,
                    multipartCopyMaxConcurrency, spoolDirectory);
        }
    }
}
