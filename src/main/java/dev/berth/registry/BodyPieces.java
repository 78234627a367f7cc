package dev.berth.registry;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A request body handed out as the buffers the network layer filled, so an upload can hash them and write them to
 * storage without copying them into arrays first. The HTTP layer's body stream implements it; {@link Uploads} uses
 * it when the body it is given implements it, and reads the body as a plain {@link java.io.InputStream} otherwise.
 *
 * <p>Pieces taken and not yet released still count against the body's read-ahead limit, so a consumer that holds
 * them (a writer behind the hash) slows the socket down instead of letting buffers pile up.
 */
public interface BodyPieces {

    /** The next piece of the body, waiting for it to arrive; null at the end of the body. */
    Piece next() throws IOException;

    /** Some bytes of the body. Its {@link #data()} is valid until {@link #release()}, which must be called once. */
    interface Piece {

        /** The bytes, from position to limit; the caller may move the position. */
        ByteBuffer data();

        /** Gives the buffer back; safe from any thread. */
        void release();
    }
}
