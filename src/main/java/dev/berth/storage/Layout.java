package dev.berth.storage;

import dev.berth.oci.Digest;
import dev.berth.oci.RepositoryName;

/**
 * Where things live in storage: exactly CNCF distribution's layout (registry/storage/paths.go), so an existing
 * distribution tree or bucket holds blobs where Berth looks for them.
 *
 * <pre>
 * /docker/registry/v2/blobs/&lt;alg&gt;/&lt;first two hex&gt;/&lt;hex&gt;/data
 * /docker/registry/v2/repositories/&lt;name&gt;/_uploads/&lt;uuid&gt;/data
 * </pre>
 *
 * <p>Distribution also keeps {@code _uploads/<uuid>/hashstates/<alg>/<offset>} files; Berth keeps an upload's
 * digest state in its metadata row instead.
 */
public final class Layout {

    public static final String ROOT = "/docker/registry/v2";

    private Layout() {
    }

    public static String blobDirectory(Digest digest) {
        return ROOT + "/blobs/" + digest.algorithm().id() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex();
    }

    public static String blobData(Digest digest) {
        return blobDirectory(digest) + "/data";
    }

    public static String repository(RepositoryName name) {
        return ROOT + "/repositories/" + name.value();
    }

    public static String uploads(RepositoryName name) {
        return repository(name) + "/_uploads";
    }

    public static String upload(RepositoryName name, String uploadId) {
        return uploads(name) + "/" + checkUploadId(uploadId);
    }

    public static String uploadData(RepositoryName name, String uploadId) {
        return upload(name, uploadId) + "/data";
    }

    /** Upload ids are lower-case UUIDs; anything else never reaches a path. */
    public static String checkUploadId(String uploadId) {
        if (!isUploadId(uploadId)) {
            throw new IllegalArgumentException("invalid upload id");
        }
        return uploadId;
    }

    public static boolean isUploadId(String s) {
        if (s == null || s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }
}
