import Foundation
import Testing

/// The JSON Schemas work with a stock validator as they are: `check-jsonschema` resolves the
/// references between the files from their paths (no `$id` redirects them) and accepts every example.
@Suite struct StockValidatorTests {
    static func findCheckJSONSchema() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/check-jsonschema" }
            + [SchemaExamplesTests.packageRoot.appendingPathComponent(".build/python/bin/check-jsonschema").path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func checkJSONSchemaAcceptsEveryExampleWithItsSchema() throws {
        guard let tool = Self.findCheckJSONSchema() else {
            #expect(ProcessInfo.processInfo.environment["COUNTY_SYNC_REQUIRE_FUZZ"] == nil, "check-jsonschema is not on PATH; Deploy/test.sh installs it")
            return
        }
        for (schema, examples) in Dictionary(grouping: SchemaExamplesTests.examples, by: \.schema) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["--schemafile", SchemaExamplesTests.schemasDirectory.appendingPathComponent(schema).path]
                + examples.map { SchemaExamplesTests.examplesDirectory.appendingPathComponent($0.file).path }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(schema): \(text.suffix(1_500))")
        }
    }
}
