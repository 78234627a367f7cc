package dev.berth.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;

/**
 * The two key ids token servers put in a JWT's {@code kid} header for a key that the registry knows from its
 * certificate bundle: the RFC 7638 JWK thumbprint (base64url SHA-256, what distribution 3 looks up) and the libtrust
 * fingerprint (distribution 2, docker_auth, Harbor: SHA-256 of the DER public key, truncated to 240 bits, base32 in
 * twelve groups of four separated by {@code :}).
 */
public final class KeyIds {

    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    private KeyIds() {
    }

    /** The RFC 7638 SHA-256 thumbprint of an RSA or EC public key, base64url. */
    public static String thumbprint(PublicKey key) {
        try {
            return jwk(key).computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot compute the thumbprint of a " + key.getAlgorithm() + " key");
        }
    }

    /** The libtrust fingerprint of a public key: {@code ABCD:EFGH:...} (12 groups). */
    public static String libtrustFingerprint(PublicKey key) {
        byte[] sha;
        try {
            sha = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String b32 = base32(Arrays.copyOf(sha, 30));
        StringBuilder out = new StringBuilder(59);
        for (int i = 0; i < b32.length(); i += 4) {
            if (i > 0) {
                out.append(':');
            }
            out.append(b32, i, i + 4);
        }
        return out.toString();
    }

    /** The public JWK of an RSA or EC key (no key id). */
    static JWK jwk(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).build();
        }
        if (key instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new IllegalArgumentException("unsupported EC curve (use P-256, P-384 or P-521)");
            }
            return new ECKey.Builder(curve, ec).build();
        }
        throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm() + " (use RSA or EC)");
    }

    private static String base32(byte[] data) {
        StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                out.append(BASE32[(buffer >> (bits - 5)) & 0x1F]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(BASE32[(buffer << (5 - bits)) & 0x1F]);
        }
        return out.toString();
    }
}
