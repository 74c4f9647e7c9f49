/// A replicated cell: one column of one row.
public struct Cell: Hashable, Sendable, CustomStringConvertible {
    public let rowId: String
    public let column: String

    public init(rowId: String, column: String) {
        self.rowId = rowId
        self.column = column
    }

    public var description: String { "\(rowId).\(column)" }
}

/// Every value the harness wrote, and what became of it. A value may leave the replicated state
/// only in two ways: a later write replaced it knowingly (the writer saw it as the current value,
/// on whichever replica), or it lost a concurrent edit and sits in a conflicts table. Anything
/// else is a lost value. Each written value is unique, so it can be followed through the system.
public struct Ledger: Sendable {
    struct Entry: Sendable {
        var writer: String
        var replaced = false
    }

    private var cells: [Cell: [String: Entry]] = [:]
    /// Rows inserted, by id.
    public private(set) var rows: Set<String> = []

    public init() {}

    /// Records an insert.
    public mutating func inserted(rowId: String) { rows.insert(rowId) }

    /// Records a write of `value` to `cell` by `writer`, which replaced `previous` (the value the
    /// writer read in the same transaction).
    public mutating func wrote(_ value: String, to cell: Cell, by writer: String, replacing previous: String?) {
        if let previous { cells[cell, default: [:]][previous]?.replaced = true }
        cells[cell, default: [:]][value] = Entry(writer: writer)
    }

    /// Records that `value` left `cell` knowingly without a new value: its row was deleted by a
    /// writer who saw it.
    public mutating func replaced(_ value: String, in cell: Cell) {
        cells[cell]?[value]?.replaced = true
    }

    /// Values written so far.
    public var valueCount: Int { cells.values.reduce(0) { $0 + $1.count } }

    /// The values that vanished: neither the final value of their cell, nor knowingly replaced,
    /// nor a recorded loser. `final` gives a cell's converged value; `losers` the losing values
    /// recorded for a cell in any conflicts table.
    public func lostValues(final: (Cell) -> String?, losers: (Cell) -> Set<String>) -> [(cell: Cell, value: String, writer: String)] {
        var lost: [(Cell, String, String)] = []
        for (cell, values) in cells {
            let current = final(cell)
            let recorded = losers(cell)
            for (value, entry) in values where !entry.replaced && value != current && !recorded.contains(value) {
                lost.append((cell, value, entry.writer))
            }
        }
        return lost.sorted { ($0.0.description, $0.1) < ($1.0.description, $1.1) }
    }
}
