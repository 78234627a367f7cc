package dev.berth.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The users of an htpasswd file in the {@code htpasswd -B} format ({@code user:$2y$10$...}), as CNCF distribution
 * reads it: one {@code user:hash} a line, blank lines and lines starting with {@code #} skipped.
 *
 * <p>Only bcrypt is accepted ({@code $2a$}, {@code $2b$}, {@code $2y$}): a line with any other hash (plain text,
 * {@code {SHA}}, {@code $apr1$}, MD5- or SHA-crypt, DES crypt) is refused when the file is loaded, with a message
 * naming the file, the line and the user but never the hash. {@link #authenticate} always runs one bcrypt
 * comparison, for unknown users too (against a dummy hash of the file's usual cost), so its timing does not tell
 * which users exist.
 */
public final class Htpasswd {

    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(null, LongPasswordStrategies.none());

    private final Map<String, char[]> hashes;
    private final char[] dummy;

    private Htpasswd(Map<String, char[]> hashes, char[] dummy) {
        this.hashes = hashes;
        this.dummy = dummy;
    }

    /** Reads and checks an htpasswd file. */
    public static Htpasswd load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses htpasswd content; {@code source} names it in messages. A line that is not {@code user:bcrypt-hash}
     * is an {@link IllegalArgumentException} naming the line.
     */
    public static Htpasswd parse(String content, String source) {
        Map<String, char[]> hashes = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        Map<Integer, Integer> costs = new HashMap<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("htpasswd " + source + " line " + n
                        + ": not a user:hash entry (create entries with htpasswd -B)");
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            Matcher m = BCRYPT.matcher(hash);
            if (!m.matches()) {
                throw new IllegalArgumentException("htpasswd " + source + " line " + n + " (user \""
                        + LogSafe.text(user) + "\"): only bcrypt hashes ($2a$, $2b$, $2y$) are accepted, this one is "
                        + describe(hash) + "; set the password again with htpasswd -B");
            }
            int cost = Integer.parseInt(m.group(1));
            if (cost < BCrypt.MIN_COST || cost > BCrypt.MAX_COST) {
                throw new IllegalArgumentException("htpasswd " + source + " line " + n + " (user \""
                        + LogSafe.text(user) + "\"): bcrypt cost " + cost + " is outside " + BCrypt.MIN_COST + "-"
                        + BCrypt.MAX_COST);
            }
            Integer earlier = lineOf.putIfAbsent(user, n);
            if (earlier != null) {
                throw new IllegalArgumentException("htpasswd " + source + " line " + n + ": user \""
                        + LogSafe.text(user) + "\" is already defined on line " + earlier);
            }
            hashes.put(user, hash.toCharArray());
            costs.merge(cost, 1, Integer::sum);
        }
        int usualCost = costs.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey).orElse(10);
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        char[] dummy = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToChar(usualCost,
                Base64.getEncoder().encodeToString(random).toCharArray());
        return new Htpasswd(Collections.unmodifiableMap(hashes), dummy);
    }

    /**
     * Whether {@code password} is {@code user}'s. Always one bcrypt comparison; an unknown user, an empty user name
     * or an empty password is never authenticated.
     */
    public boolean authenticate(String user, String password) {
        char[] hash = user == null ? null : hashes.get(user);
        boolean emptyPassword = password == null || password.isEmpty();
        // an empty password still costs one comparison (against the dummy), so it times like any other failure
        char[] pw = emptyPassword ? new char[] {'-'} : password.toCharArray();
        try {
            boolean verified = VERIFYER.verify(pw, hash == null || emptyPassword ? dummy : hash).verified;
            return verified && hash != null && !emptyPassword;
        } finally {
            Arrays.fill(pw, '\0');
        }
    }

    /** The user names, in file order. */
    public Set<String> users() {
        return hashes.keySet();
    }

    @Override
    public String toString() {
        return "Htpasswd[" + hashes.size() + " users]";
    }

    /** Names the kind of a non-bcrypt hash, without showing it. */
    private static String describe(String hash) {
        if (hash.isEmpty()) {
            return "empty";
        }
        if (hash.startsWith("{SHA}")) {
            return "SHA-1 ({SHA})";
        }
        if (hash.startsWith("$apr1$")) {
            return "Apache MD5 ($apr1$)";
        }
        if (hash.startsWith("$1$")) {
            return "MD5-crypt ($1$)";
        }
        if (hash.startsWith("$5$") || hash.startsWith("$6$")) {
            return "SHA-crypt (" + hash.substring(0, 3) + ")";
        }
        if (hash.startsWith("$2")) {
            return "a malformed bcrypt hash";
        }
        if (hash.matches("[./A-Za-z0-9]{13}")) {
            return "DES crypt or plain text";
        }
        return "plain text or an unknown scheme";
    }
}
