package dev.berth.e2e;

/**
 * Media types as the clients send them, spelled out here rather than taken from the production code, so a typo
 * there cannot hide in both places.
 */
final class Media {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /** An {@code Accept} list that takes any image manifest or index, as podman and skopeo send it. */
    static final String[] ACCEPT_ALL = {OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_LIST};

    private Media() {
    }
}
