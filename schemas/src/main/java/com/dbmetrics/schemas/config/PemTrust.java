package com.dbmetrics.schemas.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A TLS context that trusts the CA certificates of one PEM file (e.g. the local CA of {@code ./dbm}). */
public final class PemTrust {

    private PemTrust() {
    }

    /**
     * An {@link SSLContext} trusting exactly the certificates in {@code caFile}; hostnames are still verified by the
     * client. Fails naming {@code variable} when the file is missing or holds no certificate.
     */
    public static SSLContext sslContext(String variable, Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new ConfigException(variable + " must name a PEM file of CA certificates but " + caFile
                        + " holds none");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : certs) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new ConfigException(variable + " must name a readable PEM file but " + caFile + " could not be read ("
                    + e.getClass().getSimpleName() + ")");
        } catch (GeneralSecurityException e) {
            throw new ConfigException(variable + " must name a PEM file of CA certificates but " + caFile
                    + " could not be parsed (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The path of {@code variable} if set, after checking the file exists; {@code null} if unset. */
    public static Path existingFile(Env env, String variable) {
        String value = env.string(variable, null);
        if (value == null) {
            return null;
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path)) {
            throw new ConfigException(variable + " must name a readable file but was " + value);
        }
        return path;
    }
}
