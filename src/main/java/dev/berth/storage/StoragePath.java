package dev.berth.storage;

/** The rule every driver applies to every path it is given. */
public final class StoragePath {

    private StoragePath() {
    }

    /**
     * Returns {@code path} when it is absolute, has no empty, {@code .} or {@code ..} segment, and uses only
     * {@code [A-Za-z0-9._:=-]} in its segments; otherwise throws {@link IllegalArgumentException}.
     * The root itself is {@code /}.
     */
    public static String check(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            throw new IllegalArgumentException("storage path must be absolute: " + path);
        }
        if (path.equals("/")) {
            return path;
        }
        if (path.endsWith("/")) {
            throw new IllegalArgumentException("storage path must not end with /: " + path);
        }
        int segmentStart = 1;
        for (int i = 1; i <= path.length(); i++) {
            if (i == path.length() || path.charAt(i) == '/') {
                int len = i - segmentStart;
                if (len == 0 || (len == 1 && path.charAt(segmentStart) == '.')
                        || (len == 2 && path.charAt(segmentStart) == '.' && path.charAt(segmentStart + 1) == '.')) {
                    throw new IllegalArgumentException("storage path has an empty, . or .. segment: " + path);
                }
                segmentStart = i + 1;
                continue;
            }
            char c = path.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-' || c == ':' || c == '=';
            if (!ok) {
                throw new IllegalArgumentException("storage path has a forbidden character: " + path);
            }
        }
        return path;
    }
}
