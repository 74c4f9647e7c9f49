import SyncCore
import Testing

/// One reading of HOST:PORT and of "loopback" for the aggregator's listeners, the daemon's
/// metrics listener and `syncctl status --health`.
struct ListenAddressTests {
    @Test func hostAndPortAreReadOneWay() throws {
        let v6 = try ListenAddress("[::1]:9464", key: "metrics-listen")
        #expect(v6.host == "::1" && v6.port == 9464)
        #expect(try ListenAddress("127.0.0.1:0", key: "listen") == ListenAddress("127.0.0.1:0", key: "listen"))
        for bad in ["127.0.0.1", "127.0.0.1:", "host:port", ":x"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try ListenAddress(bad, key: "listen") }
        }
    }

    @Test func onlyThisMachinesAddressesAreLoopback() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] { #expect(ListenAddress.isLoopback(host), "\(host)") }
        for host in ["0.0.0.0", "10.0.0.1", "127.0.0.256", "127.0.0", "127.evil.com", "::", "localhost.example"] {
            #expect(!ListenAddress.isLoopback(host), "\(host)")
        }
    }
}
