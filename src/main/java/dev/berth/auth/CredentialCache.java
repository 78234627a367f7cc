package dev.berth.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Remembers, for a short while, that a user's password was right, so that a client sending Basic credentials with
 * every request (a pull is a dozen requests) pays one bcrypt comparison (about 170 ms at cost 10) per
 * {@code ttl}, not one per request. Only successes are remembered, as an HMAC-SHA256 of the password under a random
 * per-process key (never the password); a wrong password always goes to bcrypt, so failures keep their timing.
 * The htpasswd file is immutable for the life of its {@link Htpasswd}, so an entry cannot outlive the password it
 * vouches for.
 */
final class CredentialCache {

    static final int MAX_ENTRIES = 10_000;

    private record Entry(byte[] mac, Instant expires) {
    }

    private final Duration ttl;
    private final Clock clock;
    private final SecretKeySpec key;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    CredentialCache(Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        this.key = new SecretKeySpec(k, "HmacSHA256");
    }

    /** Whether {@code user}/{@code password} was verified within the last {@code ttl}. */
    boolean recentlyVerified(String user, String password) {
        if (ttl.isZero()) {
            return false;
        }
        Entry e = entries.get(user);
        if (e == null) {
            return false;
        }
        if (!clock.instant().isBefore(e.expires())) {
            entries.remove(user, e);
            return false;
        }
        return MessageDigest.isEqual(e.mac(), mac(user, password));
    }

    void remember(String user, String password) {
        if (ttl.isZero()) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(user, new Entry(mac(user, password), clock.instant().plus(ttl)));
    }

    private byte[] mac(String user, String password) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return mac.doFinal(password.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
