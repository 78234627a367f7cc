package dev.berth.oci;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed and validated image manifest or index (OCI or Docker schema 2). Only what the registry needs is kept:
 * the descriptors it refers to, its subject, its artifact type and annotations. The bytes themselves are stored
 * and served untouched.
 *
 * @param mediaType    the manifest's media type (from its {@code mediaType} field, else the request's Content-Type)
 * @param config       the config descriptor of an image manifest; null for an index
 * @param layers       the layers of an image manifest (empty for an index)
 * @param manifests    the manifests an index lists (empty for an image manifest)
 * @param subject      the manifest this one refers to (OCI 1.1 referrers), or null
 * @param artifactType the {@code artifactType} field, or null
 * @param annotations  the manifest's annotations
 */
public record Manifest(String mediaType, Descriptor config, List<Descriptor> layers, List<Descriptor> manifests,
                       Descriptor subject, String artifactType, Map<String, String> annotations) {

    // one JSON document: duplicate keys and anything but whitespace after the object are refused
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public boolean isIndex() {
        return config == null;
    }

    public Optional<Descriptor> subjectDescriptor() {
        return Optional.ofNullable(subject);
    }

    /**
     * The artifact type the referrers API reports: {@code artifactType}, else for an image manifest the config's
     * media type (OCI distribution spec 1.1), else null. An empty {@code artifactType} counts as missing.
     */
    public String effectiveArtifactType() {
        if (artifactType != null && !artifactType.isEmpty()) {
            return artifactType;
        }
        return config != null ? config.mediaType() : null;
    }

    /**
     * Parses and validates a manifest. {@code contentType} is the request's Content-Type (may be null); it decides
     * the type when the body has no {@code mediaType} (umoci writes such manifests), and must agree with the body
     * when both are given.
     *
     * @throws InvalidManifestException with a message that says what is wrong
     */
    public static Manifest parse(byte[] bytes, String contentType) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new InvalidManifestException("not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidManifestException("not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode obj)) {
            throw new InvalidManifestException("a manifest must be a JSON object");
        }
        String declared = optionalText(obj, "mediaType");
        String header = MediaTypes.essence(contentType);
        String mediaType;
        if (declared != null) {
            if (!MediaTypes.isManifest(declared)) {
                throw unsupported(declared);
            }
            if (header != null && MediaTypes.isManifest(header) && !header.equals(declared)) {
                throw new InvalidManifestException("mediaType " + declared + " does not match Content-Type "
                        + header);
            }
            mediaType = declared;
        } else if (header != null && MediaTypes.isManifest(header)) {
            mediaType = header;
        } else if (header != null && (header.equals(MediaTypes.DOCKER_SCHEMA1)
                || header.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED))) {
            throw unsupported(header);
        } else if (obj.has("manifests")) {
            mediaType = MediaTypes.OCI_INDEX;
        } else if (obj.has("config")) {
            mediaType = MediaTypes.OCI_MANIFEST;
        } else {
            throw new InvalidManifestException("cannot tell the manifest type: no mediaType field and Content-Type "
                    + (header == null ? "missing" : header));
        }
        JsonNode version = obj.get("schemaVersion");
        // canConvertToInt: 4294967298 is integral, and intValue() would wrap it to 2
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt()
                || version.intValue() != 2) {
            throw new InvalidManifestException("schemaVersion must be 2");
        }
        String artifactType = optionalText(obj, "artifactType");
        Map<String, String> annotations = annotations(obj.get("annotations"), "annotations");
        Descriptor subject = obj.hasNonNull("subject") ? descriptor(obj.get("subject"), "subject") : null;
        if (MediaTypes.isIndex(mediaType)) {
            if (obj.has("config") || obj.has("layers")) {
                throw new InvalidManifestException("an index has no config or layers");
            }
            List<Descriptor> manifests = descriptors(obj.get("manifests"), "manifests", true);
            return new Manifest(mediaType, null, List.of(), manifests, subject, artifactType, annotations);
        }
        if (obj.has("manifests")) {
            throw new InvalidManifestException("an image manifest has no manifests list");
        }
        if (!obj.has("config")) {
            throw new InvalidManifestException("config is required in an image manifest");
        }
        Descriptor config = descriptor(obj.get("config"), "config");
        List<Descriptor> layers = obj.has("layers") ? descriptors(obj.get("layers"), "layers", false) : List.of();
        if (!obj.has("layers") && mediaType.equals(MediaTypes.DOCKER_MANIFEST)) {
            throw new InvalidManifestException("layers is required in a Docker image manifest");
        }
        return new Manifest(mediaType, config, layers, List.of(), subject, artifactType, annotations);
    }

    private static InvalidManifestException unsupported(String mediaType) {
        return new InvalidManifestException("unsupported manifest media type " + mediaType + " (supported: "
                + String.join(", ", MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX, MediaTypes.DOCKER_MANIFEST,
                MediaTypes.DOCKER_MANIFEST_LIST) + ")");
    }

    private static List<Descriptor> descriptors(JsonNode node, String field, boolean required) {
        if (node == null || node.isNull()) {
            if (required) {
                throw new InvalidManifestException(field + " is required");
            }
            return List.of();
        }
        if (!node.isArray()) {
            throw new InvalidManifestException(field + " must be an array");
        }
        List<Descriptor> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(descriptor(node.get(i), field + "[" + i + "]"));
        }
        return Collections.unmodifiableList(out);
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (!(node instanceof ObjectNode obj)) {
            throw new InvalidManifestException(where + " must be a descriptor object");
        }
        String mediaType = optionalText(obj, "mediaType");
        if (mediaType == null || mediaType.isEmpty()) {
            throw new InvalidManifestException(where + ".mediaType is required");
        }
        String digestText = optionalText(obj, "digest");
        if (digestText == null) {
            throw new InvalidManifestException(where + ".digest is required");
        }
        Digest digest;
        try {
            digest = Digest.parse(digestText);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifestException(where + ".digest is invalid: " + e.getMessage());
        }
        JsonNode size = obj.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw new InvalidManifestException(where + ".size must be a non-negative integer");
        }
        String artifactType = optionalText(obj, "artifactType");
        return new Descriptor(mediaType, digest, size.asLong(), artifactType,
                annotations(obj.get("annotations"), where + ".annotations"));
    }

    private static Map<String, String> annotations(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new InvalidManifestException(where + " must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidManifestException(where + "." + e.getKey() + " must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String optionalText(ObjectNode obj, String field) {
        JsonNode n = obj.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new InvalidManifestException(field + " must be a string");
        }
        return n.asText();
    }

    /** A manifest that is not valid JSON of its declared type; the message says what is wrong. */
    public static final class InvalidManifestException extends IllegalArgumentException {
        public InvalidManifestException(String message) {
            super(message);
        }
    }
}
