package dev.berth.oci;

/** What follows {@code /manifests/}: a tag or a digest. */
public sealed interface Reference permits Tag, Digest {

    /** Parses a reference: a digest when it contains a colon, otherwise a tag. */
    static Reference parse(String s) {
        return Digest.looksLikeDigest(s) ? Digest.parse(s) : Tag.of(s);
    }
}
