// The county-syncd process arrives with the sync protocol; until then it only explains itself.
import Foundation

let usage = """
    usage: county-syncd [--help]

    county-syncd is not available in this build yet: county replicas work offline with
    `syncctl` (init, platform, award, import, export, outbox) and keep every change in
    their change log until sync is available.
    """
print(usage)
exit(CommandLine.arguments.dropFirst().allSatisfy { $0 == "--help" || $0 == "-h" } ? 0 : 64)
