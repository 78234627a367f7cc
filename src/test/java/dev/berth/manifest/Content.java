package dev.berth.manifest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Blobs and manifests for tests. Manifests are written by hand as text with odd whitespace, tabs and key order, so
 * a server that re-serialized them instead of storing the bytes would be caught.
 */
final class Content {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    static final String DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    static final String SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    static final String SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    static final String HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json";
    static final String HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    static final String SBOM = "application/vnd.example.sbom.v1";
    static final String SIGNATURE = "application/vnd.example.signature.v1";

    private Content() {
    }

    static String sha256(byte[] content) {
        return "sha256:" + hex("SHA-256", content);
    }

    static String sha512(byte[] content) {
        return "sha512:" + hex("SHA-512", content);
    }

    private static String hex(String algorithm, byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Something a descriptor can point at. */
    sealed interface Described permits Blob, Doc {
        String mediaType();

        byte[] bytes();

        default String digest() {
            return sha256(bytes());
        }

        default long size() {
            return bytes().length;
        }

        /** A descriptor, keys in an unusual order, with odd spacing. */
        default String descriptor() {
            return descriptor("");
        }

        /** A descriptor with extra raw members (e.g. {@code , "platform": {...}}). */
        default String descriptor(String extra) {
            return "{ \"size\" :" + size() + ",\"digest\":\"" + digest() + "\" ,  \"mediaType\":\"" + mediaType()
                    + "\"" + extra + "}";
        }
    }

    /** A blob with the media type a descriptor gives it. */
    record Blob(String mediaType, byte[] content) implements Described {
        @Override
        public byte[] bytes() {
            return content;
        }
    }

    static Blob blob(String mediaType, String text) {
        return new Blob(mediaType, utf8(text));
    }

    /** The OCI empty descriptor's blob, {@code {}}. */
    static Blob emptyConfig() {
        return new Blob(OCI_EMPTY, utf8("{}"));
    }

    /** A manifest document: its bytes and the Content-Type it is pushed with (its media type, or as given). */
    record Doc(String mediaType, String contentType, byte[] bytes) implements Described {
        Doc withContentType(String newContentType) {
            return new Doc(mediaType, newContentType, bytes);
        }

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static Doc doc(String mediaType, String json) {
        return new Doc(mediaType, mediaType, utf8(json));
    }

    /** Builds a manifest or index as text, members in the order added, each on its own oddly indented line. */
    static final class Json {
        private final String mediaType;
        private final List<String> members = new ArrayList<>();

        private Json(String mediaType) {
            this.mediaType = mediaType;
        }

        /** An image manifest or index of {@code mediaType}, starting with schemaVersion and mediaType members. */
        static Json of(String mediaType) {
            return new Json(mediaType).raw("schemaVersion", " 2").raw("mediaType", "\"" + mediaType + "\"");
        }

        /** Same, but without a mediaType member (the umoci style): the type comes from Content-Type. */
        static Json withoutMediaType(String mediaType) {
            return new Json(mediaType).raw("schemaVersion", "2");
        }

        Json raw(String name, String rawValue) {
            members.add("\"" + name + "\" :" + rawValue);
            return this;
        }

        Json string(String name, String value) {
            return raw(name, "\"" + value + "\"");
        }

        Json config(Described config) {
            return raw("config", config.descriptor());
        }

        Json layers(Described... layers) {
            return raw("layers", list(layers));
        }

        Json manifests(Described... manifests) {
            return raw("manifests", list(manifests));
        }

        Json subject(Described subject) {
            return raw("subject", subject.descriptor());
        }

        Json artifactType(String type) {
            return string("artifactType", type);
        }

        /** Annotations from alternating keys and values. */
        Json annotations(String... keysAndValues) {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < keysAndValues.length; i += 2) {
                b.append(i == 0 ? "" : ",\n      ").append('"').append(keysAndValues[i]).append("\": \"")
                        .append(keysAndValues[i + 1]).append('"');
            }
            return raw("annotations", b.append('}').toString());
        }

        private static String list(Described... items) {
            List<String> out = new ArrayList<>();
            for (Described d : items) {
                out.add(d.descriptor());
            }
            return "[\n\t\t" + String.join(",\n\t\t", out) + "\n   ]";
        }

        String text() {
            return "{\n   " + String.join(" ,\n\t", members) + "\n}  \n";
        }

        Doc doc() {
            return new Doc(mediaType, mediaType, utf8(text()));
        }
    }

    // ---- ready-made content -----------------------------------------------------------------------------------

    static Blob config(String seed) {
        return blob(OCI_CONFIG, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"" + seed + "\"}");
    }

    static Blob layer(String seed) {
        return blob(OCI_LAYER, "layer bytes " + seed);
    }

    /** An OCI image manifest over the given config and layers. */
    static Doc ociImage(Blob config, Blob... layers) {
        return Json.of(OCI_MANIFEST).config(config).layers(layers).doc();
    }
}
