import Foundation
import GatedTLS
import Hummingbird
import Logging
import NIOSSL
import ServiceSupport
import SyncCore
import SyncStore

/// Where and how `county-syncd` serves its console (`console-listen` and its certificates).
public struct CountyConsoleSettings: Sendable, Hashable {
    /// The address to listen on; a loopback address unless the admin names another.
    public var host: String
    public var port: Int
    /// The county machine's server certificate and key (`Deploy/pki.sh county-server`).
    public var certFile: String
    public var keyFile: String
    /// The CA that issues clerk certificates (`Deploy/pki.sh clerk`); the city CA by default.
    public var clientCAFile: String
    /// Where to write the port actually bound (with port 0), if anywhere.
    public var portFile: String?
    /// Most connections at once, and most still in their TLS handshake; a handshake not finished
    /// in `handshakeTimeoutSeconds` is closed (`ConnectionGate`): the office's network reaches
    /// this listener, so no PC there can take the daemon's descriptors or hold its handshakes.
    public var maxConnections = 256
    public var maxHandshaking = 32
    public var handshakeTimeoutSeconds = 5

    public init(host: String, port: Int, certFile: String, keyFile: String, clientCAFile: String, portFile: String? = nil) {
        self.host = host
        self.port = port
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.portFile = portFile
    }

    /// Checks the settings; throws naming the bad key.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw .invalid(key: "console-listen", reason: "port \(port) is out of range") }
        for (key, path) in [("console-cert", certFile), ("console-key", keyFile), ("console-client-ca", clientCAFile)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw .invalid(key: key, reason: "cannot read \(path)\(key == "console-client-ca" ? "" : " (make it with Deploy/pki.sh county-server)")")
            }
        }
    }
}

extension CountyConsole {
    /// The console as a service of the daemon's group: HTTPS with mutual TLS, clerk certificates
    /// signed by `clientCAFile` only (a browser without one is refused in the handshake), the
    /// same TLS profile as the aggregator.
    public static func application(database: CountyDatabase, settings: CountyConsoleSettings, logger: Logger) throws -> some ApplicationProtocol {
        try settings.validate()
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let roots: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(settings.certFile) } catch {
            throw ConfigurationError.invalid(key: "console-cert", reason: "\(settings.certFile) is not a PEM certificate (\(error))")
        }
        do { key = try NIOSSLPrivateKey(file: settings.keyFile, format: .pem) } catch {
            throw ConfigurationError.invalid(key: "console-key", reason: "\(settings.keyFile) is not a PEM private key (\(error))")
        }
        do { roots = try NIOSSLCertificate.fromPEMFile(settings.clientCAFile) } catch {
            throw ConfigurationError.invalid(key: "console-client-ca", reason: "\(settings.clientCAFile) is not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty, !roots.isEmpty else {
            throw ConfigurationError.invalid(key: chain.isEmpty ? "console-cert" : "console-client-ca", reason: "no certificate in the file")
        }
        var tls = TLSConfiguration.makeServerConfigurationWithMTLS(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key),
                                                                   trustRoots: .certificates(roots))
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuites = TLSProfile.tls12CipherSuites
        let console = CountyConsole(database: database, logger: logger)
        let portFile = settings.portFile
        // The sync's database, the log and the certificates keep their descriptors whatever the
        // clerks' PCs (or anything on the office's network) do.
        let descriptors = ConnectionGate.raiseDescriptorLimit()
        let gate = ConnectionGate(maxConnections: max(4, min(settings.maxConnections, descriptors - ConnectionGate.reserve)),
                                  maxHandshaking: max(1, settings.maxHandshaking), handshakeTimeout: .seconds(Int64(settings.handshakeTimeoutSeconds)))
        return Application(
            router: console.router(),
            server: .gatedTLS(idleTimeout: .seconds(120), tlsConfiguration: tls, gate: gate),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "county-syncd-console"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                if let portFile { try? "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
                logger.notice("county console listening", metadata: ["sync.console.listen": "\(settings.host):\(port)"])
            },
            logger: logger)
    }
}
