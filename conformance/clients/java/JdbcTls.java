import java.io.FilterInputStream;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import javax.net.ssl.SSLSocket;

/**
 * MariaDB Connector/J 2.7 (Debian's libmariadb-java) over TLS against a
 * Quarry server with TLS on: useSsl=true&amp;trustServerCertificate=true
 * (ssl-mode=REQUIRED), useSsl=true&amp;serverSslCert=&lt;CA&gt; (VERIFY_CA;
 * Connector/J also checks the host name, which the generated certificate has
 * as an IP SAN), and a plain connection under require_secure_transport.
 * Reports one line per check for ../harness_test.go.
 *
 * <p>Environment: QUARRY_HOST, QUARRY_PORT, QUARRY_USER, QUARRY_PASSWORD;
 * QUARRY_TLS_CA is the server's certificate (Quarry's generated
 * DATA_DIR/tls/server-cert.pem), QUARRY_TLS_WRONG_CA a certificate that did
 * not sign it. It sets require_secure_transport ON and back OFF.
 *
 * <p>Note: in Connector/J 2.7, serverSslCert alone does not turn TLS on (the
 * connection silently stays plain); useSsl=true is needed.
 */
public class JdbcTls {
    static final String HOST = env("QUARRY_HOST", "127.0.0.1");
    static final String PORT = env("QUARRY_PORT", "3306");
    static final String USER = env("QUARRY_USER", "root");
    static final String PASSWORD = env("QUARRY_PASSWORD", "");
    static final String CA = env("QUARRY_TLS_CA", "");
    static final String WRONG_CA = env("QUARRY_TLS_WRONG_CA", "");

    static final String PLAIN = "&useSsl=false";
    static final String REQUIRED = "&useSsl=true&trustServerCertificate=true";
    static final String VERIFY_CA = "&useSsl=true&serverSslCert=" + CA;
    static final String WRONG = "&useSsl=true&serverSslCert=" + WRONG_CA;

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    interface Check {
        void run() throws Exception;
    }

    static boolean check(String name, Check c) {
        try {
            c.run();
            System.out.println("ok " + name);
            return true;
        } catch (Throwable e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (e instanceof SQLException) {
                msg = "[" + ((SQLException) e).getErrorCode() + "] " + msg;
            }
            msg = msg.replaceAll("\\s+", " ");
            System.out.println("fail " + name + ": " + msg.substring(0, Math.min(700, msg.length())));
            if (System.getenv("QUARRY_TRACE") != null) {
                e.printStackTrace();
            }
            return false;
        }
    }

    static void eq(String what, Object got, Object want) {
        if (!Objects.equals(String.valueOf(got), String.valueOf(want))) {
            throw new AssertionError(what + " = " + got + ", want " + want);
        }
    }

    static Connection connect(String props) throws SQLException {
        String url = "jdbc:mariadb://" + HOST + ":" + PORT + "/?user=" + USER + "&password=" + PASSWORD
                + "&connectTimeout=5000&socketTimeout=15000" + props;
        return DriverManager.getConnection(url);
    }

    /**
     * The client's view of the connection: whether it reads from a TLS
     * socket. Connector/J 2.7 has no API for it and keeps the plain socket in
     * its socket field; the stream it reads from is the TLS socket's, reached
     * through MariaDbConnection.getProtocol() (protected) and
     * FilterInputStream.in (needs --add-opens=java.base/java.io=ALL-UNNAMED).
     */
    static boolean tls(Connection c) throws Exception {
        Method m = c.getClass().getDeclaredMethod("getProtocol");
        m.setAccessible(true);
        Object protocol = m.invoke(c);
        Object reader = protocol.getClass().getMethod("getReader").invoke(protocol);
        Method gis = reader.getClass().getMethod("getInputStream");
        gis.setAccessible(true);
        InputStream in = (InputStream) gis.invoke(reader);
        Field f = FilterInputStream.class.getDeclaredField("in");
        f.setAccessible(true);
        while (in instanceof FilterInputStream) {
            in = (InputStream) f.get(in);
        }
        // sun.security.ssl.SSLSocketImpl$AppInputStream on TLS,
        // java.net.Socket$SocketInputStream on a plain socket.
        Class<?> outer = in.getClass().getEnclosingClass();
        return outer != null && SSLSocket.class.isAssignableFrom(outer);
    }

    static String one(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                return null;
            }
            return rs.getString(rs.getMetaData().getColumnCount());
        }
    }

    /** Connects with props and checks that TLS is in use (or not). */
    static void connects(String props, boolean tls) throws Exception {
        try (Connection c = connect(props)) {
            eq("SELECT 1", one(c, "SELECT 1"), "1");
            boolean got = tls(c);
            if (tls && !got) {
                throw new AssertionError("connected without TLS, want TLS");
            }
            if (!tls && got) {
                throw new AssertionError("connected with TLS, want a plain connection");
            }
        }
    }

    /** The connection fails with MySQL error code (0: any) and a message containing text. */
    static void refused(String props, int code, String text) throws Exception {
        try (Connection c = connect(props)) {
            throw new AssertionError("connected (TLS: " + tls(c) + "), want an error");
        } catch (SQLException e) {
            if ((code != 0 && e.getErrorCode() != code) || !e.getMessage().contains(text)) {
                throw new AssertionError("got [" + e.getErrorCode() + "] " + e.getMessage() + ", want [" + code + "] ... " + text);
            }
        }
    }

    static void setRequireSecureTransport(String v, String want) throws Exception {
        try (Connection c = connect(REQUIRED); Statement s = c.createStatement()) {
            s.execute("SET GLOBAL require_secure_transport = " + v);
            eq("@@global.require_secure_transport", one(c, "SELECT @@global.require_secure_transport"), want);
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.println("version: MariaDB Connector/J " + new org.mariadb.jdbc.Driver().getMajorVersion() + "."
                + new org.mariadb.jdbc.Driver().getMinorVersion() + ", Java " + System.getProperty("java.version"));
        if (CA.isEmpty() || WRONG_CA.isEmpty()) {
            throw new IllegalStateException("QUARRY_TLS_CA and QUARRY_TLS_WRONG_CA must be set");
        }
        check("plain_connect", () -> connects(PLAIN, false));
        check("ssl_required", () -> connects(REQUIRED, true));
        // The server's view: Ssl_cipher and Ssl_version are the session's
        // cipher and protocol on MySQL.
        // The server's view: Ssl_cipher and Ssl_version are the session's
        // cipher and protocol on MySQL (e.g. TLS_AES_128_GCM_SHA256, TLSv1.3).
        check("ssl_status", () -> {
            try (Connection c = connect(REQUIRED)) {
                eq("TLS in use", tls(c), true);
                String cipher = one(c, "SHOW SESSION STATUS LIKE 'Ssl_cipher'");
                String version = one(c, "SHOW SESSION STATUS LIKE 'Ssl_version'");
                if (cipher == null || cipher.isEmpty() || !("TLSv1.3".equals(version) || "TLSv1.2".equals(version))) {
                    throw new AssertionError("Ssl_cipher = '" + cipher + "', Ssl_version = '" + version
                            + "', want the session's cipher and TLSv1.3 (or TLSv1.2)");
                }
            }
        });
        check("verify_ca", () -> connects(VERIFY_CA, true));
        check("verify_ca_wrong", () -> refused(WRONG, 0, "PKIX path"));
        if (check("require_secure_transport/set_on", () -> setRequireSecureTransport("ON", "1"))) {
            try {
                check("require_secure_transport/plain_refused",
                        () -> refused(PLAIN, 3159, "Connections using insecure transport are prohibited"));
                check("require_secure_transport/ssl_required", () -> connects(REQUIRED, true));
                check("require_secure_transport/verify_ca", () -> connects(VERIFY_CA, true));
            } finally {
                check("require_secure_transport/off_again", () -> {
                    setRequireSecureTransport("OFF", "0");
                    connects(PLAIN, false);
                });
            }
        }
        System.out.println("done");
    }
}
