package dev.berth.metadata.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepared statements kept per physical connection, for the store's hot single-row reads: on SQLite, preparing is
 * most of the cost of such a lookup. HikariCP closes the statements a borrower prepares through its proxy when the
 * connection goes back to the pool, so these are prepared on the physical connection under the proxy and keyed by
 * it (JDBC connections compare by identity). A physical connection has one borrower at a time, so its statements
 * are only ever used by that borrower's thread, and inside that borrower's transaction when there is one.
 *
 * <p>The pool closes connections (retired, evicted, broken); whenever a connection is seen for the first time the
 * entries of closed ones are dropped, so the cache holds little more than the pool's live connections. When the pool
 * itself is closed, so are its connections, and with them their statements.
 */
final class StatementCache {

    private final Map<Connection, Map<String, PreparedStatement>> byConnection = new ConcurrentHashMap<>();

    /**
     * The statement for {@code sql} on {@code c}'s physical connection, prepared the first time. The caller sets
     * every parameter, closes the result set (on SQLite an open one keeps a read transaction open), and must not
     * close the statement.
     */
    PreparedStatement prepare(Connection c, String sql) throws SQLException {
        Connection physical = c.unwrap(Connection.class);
        Map<String, PreparedStatement> statements = byConnection.get(physical);
        if (statements == null) {
            dropClosed();
            statements = new HashMap<>();
            byConnection.put(physical, statements);
        }
        PreparedStatement ps = statements.get(sql);
        if (ps == null || ps.isClosed()) {
            ps = physical.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    /** Forgets the statements of the connections that are closed, closing them. */
    private void dropClosed() throws SQLException {
        for (Connection c : byConnection.keySet()) {
            if (c.isClosed()) {
                Map<String, PreparedStatement> statements = byConnection.remove(c);
                if (statements != null) {
                    closeAll(statements);
                }
            }
        }
    }

    /** The number of connections with statements here (for tests). */
    int connections() {
        return byConnection.size();
    }

    private static void closeAll(Map<String, PreparedStatement> statements) {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // its connection is closed: nothing left to release
            }
        }
    }
}
