package dev.hyperattention4j.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Whether the client of a request that is still being generated has closed its connection. A streamed response
 * notices at its next write; a non-streamed one writes nothing until the end, and Jetty does not read from an
 * HTTP/1.1 connection while its request is being handled, so it never sees the client's close either. This probe
 * reads from the connection's socket without blocking: -1 means the client closed (or shut down its sending side,
 * which an HTTP/1.1 client waiting for its answer does not do), 0 that nothing happened. Bytes (a pipelined next
 * request, which OpenAI clients do not send) cannot be given back to Jetty, so they make the response close the
 * connection after it is sent; the client then sends that request again on a new connection.
 */
final class ClientConnection {
    private final EndPoint endPoint;
    private final Context ctx;
    private final ByteBuffer probe = BufferUtil.allocate(256);
    private boolean closed;

    private ClientConnection(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
    }

    /** The probe for this request's connection (one that never reports a close if the transport is not a socket). */
    static ClientConnection of(Context ctx) {
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        EndPoint ep = request == null ? null : request.getConnectionMetaData().getConnection().getEndPoint();
        return new ClientConnection(ctx, ep instanceof SocketChannelEndPoint ? ep : null);
    }

    /** True once the client has closed the connection (checked now: a non-blocking read of the socket). */
    boolean closed() {
        if (closed || endPoint == null) {
            return closed;
        }
        try {
            BufferUtil.clear(probe);
            int n = endPoint.fill(probe);
            if (n < 0) {
                closed = true;
            } else if (n > 0) {
                ctx.header("Connection", "close");   // the bytes read are lost: end this connection after the answer
            }
        } catch (IOException e) {
            closed = true;                          // reset by the peer
        }
        return closed;
    }
}
