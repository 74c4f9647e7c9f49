import Console
import Foundation
import Synchronization
import SyncCore
import SyncInterchange
import SyncStore

/// 导入: a sheet (CSV as Excel or WPS saves it, or .xlsx) uploaded, previewed line by line, and
/// imported all or nothing once the clerk confirms, with the same reading and checks as
/// `syncctl import platforms` and `syncctl import awards`.
final class CountyConsoleImport: Sendable {
    /// What a sheet holds.
    enum Kind: String, CaseIterable, Sendable {
        case platforms, awards

        var label: String { self == .platforms ? "平台 platforms" : "奖补申报 award proposals" }
    }

    /// A sheet a clerk uploaded and previewed, kept until confirmed (one per clerk).
    struct Upload: Sendable {
        let id: String
        let kind: Kind
        let filename: String
        let data: Data
    }

    /// The largest sheet accepted (an .xlsx of several thousand rows is well under it).
    static let maxBytes = 16 * 1024 * 1024

    let database: CountyDatabase
    let shell: ConsoleShell
    private let uploads = Mutex<[String: Upload]>([:])

    init(database: CountyDatabase, shell: ConsoleShell) {
        self.database = database
        self.shell = shell
    }

    /// The upload form.
    func form(token: String) -> String {
        struct Option { let value, label: String }
        struct Page { let token: String; let kinds: [Option] }
        return shell.render(Page(token: token, kinds: Kind.allCases.map { Option(value: $0.rawValue, label: $0.label) }), "import")
    }

    /// Keeps `upload` for `clerk` and shows what importing it would do; writes nothing.
    func preview(_ upload: Upload, clerk: String, token: String) throws -> String {
        uploads.withLock { $0[clerk] = upload }
        return try outcome(upload, token: token, dryRun: true)
    }

    /// Imports the upload `id` of `clerk` (all or nothing) and shows each line with its record.
    func confirm(id: String, clerk: String, token: String) throws -> String {
        guard let upload = uploads.withLock({ $0[clerk] }), upload.id == id else {
            throw ConsoleError(.conflict, "这份文件已导入或已过期，请重新上传 — this upload was imported already or replaced; upload the file again")
        }
        let page = try outcome(upload, token: token, dryRun: false)
        uploads.withLock { if $0[clerk]?.id == id { $0[clerk] = nil } }
        return page
    }

    /// What importing `upload` does (or, with `dryRun`, would do), as a page: every line with its
    /// outcome, or every refused line with its reason in Chinese. Nothing is written unless every
    /// line is right and it is not a dry run.
    private func outcome(_ upload: Upload, token: String, dryRun: Bool) throws -> String {
        struct Line { let line: String; let outcome, outcomeClass, id, name: String; let link: Bool }
        struct Page {
            let filename, kind, summary: String
            let lines: [Line]
            let refused: Bool
            let confirmable: Bool
            let token, upload: String
        }
        let summary: ImportSummary
        do {
            let sheet = try Sheet.read(upload.data)
            switch upload.kind {
            case .platforms:
                let rows = try PlatformSheet.decode(sheet, county: database.county)
                summary = try database.importPlatforms(rows.map { ImportedRow(line: $0.line, namesId: $0.namesId, cityColumnsGiven: $0.cityColumnsGiven, result: $0.result) },
                                                       dryRun: dryRun)
            case .awards:
                let rows = try ProposalSheet.decode(sheet)
                summary = try database.importAwards(rows.map { ImportedAward(line: $0.line, result: $0.result) }, dryRun: dryRun)
            }
        } catch StoreError.invalidRows(let problems) {
            let lines = problems.map { Line(line: String($0.line), outcome: "退回 refused", outcomeClass: "refused", id: "", name: "\($0.reasonZh) — \($0.reason)", link: false) }
            return shell.render(Page(filename: upload.filename, kind: upload.kind.label,
                                     summary: "\(problems.count) 行有误，整份文件未导入；请改正后重新上传 — \(problems.count) line(s) refused; nothing was imported; correct them and upload again",
                                     lines: lines, refused: true, confirmable: false, token: token, upload: upload.id), "import-outcome")
        } catch let error as DomainError {
            throw ConsoleError(.unprocessableContent, "\(upload.filename)：\(error.text(.zh)) — \(error.description)")
        }
        let lines = summary.lines.map { line -> Line in
            let (text, style) = switch line.outcome {
            case .new: (upload.kind == .awards ? "新申报 new" : "新登记 new", "new")
            case .updated: ("已更新 changed", "changed")
            case .unchanged: ("无变化 unchanged", "unchanged")
            case .repeated: ("同第\(line.sameAs ?? 0)行 repeats line \(line.sameAs ?? 0)", "unchanged")
            }
            return Line(line: String(line.line), outcome: text, outcomeClass: style, id: line.id, name: line.name, link: !dryRun)
        }
        let counts = "\(summary.inserted) 新 new, \(summary.updated) 改 changed, \(summary.unchanged) 无变化 unchanged"
        let text = dryRun
            ? "预览：\(counts)。确认之前不会写入任何内容 — preview: nothing is written until you confirm"
            : "已导入：\(counts) — imported"
        return shell.render(Page(filename: upload.filename, kind: upload.kind.label, summary: text, lines: lines, refused: false,
                                 confirmable: dryRun && summary.inserted + summary.updated > 0, token: token, upload: upload.id), "import-outcome")
    }
}
