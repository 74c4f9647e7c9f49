import ArgumentParser
import SyncCore
import SyncStore

/// `syncctl nodes`: a county's nodes at the city, and retiring one.
struct NodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List a county's nodes at the city, or retire one; at the city only.",
        discussion: """
            A county holds at most max-nodes-per-county nodes (replicas and epochs). Retiring a node \
            frees its slot and refuses it from then on: a replica answered so continues as a new node. \
            The aggregator also retires nodes silent longer than node-retire-days.
            """,
        subcommands: [List.self, Retire.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a county's nodes: mark, last contact, admission, retirement.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "The county's code, e.g. 130202.") var county: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let nodes = try reporting { try database.openCity(for: "listing nodes").nodes(county: county) }
            if output.json { return try printJSON(nodes) }
            var table = TextTable("NODE", "HIGH WATER", "LAST CONTACT", "STATE")
            for node in nodes {
                table.add(node.node, String(node.highWater), ago(node.lastContactAt),
                          node.retiredAt.map { "retired \(ago($0)): \(node.retiredReason ?? "")" } ?? "in service")
            }
            print(table.render())
            print("\(nodes.filter { $0.retiredAt == nil }.count) in service, \(nodes.filter { $0.retiredAt != nil }.count) retired")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retire a node, freeing its slot; kept in the decision log.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The node, e.g. county-130202-3f9a1c07.") var node: String
        @Option(help: "Why (a replaced machine, a compromised PC).") var reason: String

        func run() throws {
            try reporting { try database.openCity(for: "retiring a node").retireNode(node, reason: reason) }
            try report(output, id: node, "retired node \(node); its county may admit a new one in its place")
        }
    }
}
