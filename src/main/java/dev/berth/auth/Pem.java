package dev.berth.auth;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EllipticCurve;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files with the JDK alone: certificate bundles, and the private keys {@code openssl} writes: PKCS#8
 * ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}, with or without the
 * {@code EC PARAMETERS} block {@code openssl ecparam -genkey} puts before it). Encrypted keys are refused with a
 * message saying how to decrypt them. Messages never contain key material.
 */
public final class Pem {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final String OID_RSA = "1.2.840.113549.1.1.1";
    private static final String OID_EC = "1.2.840.10045.2.1";

    private Pem() {
    }

    /** A PEM block: its label and its decoded bytes. */
    record Block(String label, byte[] der, boolean hasHeaders) {
    }

    static List<Block> blocks(String text, String source) {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            boolean headers = body.contains(":");
            String base64 = headers ? body.substring(body.indexOf("\n\n") < 0 ? 0 : body.indexOf("\n\n")) : body;
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(base64.strip()), headers));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": the " + m.group(1) + " block is not valid base64");
            }
        }
        return out;
    }

    /** The certificates of a PEM bundle file; other blocks are skipped; none at all is an error. */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        return certificates(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /** The certificates of PEM text; {@code source} names it in messages. */
    public static List<X509Certificate> certificates(String text, String source) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(text, source)) {
                if (b.label().equals("CERTIFICATE")) {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(source + ": a certificate cannot be parsed (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(source + ": no PEM CERTIFICATE block");
        }
        return out;
    }

    /** The RSA or EC private key of a PEM file, with its public key. */
    public static KeyPair keyPair(Path file) throws IOException {
        return keyPair(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
    }

    /** The RSA or EC private key of PEM text, with its public key; {@code source} names it in messages. */
    public static KeyPair keyPair(String text, String source) {
        Block key = null;
        for (Block b : blocks(text, source)) {
            if (b.label().equals("ENCRYPTED PRIVATE KEY") || (b.label().endsWith("PRIVATE KEY") && b.hasHeaders())) {
                throw new IllegalArgumentException(source + ": the private key is encrypted; write it decrypted "
                        + "(openssl pkey -in KEY -out KEY.plain) and protect the file instead");
            }
            if (b.label().endsWith("PRIVATE KEY")) {
                if (key != null) {
                    throw new IllegalArgumentException(source + ": more than one private key");
                }
                key = b;
            }
        }
        if (key == null) {
            throw new IllegalArgumentException(source + ": no PEM private key block");
        }
        try {
            PrivateKey privateKey = switch (key.label()) {
                case "PRIVATE KEY" -> pkcs8(key.der(), source);
                case "RSA PRIVATE KEY" -> KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                        privateKeyInfo(algorithmId(OID_RSA, Der.NULL), key.der())));
                case "EC PRIVATE KEY" -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                        privateKeyInfo(algorithmId(OID_EC, Der.oid(sec1Curve(key.der(), source))), key.der())));
                default -> throw new IllegalArgumentException(source + ": unsupported key type " + key.label());
            };
            return new KeyPair(publicKeyOf(privateKey, source), privateKey);
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
                    && iae.getMessage().startsWith(source)) {
                throw iae;
            }
            throw new IllegalArgumentException(source + ": the private key cannot be read ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static PrivateKey pkcs8(byte[] der, String source) throws GeneralSecurityException {
        // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier SEQUENCE { OID, params }, OCTET STRING }
        Der.Reader info = new Der.Reader(der).sequence();
        info.next(0x02);
        Der.Reader alg = info.sequence();
        String oid = Der.oidString(alg.next(0x06));
        return switch (oid) {
            case OID_RSA -> KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            case OID_EC -> KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            default -> throw new IllegalArgumentException(source + ": unsupported key algorithm " + oid
                    + " (use an RSA or EC P-256/P-384/P-521 key)");
        };
    }

    /** The curve OID of a SEC1 ECPrivateKey: {@code SEQUENCE { 1, OCTET STRING, [0] OID, [1] BIT STRING }}. */
    private static String sec1Curve(byte[] der, String source) {
        Der.Reader key = new Der.Reader(der).sequence();
        key.next(0x02);
        key.next(0x04);
        while (key.hasMore()) {
            int tag = key.peekTag();
            byte[] content = key.next(tag);
            if (tag == 0xA0) {
                return Der.oidString(new Der.Reader(content).next(0x06));
            }
        }
        throw new IllegalArgumentException(source + ": the EC private key does not name its curve");
    }

    private static byte[] algorithmId(String oid, byte[] params) {
        return Der.sequence(Der.oid(oid), params);
    }

    private static byte[] privateKeyInfo(byte[] algorithmId, byte[] key) {
        return Der.sequence(Der.integerZero(), algorithmId, Der.tlv(0x04, key));
    }

    /** The public half of an RSA (from its CRT form) or EC (d·G) private key. */
    static PublicKey publicKeyOf(PrivateKey key, String source) throws GeneralSecurityException {
        if (key instanceof RSAPrivateCrtKey rsa) {
            return KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
        }
        if (key instanceof ECPrivateKey ec) {
            ECParameterSpec params = ec.getParams();
            ECPoint q = multiply(params.getGenerator(), ec.getS(), params.getCurve());
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(q, params));
        }
        throw new IllegalArgumentException(source + ": unsupported private key (" + key.getAlgorithm() + ")");
    }

    /** {@code k·p} on a prime curve, double-and-add in affine coordinates: run once, when a key is loaded. */
    private static ECPoint multiply(ECPoint p, BigInteger k, EllipticCurve curve) {
        BigInteger prime = ((ECFieldFp) curve.getField()).getP();
        ECPoint result = ECPoint.POINT_INFINITY;
        ECPoint addend = p;
        for (int i = 0; i < k.bitLength(); i++) {
            if (k.testBit(i)) {
                result = add(result, addend, curve.getA(), prime);
            }
            addend = add(addend, addend, curve.getA(), prime);
        }
        return result;
    }

    private static ECPoint add(ECPoint p, ECPoint q, BigInteger a, BigInteger prime) {
        if (p.equals(ECPoint.POINT_INFINITY)) {
            return q;
        }
        if (q.equals(ECPoint.POINT_INFINITY)) {
            return p;
        }
        BigInteger lambda;
        if (p.getAffineX().equals(q.getAffineX())) {
            if (!p.getAffineY().equals(q.getAffineY()) || p.getAffineY().signum() == 0) {
                return ECPoint.POINT_INFINITY;
            }
            BigInteger x = p.getAffineX();
            lambda = x.multiply(x).multiply(BigInteger.valueOf(3)).add(a)
                    .multiply(p.getAffineY().shiftLeft(1).modInverse(prime)).mod(prime);
        } else {
            lambda = q.getAffineY().subtract(p.getAffineY())
                    .multiply(q.getAffineX().subtract(p.getAffineX()).modInverse(prime)).mod(prime);
        }
        BigInteger x = lambda.multiply(lambda).subtract(p.getAffineX()).subtract(q.getAffineX()).mod(prime);
        BigInteger y = lambda.multiply(p.getAffineX().subtract(x)).subtract(p.getAffineY()).mod(prime);
        return new ECPoint(x, y);
    }

    /** Just enough DER to read and write the key structures above. */
    static final class Der {
        static final byte[] NULL = {0x05, 0x00};

        private Der() {
        }

        static byte[] integerZero() {
            return new byte[] {0x02, 0x01, 0x00};
        }

        static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                content.writeBytes(p);
            }
            return tlv(0x30, content.toByteArray());
        }

        static byte[] tlv(int tag, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
            out.write(tag);
            int len = content.length;
            if (len < 0x80) {
                out.write(len);
            } else {
                byte[] l = BigInteger.valueOf(len).toByteArray();
                int start = l[0] == 0 ? 1 : 0;
                out.write(0x80 | (l.length - start));
                out.write(l, start, l.length - start);
            }
            out.writeBytes(content);
            return out.toByteArray();
        }

        static byte[] oid(String dotted) {
            String[] parts = dotted.split("\\.");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
            for (int i = 2; i < parts.length; i++) {
                long v = Long.parseLong(parts[i]);
                int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(v) + 6) / 7);
                for (int g = groups - 1; g >= 0; g--) {
                    out.write((int) ((v >>> (7 * g)) & 0x7F) | (g > 0 ? 0x80 : 0));
                }
            }
            return tlv(0x06, out.toByteArray());
        }

        static String oidString(byte[] content) {
            StringBuilder s = new StringBuilder();
            int first = content[0] & 0xFF;
            s.append(Math.min(first / 40, 2)).append('.').append(first - Math.min(first / 40, 2) * 40);
            long v = 0;
            for (int i = 1; i < content.length; i++) {
                v = (v << 7) | (content[i] & 0x7F);
                if ((content[i] & 0x80) == 0) {
                    s.append('.').append(v);
                    v = 0;
                }
            }
            return s.toString();
        }

        /** Reads consecutive TLVs from a byte range. */
        static final class Reader {
            private final byte[] buf;
            private int pos;
            private final int end;

            Reader(byte[] buf) {
                this(buf, 0, buf.length);
            }

            private Reader(byte[] buf, int pos, int end) {
                this.buf = buf;
                this.pos = pos;
                this.end = end;
            }

            boolean hasMore() {
                return pos < end;
            }

            int peekTag() {
                check(pos < end);
                return buf[pos] & 0xFF;
            }

            /** The next TLV, which must have {@code tag}, as a reader over its content. */
            Reader sequence() {
                int[] range = header(0x30);
                pos = range[1];
                return new Reader(buf, range[0], range[1]);
            }

            /** The content of the next TLV, which must have {@code tag}. */
            byte[] next(int tag) {
                int[] range = header(tag);
                pos = range[1];
                return java.util.Arrays.copyOfRange(buf, range[0], range[1]);
            }

            private int[] header(int tag) {
                check(pos + 2 <= end && (buf[pos] & 0xFF) == tag);
                int p = pos + 1;
                int len = buf[p++] & 0xFF;
                if (len >= 0x80) {
                    int n = len & 0x7F;
                    check(n >= 1 && n <= 3 && p + n <= end);
                    len = 0;
                    for (int i = 0; i < n; i++) {
                        len = (len << 8) | (buf[p++] & 0xFF);
                    }
                }
                check(p + len <= end);
                return new int[] {p, p + len};
            }

            private static void check(boolean ok) {
                if (!ok) {
                    throw new IllegalArgumentException("malformed DER");
                }
            }
        }
    }
}
