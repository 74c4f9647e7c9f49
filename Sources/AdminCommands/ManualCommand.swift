import ArgumentParser
import Foundation
import SyncCore

/// `syncctl manual`: the manual page (man(7)), made from the same help texts as `--help`, so
/// the two never disagree. `Deploy/install-syncctl.sh` installs it with the shell completions.
struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print the manual page of syncctl (man format), made from every command's help.",
        discussion: """
            Examples:
              syncctl manual > /usr/local/share/man/man1/syncctl.1
              syncctl manual | man -l -
            """)

    func run() throws {
        print(Self.page(), terminator: "")
    }

    /// The whole page.
    static func page() -> String {
        let root = Syncctl.configuration
        var page = """
            .TH SYNCCTL 1 "" "County Sync \(CountySyncVersion.current)" "County Sync"
            .SH NAME
            syncctl \\- \(escape(root.abstract))
            .SH SYNOPSIS
            .B syncctl
            .I command
            [\\fIoptions\\fR]
            .SH DESCRIPTION
            \(escape(root.discussion))
            .PP
            Exit status: 0 done (a check: healthy, equal); 1 refused, or a check found a problem; 2 could not
            do it (database or city unreachable, a failed write); 64 the command line is wrong.
            .SH COMMANDS

            """
        for (path, command) in commands(root.subcommands, under: ["syncctl"]) {
            page += ".SS \"\(path.joined(separator: " "))\"\n.nf\n"
            page += escape(Syncctl.helpMessage(for: command, columns: 100)).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.isEmpty ? "" : String($0) }.joined(separator: "\n")
            page += "\n.fi\n"
        }
        page += """
            .SH FILES
            .TP
            /etc/county-sync/county-syncd.conf
            The county daemon's configuration: where a command finds --db, --city, --ca, --cert and --key
            when it leaves them out (COUNTY_SYNC_CONFIG names another file).
            .TP
            /etc/county-sync/roles.conf
            At the city: who may decide, pay and administer (COUNTY_SYNC_ROLES names another file).
            .SH SEE ALSO
            county-syncd(8), city-aggregator(8)

            """
        return page
    }

    /// Every command with a run of its own, depth first, with its path of names.
    static func commands(_ types: [any ParsableCommand.Type], under path: [String]) -> [([String], any ParsableCommand.Type)] {
        types.flatMap { type -> [([String], any ParsableCommand.Type)] in
            let configuration = type.configuration
            let name = configuration.commandName ?? String(describing: type).lowercased()
            let children = commands(configuration.subcommands, under: path + [name])
            return configuration.subcommands.isEmpty ? [(path + [name], type)] : children
        }
    }

    /// Text as man(7) reads it literally: backslashes doubled, a line starting with `.` or `'`
    /// guarded.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e").split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(".") || line.hasPrefix("'") ? "\\&" + line : String(line)
        }.joined(separator: "\n")
    }
}
