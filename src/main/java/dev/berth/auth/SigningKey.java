package dev.berth.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.KeyLengthException;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;

/**
 * The private key the built-in token server signs with (RSA of at least 2048 bits: RS256; EC P-256, P-384, P-521:
 * ES256, ES384, ES512), with its public key. Its {@link #toString()} shows the algorithm and key ids, never the key.
 */
public final class SigningKey {

    private final KeyPair keyPair;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;

    private SigningKey(KeyPair keyPair) {
        this.keyPair = Objects.requireNonNull(keyPair);
        try {
            if (keyPair.getPrivate() instanceof RSAPrivateKey rsa) {
                if (((RSAPublicKey) keyPair.getPublic()).getModulus().bitLength() < 2048) {
                    throw new IllegalArgumentException("an RSA signing key must have at least 2048 bits");
                }
                this.algorithm = JWSAlgorithm.RS256;
                this.signer = new RSASSASigner(rsa);
            } else if (keyPair.getPrivate() instanceof ECPrivateKey ec) {
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                if (curve == null || !(curve.equals(Curve.P_256) || curve.equals(Curve.P_384)
                        || curve.equals(Curve.P_521))) {
                    throw new IllegalArgumentException("an EC signing key must be on P-256, P-384 or P-521");
                }
                this.algorithm = curve.equals(Curve.P_256) ? JWSAlgorithm.ES256
                        : curve.equals(Curve.P_384) ? JWSAlgorithm.ES384 : JWSAlgorithm.ES512;
                this.signer = new ECDSASigner(ec);
            } else {
                throw new IllegalArgumentException("the signing key must be RSA or EC, not "
                        + keyPair.getPrivate().getAlgorithm());
            }
        } catch (KeyLengthException e) {
            throw new IllegalArgumentException("the signing key is too short");
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalArgumentException("the signing key cannot be used: " + e.getClass().getSimpleName());
        }
    }

    /** Loads a PEM private key file (PKCS#8, PKCS#1 or SEC1, not encrypted). */
    public static SigningKey load(Path pemFile) throws IOException {
        return new SigningKey(Pem.keyPair(pemFile));
    }

    /** A key from PEM text; {@code source} names it in messages. */
    public static SigningKey fromPem(String pem, String source) {
        return new SigningKey(Pem.keyPair(pem, source));
    }

    public static SigningKey of(KeyPair keyPair) {
        return new SigningKey(keyPair);
    }

    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    /** {@code RS256}, {@code ES256}, {@code ES384} or {@code ES512}. */
    public String algorithm() {
        return algorithm.getName();
    }

    JWSAlgorithm jwsAlgorithm() {
        return algorithm;
    }

    JWSSigner signer() {
        return signer;
    }

    @Override
    public String toString() {
        return "SigningKey[" + algorithm + ", kid " + KeyIds.thumbprint(publicKey()) + "]";
    }
}
