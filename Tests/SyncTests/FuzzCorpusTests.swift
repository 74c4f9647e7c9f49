import Foundation
import LocalCluster
import Testing

/// The fuzz target's committed corpus (`Tests/Fuzz/corpus`: real bodies of each message, and
/// the inputs of the review's findings) replayed by the plainly built target, as every test run
/// does; `Deploy/fuzz.sh` fuzzes from it with libFuzzer, and `.ci/run` runs that for a minute.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    @Test func theCorpusReplaysWithoutAFinding() throws {
        let corpus = Cluster.packageRoot.appendingPathComponent("Tests/Fuzz/corpus").path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus)
        #expect(inputs.count >= 8, "\(inputs)")
        let run = try Cluster.capture(Cluster.binaries.appendingPathComponent("scanner-fuzz").path, [corpus])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("replayed \(inputs.count) inputs, no finding"), "\(run.stdout)")
    }
}
